import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { NotLeaderError, OutcomeUnknownError, type Logger } from '@quorumlock/raft';
import type { Replica, UnstampedCommand } from '../replica';
import type { ApplyOutput, HoldRef, LockEvent } from '../state/events';
import type { Metrics } from '../metrics';
import { errorCodeFor, notLeader, statusError, type StatusError } from './errors';
import { statusName } from './grpc-metrics';
import type { AcquireRequest, AcquireResponse, WireLock, WireMode } from './proto';

export interface LockServiceOptions {
  readonly defaultTtlMs: number;
  readonly minTtlMs: number;
  readonly maxTtlMs: number;
  /** Requests of one stream that may await their proposal at once (RESOURCE_EXHAUSTED beyond). */
  readonly maxInFlightPerStream: number;
}

type Call = grpc.ServerDuplexStream<AcquireRequest, AcquireResponse>;

const toWireMode = (m: 'exclusive' | 'shared'): WireMode => (m === 'shared' ? 'SHARED' : 'EXCLUSIVE');

/**
 * One Acquire stream: one session. It validates what the state machine cannot (the stream's
 * protocol, TTL bounds), turns messages into proposals, and writes the events the machine
 * addresses to its session. It never answers a request itself except for stream-level
 * validation: grants, queue positions and failures come from the replicated log, so the answer
 * is the same after a failover and a resend.
 */
class SessionStream {
  sessionId = '';
  ttlMs = 0;
  private ended = false;
  private inFlight = 0;

  constructor(
    private readonly call: Call,
    private readonly service: LockService,
  ) {}

  write(msg: AcquireResponse): void {
    if (!this.ended) this.call.write(msg);
  }

  /** End the stream with an error status (trailers included). */
  fail(err: StatusError): void {
    if (this.ended) return;
    this.ended = true;
    this.service.detach(this);
    this.call.emit('error', err);
  }

