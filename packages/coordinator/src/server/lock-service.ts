import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { NotLeaderError, OutcomeUnknownError, type Logger } from '@quorumlock/raft';
import type { Replica, StreamRequest, UnstampedCommand } from '../replica';
import type { RenewListener } from '../renew-batcher';
import type { ApplyOutput, HoldRef, LockEvent } from '../state/events';
import type { Metrics } from '../metrics';
import { notLeader, statusError, type StatusError } from './errors';
import { LoopLag, OpenAdmission, RETRY_AFTER_TRAILER, type AdmissionOptions } from './admission';
import { statusName } from './grpc-metrics';
import { TurnBudget } from './turn-budget';
import { InOrder } from './in-order';
import type { LockServiceHandlers } from '@quorumlock/proto';
import type { AcquireRequest, AcquireResponse, WireLock, WireMode } from './proto';
import { invalidUtf8Of } from './strict-utf8';
import { checkAcquireRequest, checkName, checkUint53, utf8Refusal, type AcquireRefusal } from './validate';
import type { StreamAccess } from './auth/stream-access';

export interface LockServiceOptions {
  readonly defaultTtlMs: number;
  readonly minTtlMs: number;
  readonly maxTtlMs: number;
  /**
   * Requests of one stream that may await their proposal at once. Beyond, the stream is not read
   * until one is decided (back-pressure through HTTP/2 flow control): a refusal under the
   * request's id would look final to the client although the log never decided it.
   */
  readonly maxInFlightPerStream: number;
  /** Admission control of session opens and resumes (none when absent). */
  readonly admission?: AdmissionOptions;
  /** Session secrets, and with authorization on the caller's identity and lock-name permissions (auth/stream-access.ts). */
  readonly access: StreamAccess;
}

type Call = grpc.ServerDuplexStream<AcquireRequest, AcquireResponse>;

/**
 * A slice small enough to leave the Raft tick its turn every few milliseconds even on a loaded
 * machine (the open path costs about 0.1-0.2 ms there), large enough not to slow a burst down.
 */
const OPENS_PER_TURN = 64;

const toWireMode = (m: 'exclusive' | 'shared'): WireMode => (m === 'shared' ? 'SHARED' : 'EXCLUSIVE');

/**
 * One Acquire stream: one session. It validates what the state machine cannot (the stream's
 * protocol, TTL bounds), turns messages into proposals, and writes the events the machine
 * addresses to its session. It never answers a request itself except for stream-level
 * validation: grants, queue positions and failures come from the replicated log, so the answer
 * is the same after a failover and a resend.
 *
 * The first message it writes is `opened`; events of its session decided before that (the
 * stream is attached before its open or resume is applied, and a resume may follow entries that
 * answer the session's older streams) are not written: `opened` and the answers to resends carry
 * their outcome, and a client must not see an answer before it knows its session is back.
 */