  /** End the stream cleanly (status OK). */
  finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.service.detach(this);
    this.call.end();
  }

  closedByClient(): void {
    this.ended = true;
    this.service.detach(this);
  }

  async onMessage(req: AcquireRequest): Promise<void> {
    if (this.ended) return;
    const kind = req.msg;
    if (this.sessionId === '') {
      if (kind !== 'open' || req.open === undefined) {
        this.fail(statusError(grpc.status.INVALID_ARGUMENT, `the first message of an Acquire stream must be \`open\`, got \`${kind ?? 'an empty message'}\``, 'ERR_INVALID_ARGUMENT'));
        return;
      }
      await this.open(req.open.sessionId, req.open.ttlMs, req.open.clientName);
      return;
    }
    switch (kind) {
      case 'open':
        this.fail(statusError(grpc.status.INVALID_ARGUMENT, `session ${this.sessionId} is already open on this stream; \`open\` must be sent once`, 'ERR_INVALID_ARGUMENT'));
        return;
      case 'keepalive':
        this.keepalive(req.keepalive?.seq ?? 0);
        return;
      // Requests are proposed in arrival order (that is what orders them in the log) but not
      // awaited: a session may have many requests replicating at once.
      case 'lock':
        if (req.lock) this.request(req.lock.requestId, this.lockCommand(req.lock));
        return;
      case 'release':
        if (req.release) {
          this.request(req.release.requestId, {
            type: 'release', sessionId: this.sessionId, requestId: req.release.requestId, name: req.release.name, token: req.release.token,
          });
        }
        return;
      case 'cancel':
        if (req.cancel) this.request(req.cancel.requestId, { type: 'cancel', sessionId: this.sessionId, requestId: req.cancel.requestId });
        return;
      case 'put':
        if (req.put) {
          this.request(req.put.requestId, {
            type: 'put', sessionId: this.sessionId, requestId: req.put.requestId, name: req.put.name, token: req.put.token, value: new Uint8Array(req.put.value),
          });
        }
        return;
      case 'close':
        void this.proposeOrFail({ type: 'closeSession', sessionId: this.sessionId });
        return;
      default:
        this.fail(statusError(grpc.status.INVALID_ARGUMENT, 'empty AcquireRequest: set one of open, lock, release, keepalive, close, cancel, put', 'ERR_INVALID_ARGUMENT'));
    }
  }

  private lockCommand(l: WireLock): UnstampedCommand {
    // An unknown enum number arrives as a number; the machine rejects the odd mode by name.
    const mode = l.mode === 'SHARED' ? 'shared' : l.mode === 'EXCLUSIVE' ? 'exclusive' : (`mode ${String(l.mode)}` as 'exclusive');
    return {
      type: 'lock', sessionId: this.sessionId, requestId: l.requestId, name: l.name, capacity: l.capacity, mode,
      waitTimeoutMs: l.waitTimeoutMs, tryOnly: l.tryOnly, lockDelayMs: l.lockDelayMs, permits: l.permits, priority: l.priority,
    };
  }

  private async open(resumeId: string, ttlMs: number, clientName: string): Promise<void> {
    const o = this.service.opts;
    if (!this.service.replica.isLeader()) {
      this.fail(notLeader(this.service.replica.id, this.service.replica.leaderClientAddress()));
      return;
    }
    if (resumeId === '') {
      const ttl = ttlMs === 0 ? o.defaultTtlMs : ttlMs;
      if (ttl < o.minTtlMs || ttl > o.maxTtlMs) {
        this.fail(statusError(grpc.status.INVALID_ARGUMENT, `ttl_ms ${ttlMs} is out of this server's bounds [${o.minTtlMs}, ${o.maxTtlMs}] (0 means the default, ${o.defaultTtlMs})`, 'ERR_INVALID_ARGUMENT'));
        return;
      }
      this.sessionId = randomBytes(12).toString('hex');
      this.ttlMs = ttl;
      this.service.attach(this);
      await this.proposeOrFail({ type: 'openSession', sessionId: this.sessionId, ttlMs: ttl, clientName });
      return;
    }
    this.sessionId = resumeId;
    this.service.attach(this);
    await this.proposeOrFail({ type: 'resumeSession', sessionId: resumeId });
  }

  private keepalive(seq: number): void {
    this.service.replica.renew(this.sessionId).then(
      (alive) => {
        if (alive) this.write({ keepaliveAck: { seq, ttlMs: this.ttlMs } });
      },
      (e: unknown) => this.failFromError(e),
    );
  }

  private request(requestId: number, cmd: UnstampedCommand): void {
    if (this.inFlight >= this.service.opts.maxInFlightPerStream) {
      this.write({
        failed: {
          requestId,
          code: grpc.status.RESOURCE_EXHAUSTED,
          message: `session ${this.sessionId} has ${this.inFlight} requests awaiting replication; the limit is ${this.service.opts.maxInFlightPerStream}`,
        },
      });
      return;
    }
    this.inFlight++;
    void this.proposeOrFail(cmd).finally(() => {
      this.inFlight--;
    });
  }

  /** Propose; a session-level failure in the result ends the stream with that status. */
  private async proposeOrFail(cmd: UnstampedCommand): Promise<void> {
    let out: ApplyOutput;
    try {
      out = await this.service.replica.propose(cmd);
    } catch (e) {
      this.failFromError(e);
      return;
    }
    const st = out.status;
    const sessionLevel = cmd.type === 'openSession' || cmd.type === 'resumeSession' || cmd.type === 'closeSession';
    if (sessionLevel && st.code !== grpc.status.OK) {
      this.fail(statusError(st.code, st.message, errorCodeFor(st.code)));
    }
  }

  private failFromError(e: unknown): void {
    const r = this.service.replica;
    if (e instanceof NotLeaderError || e instanceof OutcomeUnknownError) {
      // The client reconnects to the leader, resumes the session and resends under the same ids.
      this.fail(notLeader(r.id, r.leaderClientAddress()));
      return;
    }
    const msg = e instanceof Error ? e.message : String(e);
    this.service.logger.error({ err: msg, session: this.sessionId }, 'proposal failed');
    this.fail(statusError(grpc.status.UNAVAILABLE, `node ${r.id} could not replicate the request: ${msg}`, 'ERR_UNAVAILABLE'));
  }

  /** An event the state machine addressed to this session. */
  deliver(e: LockEvent): void {
    const m = this.service.metrics;
    switch (e.type) {
      case 'sessionOpened':
        this.ttlMs = e.ttlMs;
        this.write({
          opened: { sessionId: e.sessionId, ttlMs: e.ttlMs, resumed: e.resumed, holds: e.holds.map((h: HoldRef) => ({ name: h.name, token: h.token, mode: toWireMode(h.mode) })) },
        });
        // A resumed session's queued requests keep their places; tell the client where they stand.
        for (const w of e.queued) this.write({ queued: { requestId: w.requestId, name: w.name, position: w.position } });
        return;
      case 'granted':
        m?.grants.inc();
        this.write({ granted: { requestId: e.requestId, name: e.name, token: e.token, value: e.value } });
        return;
      case 'queued':
        this.write({ queued: { requestId: e.requestId, name: e.name, position: e.position } });
        return;
      case 'released':
        this.write({ released: { requestId: e.requestId, name: e.name, token: e.token } });
        return;
      case 'lost':
        this.write({ lost: { name: e.name, token: e.token, reason: e.reason } });
        return;
      case 'failed':
        m?.requestFailures.inc({ code: statusName(e.code) });
        this.write({ failed: { requestId: e.requestId, code: e.code, message: e.message } });
        return;
      case 'valuePut':
        this.write({ valuePut: { requestId: e.requestId, name: e.name, token: e.token } });
        return;
      case 'sessionExpired':
        this.fail(statusError(grpc.status.NOT_FOUND, `session ${e.sessionId} expired: ${e.reason}`, 'ERR_SESSION_EXPIRED'));
        return;
      case 'sessionClosed':
        this.finish();
        return;
      case 'renewed':
        return;
    }
  }
}