class SessionStream implements RenewListener {
  sessionId = '';
  ttlMs = 0;
  /** The secret of the session this stream created (only it learns it, in `opened`). */
  private secret = '';
  private ended = false;
  private inFlight = 0;
  /** `opened` has been written: from now on every event of the session is written, in log order. */
  private openedWritten = false;
  /** Keepalive acknowledgements due before `opened` (a client that did not wait for it). */
  private earlyAcks: AcquireResponse[] = [];
  /** The message handler waiting for a request to leave replication (at most one: it is sequential). */
  private slotFreed: (() => void) | undefined;

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
    this.wakeHandler();
    this.call.emit('error', err);
  }

  /** End the stream cleanly (status OK). */
  finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.service.detach(this);
    this.wakeHandler();
    this.call.end();
  }

  closedByClient(): void {
    this.ended = true;
    this.service.detach(this);
    this.wakeHandler();
  }

  private wakeHandler(): void {
    const wake = this.slotFreed;
    this.slotFreed = undefined;
    wake?.();
  }

  /** Handles one message; a promise when the messages behind it must wait for it (see InOrder). */
  onMessage(req: AcquireRequest): Promise<void> | undefined {
    if (this.ended) return undefined;
    const kind = req.msg;
    // State-independent checks come before any proposal: a refused request never reaches the log.
    if (this.sessionId !== '' || kind === 'open') {
      const refused = checkAcquireRequest(req, this.service.replica.sm.limits, invalidUtf8Of(req)) ?? this.service.opts.access.requestRefusal(this.call, req);
      if (refused !== undefined) {
        this.refuse(refused);
        return undefined;
      }
    }
    if (this.sessionId === '') {
      if (kind !== 'open' || req.open == null) {
        this.fail(statusError('ERR_INVALID_ARGUMENT', `the first message of an Acquire stream must be \`open\`, got \`${kind ?? 'an empty message'}\``));
        return undefined;
      }
      return this.open(req.open.sessionId, req.open.ttlMs, req.open.clientName, req.open.sessionSecret ?? '');
    }
    switch (kind) {
      case 'open':
        this.fail(statusError('ERR_INVALID_ARGUMENT', `session ${this.sessionId} is already open on this stream; \`open\` must be sent once`));
        return undefined;
      case 'keepalive':
        this.service.replica.renew(this.sessionId, req.keepalive?.seq ?? 0, this);
        return undefined;
      // Requests are proposed in arrival order (that is what orders them in the log) but not
      // awaited: a session may have many requests replicating at once (up to the limit).
      case 'lock':
        return req.lock ? this.request(this.lockCommand(req.lock)) : undefined;
      case 'release':
        return req.release ? this.request({ type: 'release', sessionId: this.sessionId, requestId: req.release.requestId, name: req.release.name, token: req.release.token }) : undefined;
      case 'cancel':
        return req.cancel ? this.request({ type: 'cancel', sessionId: this.sessionId, requestId: req.cancel.requestId }) : undefined;
      case 'put':
        return req.put ? this.request(this.putCommand(req.put)) : undefined;
      case 'close':
        void this.proposeOrFail({ type: 'closeSession', sessionId: this.sessionId });
        return undefined;
      default:
        this.fail(statusError('ERR_INVALID_ARGUMENT', 'empty AcquireRequest: set one of open, lock, release, keepalive, close, cancel, put'));
        return undefined;
    }
  }

  /** A request refused before the log: `failed` under its id, or the stream ends when it has none. */
  private refuse(r: AcquireRefusal): void {
    if (r.requestId === undefined) {
      this.fail(statusError(r.errorCode, r.message));
      return;
    }
    this.service.metrics?.requestFailures.inc({ code: String(r.code) });
    this.write({ failed: { requestId: r.requestId, code: r.code, message: r.message, errorCode: r.errorCode } });
  }

  private lockCommand(l: WireLock): StreamRequest {
    // An unknown enum number arrives as a number; the machine rejects the odd mode by name.
    const mode = l.mode === 'SHARED' ? 'shared' : l.mode === 'EXCLUSIVE' ? 'exclusive' : (`mode ${String(l.mode)}` as 'exclusive');
    return {
      type: 'lock', sessionId: this.sessionId, requestId: l.requestId, name: l.name, capacity: l.capacity, mode,
      waitTimeoutMs: l.waitTimeoutMs, tryOnly: l.tryOnly, lockDelayMs: l.lockDelayMs, permits: l.permits, priority: l.priority,
    };
  }

  private putCommand(p: NonNullable<AcquireRequest['put']>): StreamRequest {
    return { type: 'put', sessionId: this.sessionId, requestId: p.requestId, name: p.name, token: p.token, value: new Uint8Array(p.value) };
  }

  private async open(resumeId: string, ttlMs: number, clientName: string, presentedSecret: string): Promise<void> {
    await this.service.openTurns.take();
    if (this.ended) return;
    const o = this.service.opts;
    if (!this.service.replica.isLeader()) {
      this.fail(notLeader(this.service.replica.id, this.service.replica.leaderClientAddress()));
      return;
    }
    if (resumeId === '') {
      const ttl = ttlMs === 0 ? o.defaultTtlMs : ttlMs;
      if (ttl < o.minTtlMs || ttl > o.maxTtlMs) {
        this.fail(statusError('ERR_INVALID_ARGUMENT', `ttl_ms ${ttlMs} is out of this server's bounds [${o.minTtlMs}, ${o.maxTtlMs}] (0 means the default, ${o.defaultTtlMs})`));
        return;
      }
      if (!this.admit()) return;
      this.sessionId = randomBytes(12).toString('hex');
      this.ttlMs = ttl;
      const claim = o.access.newSession(this.call);
      this.secret = claim.secret;
      this.service.attach(this);
      await this.proposeOrFail({ type: 'openSession', sessionId: this.sessionId, ttlMs: ttl, clientName, ...claim.replicated }).finally(() => this.service.admission?.done());
      return;
    }
    // Checked before attaching: a refused resume must not end the owner's live stream.
    const resume = o.access.resume(this.call, resumeId, presentedSecret, this.service.replica.sm.getSession(resumeId));
    if ('refusal' in resume) {
      this.fail(resume.refusal);
      return;
    }
    if (!this.admit()) return;
    this.sessionId = resumeId;
    this.service.attach(this);
    await this.proposeOrFail({ type: 'resumeSession', sessionId: resumeId, ...resume.replicated }).finally(() => this.service.admission?.done());
  }

  /** Admission control: false (and the stream ended with a retryable refusal) when the node is too busy. */
  private admit(): boolean {
    const refusal = this.service.admission?.tryAdmit();
    if (refusal === undefined) return true;
    this.service.metrics?.openRefusals.inc();
    this.fail(statusError('ERR_NODE_BUSY', refusal.reason, { [RETRY_AFTER_TRAILER]: String(refusal.retryAfterMs) }));
    return false;
  }

  /** The renew entry carrying keepalive `seq` applied: acknowledged only if the session was alive then. */
  renewed(seq: number, alive: boolean): void {
    if (!alive) return;
    const ack: AcquireResponse = { keepaliveAck: { seq, ttlMs: this.ttlMs } };
    if (this.openedWritten) this.write(ack);
    else this.earlyAcks.push(ack);
  }

  renewFailed = (err: Error): void => this.failFromError(err);

  /**
   * Proposes a request without awaiting its outcome. At the in-flight limit it first waits, with
   * the stream paused, for one to leave replication: the request is never answered by anything
   * but the log (an answer under its id would be final to the client, even for a resend of a
   * request that was granted).
   */
  private request(cmd: StreamRequest): Promise<void> | undefined {
    return this.inFlight >= this.service.opts.maxInFlightPerStream ? this.requestWhenFree(cmd) : this.submit(cmd);
  }

  private async requestWhenFree(cmd: StreamRequest): Promise<void> {
    const limit = this.service.opts.maxInFlightPerStream;
    this.call.pause();
    while (this.inFlight >= limit && !this.ended) {
      await new Promise<void>((resolve) => {
        this.slotFreed = resolve;
      });
    }
    if (this.ended) return;
    this.call.resume();
    this.submit(cmd);
  }

  private submit(cmd: StreamRequest): undefined {
    this.inFlight++;
    // The answer reaches this stream through `deliver` (the replica's `applied`); what is awaited
    // here is only that the entry applied, or that it may not have.
    this.service.replica.submitRequest(cmd, this.submitted);
    return undefined;
  }

  private readonly submitted = (err: Error | undefined): void => {
    if (err !== undefined) this.failFromError(err);
    this.inFlight--;
    this.wakeHandler();
  };

  /**
   * Propose a session-level command (open, resume, close). Its success is an event (`opened`,
   * `sessionClosed`) that reaches the stream through `deliver`; a refusal has no session to be
   * addressed to, so it comes back as the entry's status and ends the stream with it.
   */
  private async proposeOrFail(cmd: Extract<UnstampedCommand, { type: 'openSession' | 'resumeSession' | 'closeSession' }>): Promise<void> {
    let out: ApplyOutput;
    try {
      out = await this.service.replica.propose(cmd);
    } catch (e) {
      this.failFromError(e);
      return;
    }
    const st = out.status;
    if (st.code !== grpc.status.OK) this.fail(statusError(st.errorCode ?? 'ERR_INTERNAL', st.message));
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
    this.fail(statusError('ERR_UNAVAILABLE', `node ${r.id} could not replicate the request: ${msg}`));
  }

  /** An event the state machine addressed to this session. */
  deliver(e: LockEvent): void {
    const m = this.service.metrics;
    // Decided before this stream's open or resume: `opened` carries its outcome (see the class comment).
    if (!this.openedWritten && e.type !== 'sessionOpened' && e.type !== 'sessionExpired' && e.type !== 'sessionClosed') return;
    switch (e.type) {
      case 'sessionOpened': {
        this.ttlMs = e.ttlMs;
        this.write({
          opened: {
            sessionId: e.sessionId, ttlMs: e.ttlMs, resumed: e.resumed, holds: e.holds.map((h: HoldRef) => ({ name: h.name, token: h.token, mode: toWireMode(h.mode), requestId: h.requestId })),
            sessionSecret: e.resumed ? '' : this.secret,
          },
        });
        this.openedWritten = true;
        // A resumed session's queued requests keep their places; tell the client where they stand.
        for (const w of e.queued) this.write({ queued: { requestId: w.requestId, name: w.name, position: w.position } });
        const acks = this.earlyAcks;
        this.earlyAcks = [];
        for (const ack of acks) this.write(ack);
        return;
      }
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
        this.write({ lost: { name: e.name, token: e.token, reason: e.reason, errorCode: e.cause === 'expired' ? 'ERR_SESSION_EXPIRED' : '' } });
        return;
      case 'failed':
        m?.requestFailures.inc({ code: statusName(e.code) });
        this.write({ failed: { requestId: e.requestId, code: e.code, message: e.message, errorCode: e.errorCode } });
        return;
      case 'valuePut':
        this.write({ valuePut: { requestId: e.requestId, name: e.name, token: e.token } });
        return;
      case 'sessionExpired':
        this.fail(statusError('ERR_SESSION_EXPIRED', `session ${e.sessionId} expired: ${e.reason}`));
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
  readonly admission: OpenAdmission | undefined;
  /** Opens and resumes handled per event-loop turn (see TurnBudget). */
  readonly openTurns = new TurnBudget(OPENS_PER_TURN);
  private readonly loopLag: LoopLag | undefined;

  constructor(
    readonly replica: Replica,
    readonly opts: LockServiceOptions,
    readonly logger: Logger,
    readonly metrics?: Metrics,
  ) {
    if (opts.admission !== undefined) {
      const lag = new LoopLag();
      this.loopLag = lag;
      this.admission = new OpenAdmission(opts.admission, () => lag.recentMs());
    }
    replica.on('applied', (out) => this.route(out));
    replica.on('leader', ({ isLeader }) => {
      if (isLeader) return;
      // Every session must move to the new leader: end the streams, clients resume there.
      const err = notLeader(replica.id, replica.leaderClientAddress());
      for (const s of [...this.streams.values()]) s.fail(err);
    });
  }

  /** Stop the loop-lag timer (server shutdown). */
  stop(): void {
    this.loopLag?.stop();
  }

  attach(s: SessionStream): void {
    const old = this.streams.get(s.sessionId);
    if (old !== undefined && old !== s) {
      old.fail(statusError('ERR_CANCELLED', `session ${s.sessionId} was resumed on a newer stream`));
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

  readonly handlers: LockServiceHandlers = {
    Acquire: (call: Call): void => {
      const s = new SessionStream(call, this);
      // Messages are handled one at a time, in order, so a lock and its cancel keep their order.
      const messages = new InOrder<AcquireRequest>((req) => s.onMessage(req), (e: unknown) => {
        this.logger.error({ err: e instanceof Error ? e.message : String(e) }, 'acquire stream handler failed');
        s.fail(statusError('ERR_INTERNAL', 'internal error handling the request'));
      });
      call.on('data', (req: AcquireRequest) => messages.push(req));
      call.on('end', () => {
        s.closedByClient();
        call.end();
      });
      call.on('cancelled', () => s.closedByClient());
      call.on('error', () => s.closedByClient());
    },

    CheckFence: (call, callback): void => {
      const r = this.replica;
      const { name, token } = call.request;
      // Refused by any node, leader or not: the answer does not depend on state.
      const bad = invalidUtf8Of(call.request);
      const refused = bad !== undefined ? utf8Refusal(bad) : checkName('name', name, r.sm.limits) ?? checkUint53('token', token);
      if (refused !== undefined) {
        callback(statusError(refused.errorCode, refused.message));
        return;
      }
      if (!r.isLeader()) {
        callback(notLeader(r.id, r.leaderClientAddress()));
        return;
      }
      r.readBarrier().then(
        () => callback(null, r.sm.checkFence(name, token)),
        (e: unknown) => callback(e instanceof NotLeaderError || e instanceof OutcomeUnknownError
          ? notLeader(r.id, r.leaderClientAddress())
          : statusError('ERR_UNAVAILABLE', `read barrier failed: ${e instanceof Error ? e.message : String(e)}`)),
      );
    },
  };
}