/**
 * LockService: the Acquire streams (one session each) and CheckFence. Only the leader serves;
 * a follower ends the call with UNAVAILABLE and the leader's address in a trailer.
 */
export class LockService {
  private readonly streams = new Map<string, SessionStream>();

  constructor(
    readonly replica: Replica,
    readonly opts: LockServiceOptions,
    readonly logger: Logger,
    readonly metrics?: Metrics,
  ) {
    replica.on('applied', (out) => this.route(out));
    replica.on('leader', ({ isLeader }) => {
      if (isLeader) return;
      // Every session must move to the new leader: end the streams, clients resume there.
      const err = notLeader(replica.id, replica.leaderClientAddress());
      for (const s of [...this.streams.values()]) s.fail(err);
    });
  }

  attach(s: SessionStream): void {
    const old = this.streams.get(s.sessionId);
    if (old !== undefined && old !== s) {
      old.fail(statusError(grpc.status.CANCELLED, `session ${s.sessionId} was resumed on a newer stream`, 'ERR_CANCELLED'));
    }
    this.streams.set(s.sessionId, s);
    this.metrics?.streams.set(this.streams.size);
  }

  detach(s: SessionStream): void {
    if (this.streams.get(s.sessionId) === s) this.streams.delete(s.sessionId);
    this.metrics?.streams.set(this.streams.size);
  }

  private route(out: ApplyOutput): void {
    if (this.streams.size === 0) return;
    for (const e of out.events) {
      if (e.type === 'renewed') continue;
      this.streams.get(e.sessionId)?.deliver(e);
    }
  }

  readonly handlers = {
    acquire: (call: Call): void => {
      const s = new SessionStream(call, this);
      // Messages are handled one at a time, in order, so a lock and its cancel keep their order.
      let chain = Promise.resolve();
      call.on('data', (req: AcquireRequest) => {
        chain = chain.then(() => s.onMessage(req)).catch((e: unknown) => {
          this.logger.error({ err: e instanceof Error ? e.message : String(e) }, 'acquire stream handler failed');
          s.fail(statusError(grpc.status.INTERNAL, 'internal error handling the request', 'ERR_INTERNAL'));
        });
      });
      call.on('end', () => {
        s.closedByClient();
        call.end();
      });
      call.on('cancelled', () => s.closedByClient());
      call.on('error', () => s.closedByClient());
    },

    checkFence: (
      call: grpc.ServerUnaryCall<{ name: string; token: number }, { current: boolean; latestToken: number }>,
      callback: grpc.sendUnaryData<{ current: boolean; latestToken: number }>,
    ): void => {
      const r = this.replica;
      if (!r.isLeader()) {
        callback(notLeader(r.id, r.leaderClientAddress()));
        return;
      }
      const { name, token } = call.request;
      if (name === '') {
        callback(statusError(grpc.status.INVALID_ARGUMENT, 'name must not be empty', 'ERR_INVALID_ARGUMENT'));
        return;
      }
      r.readBarrier().then(
        () => callback(null, r.sm.checkFence(name, token)),
        (e: unknown) => callback(e instanceof NotLeaderError || e instanceof OutcomeUnknownError
          ? notLeader(r.id, r.leaderClientAddress())
          : statusError(grpc.status.UNAVAILABLE, `read barrier failed: ${e instanceof Error ? e.message : String(e)}`, 'ERR_UNAVAILABLE')),
      );
    },
  };
}
