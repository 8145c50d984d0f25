/**
 * The session engine behind LockClient: one bidirectional `Acquire` stream is one session.
 *
 * - Opening: the first message is `open{session_id, ttl_ms, client_name}`; `opened` answers it.
 *   A node that is not the leader ends the call with UNAVAILABLE (+ `quorumlock-leader` when it
 *   knows the leader): the engine goes straight to the hinted leader, or to the next endpoint
 *   after a full-jitter backoff, until the budget is spent (then ClusterUnavailableError).
 * - Keepalives every `ttl * keepaliveFraction`; each acknowledgement renews the trusted-until
 *   instant from the *send* time of the acknowledged keepalive (SessionLease). A keepalive still
 *   unacknowledged when the next one is due marks the stream as dead (a silent network drops
 *   nothing visibly) and it is replaced, so the session can be resumed before its deadline.
 * - A broken stream is replaced and the session resumed (`open{session_id: old}`); then every
 *   in-flight request is written again, in order, under its original request id (the server
 *   answers a resend with its first answer, so nothing is granted twice), followed by a `cancel`
 *   for requests the caller cancelled.
 * - A resume answered with NOT_FOUND means the session expired: every lease is lost
 *   ('session expired'), requests already sent fail with SessionExpiredError, requests never
 *   sent go to a new session.
 *
 * Invariants: `inflight` holds exactly the requests whose final answer has not arrived, in
 * request-id order; `leases` holds exactly the leases whose hold may still exist on the server.
 */
import * as grpc from '@grpc/grpc-js';
import { Backoff, type BackoffOptions } from './backoff';
import { type ChannelPool, cleanDetails, errorCodeHint, leaderHint, nextEndpoint, retryAfterHint } from './channels';
import type { Clock, TimerHandle } from './clock';
import {
  ClientClosedError,
  ClusterUnavailableError,
  errorFromStatus,
  FailedPreconditionError,
  grpcCodeName,
  GrpcCode,
  isLockError,
  type LockError,
  type LockLostError,
  NotFoundError,
  SessionExpiredError,
} from './errors';
import { Lease, type LeaseGrant, type LeaseOwner } from './lease';
import type { Logger } from './logger';
import { SessionLease } from './session-lease';
import { sleep } from './sleep';
import { MAX_REDIRECTS_IN_A_ROW } from './unary';
import { wire, type AcquireRequest, type AcquireResponse, type SessionOpenedMsg } from './wire';

/** A request on the stream that expects an answer carrying its request id. */
export interface Pending {
  readonly id: number;
  readonly kind: 'lock' | 'release' | 'put';
  /** Resource name (for reconciling holds on resume). */
  readonly name: string;
  readonly request: AcquireRequest;
  /** Written on some stream at least once (the server may have it). */
  sent: boolean;
  /** The caller cancelled it after it was sent; a `cancel` follows every (re)send. */
  cancelled: boolean;
  /** An answer for this id; returns true when it is final (the request leaves `inflight`). */
  onAnswer(response: AcquireResponse): boolean;
  /** No answer will ever come (session gone, client closed, cluster unavailable). */
  onAbandon(error: LockError): void;
  /** The stream broke while the request was in flight (it will be resent). */
  onStreamLost?(): void;
}

/** What the session reports to its owner (LockClient turns these into events). */
export interface SessionEvents {
  connected(e: { endpoint: string; sessionId: string; resumed: boolean }): void;
  disconnected(e: { endpoint: string; code: number; message: string }): void;
  reconnect(e: { attempt: number; delayMs: number; endpoint: string; error: string }): void;
  redirect(e: { from: string; to: string }): void;
  sessionOpened(e: { sessionId: string; ttlMs: number; endpoint: string }): void;
  resumed(e: { sessionId: string; holds: number; endpoint: string }): void;
  sessionExpired(e: { sessionId: string; reason: string }): void;
  leaseLost(e: { lease: Lease; error: LockLostError }): void;
  leaseEnded(lease: Lease): void;
  unavailable(e: { error: ClusterUnavailableError }): void;
}

export interface SessionOptions {
  readonly endpoints: readonly string[];
  /** Requested TTL; 0 lets the server choose. */
  readonly ttlMs: number;
  readonly clientName: string;
  readonly keepaliveFraction: number;
  readonly safetyMarginMs: number | undefined;
  readonly backoff: BackoffOptions;
  /** How long an `open` may go unanswered before the attempt counts as failed. */
  readonly openTimeoutMs: number;
  /** How long `close()` waits for the server to end the stream. */
  readonly closeTimeoutMs: number;
  readonly pool: ChannelPool;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger;
  readonly events: SessionEvents;
}

type Phase = 'idle' | 'connecting' | 'open' | 'closed';

type OpenOutcome =
  | { readonly kind: 'opened' }
  | { readonly kind: 'retry'; readonly code: number; readonly message: string; readonly leader: string | undefined; readonly retryAfterMs?: number }
  | { readonly kind: 'expired'; readonly message: string }
  | { readonly kind: 'fatal'; readonly error: LockError };

/** One Acquire call. */
class Attempt {
  opened = false;
  openSentAt = 0;
  finished = false;
  settle: ((o: OpenOutcome) => void) | undefined;
  constructor(
    readonly call: grpc.ClientDuplexStream<AcquireRequest, AcquireResponse>,
    readonly target: string,
    readonly resuming: boolean,
  ) {}
}

/** Statuses that no retry can fix. */
const FATAL_OPEN_CODES: ReadonlySet<number> = new Set([
  GrpcCode.INVALID_ARGUMENT,
  GrpcCode.UNAUTHENTICATED,
  GrpcCode.PERMISSION_DENIED,
  GrpcCode.UNIMPLEMENTED,
]);

export class Session implements LeaseOwner {
  private phase: Phase = 'idle';
  private sessionIdValue = '';
  private sessionSecret = ''; // resumes the session (lock.proto `session_secret`): in memory only, never logged
  private current: Attempt | undefined;
  /** Where the next connect loop starts (a leader hint or the next endpoint). */
  private nextTarget: string | undefined;
  private readonly inflight = new Map<number, Pending>();
  private readonly leases = new Map<number, Lease>();
  private readonly lease: SessionLease;
  private nextRequestIdValue = 1;
  private keepaliveSeq = 0;
  private keepaliveTimer: TimerHandle | undefined;
  private deadlineTimer: TimerHandle | undefined;
  /** Aborts sleeps of the connect loop on close. */
  private readonly stop = new AbortController();
  private closing: Promise<void> | undefined;
  /** Callers of `whenOpen()`: settled on the next open, or when connecting stops. */
  private openWaiters: { resolve: () => void; reject: (err: LockError) => void }[] = [];
  private closedStream: (() => void) | undefined;

  constructor(private readonly o: SessionOptions) {
    this.lease = new SessionLease(() => o.clock.now(), o.safetyMarginMs);
  }

  // ---------------------------------------------------------------- state for the owner

  get sessionId(): string {
    return this.sessionIdValue;
  }

  get isOpen(): boolean {
    return this.phase === 'open';
  }

  get isClosed(): boolean {
    return this.phase === 'closed';
  }

  /** The TTL the server confirmed (0 before the first open). */
  get ttlMs(): number {
    return this.lease.ttlMs;
  }

  /** Address of the open stream, if any. */
  get endpoint(): string | undefined {
    return this.phase === 'open' ? this.current?.target : undefined;
  }

  /** Request ids are unique within a session: one counter for the client's lifetime. */
  nextRequestId(): number {
    return this.nextRequestIdValue++;
  }

  /** Live leases (for diagnostics and tests). */
  heldLeases(): Lease[] {
    return [...this.leases.values()];
  }

  // ---------------------------------------------------------------- LeaseOwner

  now(): number {
    return this.o.clock.now();
  }

  sessionDeadline(): number {
    return this.lease.deadline;
  }

  releaseHold(lease: Lease): Promise<void> {
    if (this.phase === 'closed' || !this.leases.has(lease.token)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const id = this.nextRequestId();
      this.submit({
        id,
        kind: 'release',
        name: lease.name,
        request: { release: { requestId: id, name: lease.name, token: lease.token } },
        sent: false,
        cancelled: false,
        onAnswer: (res) => {
          if (res.msg === 'released') {
            resolve();
            return true;
          }
          if (res.msg === 'failed') {
            const err = errorFromStatus(res.failed.code, res.failed.message, 'release', res.failed.errorCode);
            // The hold is gone either way: not ours any more, or the session is gone.
            if (err instanceof FailedPreconditionError || err instanceof NotFoundError || err instanceof SessionExpiredError) resolve();
            else reject(err);
            return true;
          }
          return false;
        },
        onAbandon: (err) => (isLockError(err, 'ERR_CLUSTER_UNAVAILABLE') ? reject(err) : resolve()),
      });
    });
  }

  putValue(lease: Lease, value: Uint8Array): Promise<void> {
    if (this.phase === 'closed') return Promise.reject(new ClientClosedError(`put on '${lease.name}'`));
    return new Promise((resolve, reject) => {
      const id = this.nextRequestId();
      this.submit({
        id,
        kind: 'put',
        name: lease.name,
        request: { put: { requestId: id, name: lease.name, token: lease.token, value } },
        sent: false,
        cancelled: false,
        onAnswer: (res) => {
          if (res.msg === 'valuePut') {
            resolve();
            return true;
          }
          if (res.msg === 'failed') {
            const err = errorFromStatus(res.failed.code, res.failed.message, 'put', res.failed.errorCode);
            if (isLockError(err, 'ERR_NOT_HOLDER')) {
              // The server says the token is no longer held: the lease is over.
              lease.lose('revoked', res.failed.message);
              lease.ended();
            }
            reject(err);
            return true;
          }
          return false;
        },
        onAbandon: reject,
      });
    });
  }

  leaseLost(lease: Lease, error: LockLostError): void {
    this.o.logger.warn({ name: lease.name, token: lease.token, reason: error.reason }, 'lease lost');
    this.o.events.leaseLost({ lease, error });
    // The holder may no longer act, so the hold is useless: give it back as soon as we can.
    if (error.reason === 'deadline' && !lease.isEnded) {
      lease.release().catch((err: unknown) => this.o.logger.warn({ name: lease.name, token: lease.token, err }, 'release of a lost lease failed'));
    }
  }

  leaseEnded(lease: Lease): void {
    if (this.leases.get(lease.token) === lease) this.leases.delete(lease.token);
    this.scheduleDeadlineTimer();
    this.o.events.leaseEnded(lease);
  }

  /** Creates and registers the Lease for a grant. */
  createLease(grant: LeaseGrant): Lease {
    const lease = new Lease(this, grant);
    this.leases.set(grant.token, lease);
    this.scheduleDeadlineTimer();
    return lease;
  }

  // ---------------------------------------------------------------- requests

  /** Queues a request; it is written now when the stream is open, else when it opens. */
  submit(p: Pending): void {
    if (this.phase === 'closed') {
      p.onAbandon(new ClientClosedError());
      return;
    }
    this.inflight.set(p.id, p);
    if (this.phase === 'open') this.writeRequest(p);
    else this.ensureConnecting();
  }

  /**
   * Cancels a lock request. 'dropped': it was never written, so it is simply forgotten.
   * 'sent': a cancel is on the wire and the server will answer the request. 'pending': the stream
   * is down; the cancel follows the resend. 'answered': too late, the final answer arrived.
   */
  cancel(p: Pending): 'dropped' | 'sent' | 'pending' | 'answered' {
    if (this.inflight.get(p.id) !== p) return 'answered';
    if (!p.sent) {
      this.inflight.delete(p.id);
      return 'dropped';
    }
    p.cancelled = true;
    if (this.phase !== 'open') return 'pending';
    this.write({ cancel: { requestId: p.id } });
    return 'sent';
  }

  /**
   * Resolves once a stream is open (starting the session if needed); rejects with the error that
   * stopped connecting (ClusterUnavailableError, a fatal open error, ClientClosedError).
   */
  whenOpen(): Promise<void> {
    if (this.phase === 'open') return Promise.resolve();
    if (this.phase === 'closed') return Promise.reject(new ClientClosedError());
    return new Promise((resolve, reject) => {
      this.openWaiters.push({ resolve, reject });
      this.ensureConnecting();
    });
  }

  private settleOpenWaiters(error?: LockError): void {
    const waiters = this.openWaiters;
    this.openWaiters = [];
    for (const w of waiters) {
      if (error === undefined) w.resolve();
      else w.reject(error);
    }
  }

  /**
   * Ends the session: `close{}` when a stream is open (the server releases everything at once)
   * and waits up to closeTimeoutMs for the stream to end. Every in-flight request is abandoned
   * with ClientClosedError and every lease is lost ('client closed').
   */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    const attempt = this.phase === 'open' ? this.current : undefined;
    const connecting = this.phase === 'connecting' ? this.current : undefined;
    this.phase = 'closed';
    this.stop.abort();
    this.stopTimers();
    const err = new ClientClosedError();
    this.settleOpenWaiters(err);
    for (const p of [...this.inflight.values()]) p.onAbandon(err);
    this.inflight.clear();
    for (const l of [...this.leases.values()]) {
      l.lose('client closed');
      l.ended();
    }
    if (attempt !== undefined && !attempt.finished) {
      const ended = new Promise<void>((resolve) => {
        this.closedStream = resolve;
      });
      try {
        attempt.call.write({ close: {} });
        attempt.call.end();
      } catch {
        // the stream died meanwhile: the server expires the session after its TTL
      }
      const waited = new AbortController();
      await Promise.race([ended, sleep(this.o.clock, this.o.closeTimeoutMs, waited.signal)]);
      waited.abort();
      if (!attempt.finished) attempt.call.cancel();
    } else if (connecting !== undefined) {
      connecting.call.cancel();
    }
    this.current = undefined;
    this.o.pool.close();
  }

  // ---------------------------------------------------------------- connecting

  private ensureConnecting(): void {
    if (this.phase !== 'idle') return;
    this.phase = 'connecting';
    this.connectLoop().catch((err: unknown) => {
      // A bug, not an operational error: surface it loudly but keep the process alive.
      this.o.logger.error({ err }, 'session connect loop crashed');
      this.giveUp(`internal error: ${String(err)}`);
    });
  }

  private async connectLoop(): Promise<void> {
    const backoff = new Backoff(this.o.backoff, () => this.o.clock.now(), this.o.random);
    let target = this.nextTarget ?? this.o.endpoints[0];
    if (target === undefined) throw new Error('invariant: no endpoints');
    this.nextTarget = undefined;
    let redirects = 0;
    let lastError = '';
    for (;;) {
      if (this.phase !== 'connecting') return;
      const outcome = await this.openStream(target);
      if (this.phase !== 'connecting' && outcome.kind !== 'opened') return;
      switch (outcome.kind) {
        case 'opened':
          return;
        case 'fatal':
          this.failAll(outcome.error);
          this.settleOpenWaiters(outcome.error);
          if (this.phase === 'connecting') this.phase = 'idle';
          return;
        case 'expired':
          this.sessionGone(outcome.message);
          if (this.inflight.size === 0) {
            this.phase = 'idle';
            return;
          }
          continue; // unsent requests go to a fresh session, on the same node
        case 'retry': {
          lastError = `${target}: ${grpcCodeName(outcome.code)} ${outcome.message}`;
          if (outcome.retryAfterMs !== undefined) {
            // The leader is busy and said when to come back: the same node, after its hint
            // (another node would only redirect here). It still spends the retry budget.
            redirects = 0;
            if (backoff.next() === undefined) {
              this.giveUp(`gave up after ${Math.round(backoff.elapsedMs())} ms and ${backoff.attempts + 1} attempts; last error: ${lastError}`);
              if (!this.hasTrustedLease()) return;
              this.phase = 'connecting';
              backoff.reset();
            }
            this.o.events.reconnect({ attempt: backoff.attempts, delayMs: outcome.retryAfterMs, endpoint: target, error: lastError });
            await sleep(this.o.clock, outcome.retryAfterMs, this.stop.signal);
            break;
          }
          const hint = outcome.leader;
          if (hint !== undefined && hint !== target && redirects < MAX_REDIRECTS_IN_A_ROW) {
            redirects++;
            this.o.events.redirect({ from: target, to: hint });
            target = hint;
            continue;
          }
          redirects = 0;
          target = hint !== undefined && hint !== target ? hint : nextEndpoint(this.o.endpoints, target);
          let delay = backoff.next();
          if (delay === undefined) {
            this.giveUp(`gave up after ${Math.round(backoff.elapsedMs())} ms and ${backoff.attempts + 1} attempts; last error: ${lastError}`);
            // Callers got their error, but a lease that is still trusted is worth saving: keep
            // trying until it is lost (its deadline passes without acknowledgements, so this ends).
            if (!this.hasTrustedLease()) return;
            this.phase = 'connecting';
            backoff.reset();
            delay = backoff.next() ?? 0;
          }
          this.o.events.reconnect({ attempt: backoff.attempts, delayMs: delay, endpoint: target, error: lastError });
          await sleep(this.o.clock, delay, this.stop.signal);
          break;
        }
      }
    }
  }

  /** Budget spent: everything in flight fails; the session id is kept so a later call may still resume. */
  private giveUp(detail: string): void {
    const error = new ClusterUnavailableError(this.o.endpoints, 'leader', detail);
    this.o.logger.warn({ detail }, 'cluster unavailable');
    this.failAll(error);
    this.settleOpenWaiters(error);
    if (this.phase === 'connecting') this.phase = 'idle';
    this.o.events.unavailable({ error });
  }

  private hasTrustedLease(): boolean {
    return [...this.leases.values()].some((l) => l.valid);
  }

  private failAll(error: LockError): void {
    for (const p of [...this.inflight.values()]) {
      this.inflight.delete(p.id);
      p.onAbandon(error);
    }
  }

  private openStream(target: string): Promise<OpenOutcome> {
    return new Promise((resolve) => {
      const codec = wire().acquire;
      let call: grpc.ClientDuplexStream<AcquireRequest, AcquireResponse>;
      try {
        call = this.o.pool.get(target).makeBidiStreamRequest(codec.path, codec.requestSerialize, codec.responseDeserialize, new grpc.Metadata());
      } catch (err) {
        resolve({ kind: 'retry', code: GrpcCode.UNAVAILABLE, message: `cannot call ${target}: ${String(err)}`, leader: undefined });
        return;
      }
      const attempt = new Attempt(call, target, this.sessionIdValue !== '');
      this.current = attempt;
      const timer = this.o.clock.setTimeout(() => {
        attempt.settle?.({ kind: 'retry', code: GrpcCode.UNAVAILABLE, message: `no answer to open within ${this.o.openTimeoutMs} ms`, leader: undefined });
        this.abandon(attempt);
      }, this.o.openTimeoutMs);
      attempt.settle = (o) => {
        attempt.settle = undefined;
        this.o.clock.clearTimeout(timer);
        resolve(o);
      };
      call.on('data', (res: AcquireResponse) => this.onData(attempt, res));
      call.on('error', () => undefined); // the 'status' event carries the outcome
      call.on('status', (status: grpc.StatusObject) => this.onStatus(attempt, status));
      attempt.openSentAt = this.o.clock.now();
      call.write({ open: { sessionId: this.sessionIdValue, ttlMs: this.o.ttlMs, clientName: this.o.clientName, sessionSecret: this.sessionIdValue === '' ? '' : this.sessionSecret } });
    });
  }

  /** Drops an attempt we no longer want (timeout, dead stream); its late events are ignored. */
  private abandon(attempt: Attempt): void {
    if (this.current === attempt) this.current = undefined;
    attempt.finished = true;
    attempt.call.cancel();
  }

  private onStatus(attempt: Attempt, status: grpc.StatusObject): void {
    // Deliver the messages still buffered ahead of the status before acting on it.
    const finish = (): void => this.onCallEnded(attempt, status);
    if (attempt.call.readableEnded) finish();
    else {
      let done = false;
      const once = (): void => {
        if (done) return;
        done = true;
        this.o.clock.clearTimeout(fallback);
        finish();
      };
      attempt.call.once('end', once);
      const fallback = this.o.clock.setTimeout(once, 200);
    }
  }

  private onCallEnded(attempt: Attempt, raw: grpc.StatusObject): void {
    const status = { ...raw, details: cleanDetails(raw.details) };
    const wasFinished = attempt.finished;
    attempt.finished = true;
    if (this.phase === 'closed') {
      this.closedStream?.();
      return;
    }
    if (wasFinished || this.current !== attempt) return;
    this.current = undefined;
    const leader = leaderHint(status.metadata);
    if (!attempt.opened) {
      const outcome = this.classify(attempt, status.code, status.details, leader, errorCodeHint(status.metadata));
      const retryAfterMs = status.code === GrpcCode.RESOURCE_EXHAUSTED ? retryAfterHint(status.metadata) : undefined;
      attempt.settle?.(outcome.kind === 'retry' && retryAfterMs !== undefined ? { ...outcome, retryAfterMs } : outcome);
      return;
    }
    this.streamLost(attempt, status.code, status.details, leader);
  }

  private classify(attempt: Attempt, code: number, message: string, leader: string | undefined, errorCode?: string): OpenOutcome {
    if (attempt.resuming && (code === GrpcCode.NOT_FOUND || errorCode === 'ERR_SESSION_NOT_FOUND' || errorCode === 'ERR_SESSION_EXPIRED')) return { kind: 'expired', message };
    if (FATAL_OPEN_CODES.has(code)) return { kind: 'fatal', error: errorFromStatus(code, message, 'open', errorCode) };
    return { kind: 'retry', code, message: message === '' ? '(no details)' : message, leader };
  }

  private streamLost(attempt: Attempt, code: number, message: string, leader: string | undefined): void {
    this.stopKeepalive();
    this.lease.streamLost();
    this.checkDeadlines();
    this.o.logger.info({ endpoint: attempt.target, code: grpcCodeName(code), message, leader }, 'session stream lost; resuming');
    this.o.events.disconnected({ endpoint: attempt.target, code, message });
    for (const p of [...this.inflight.values()]) p.onStreamLost?.();
    if (this.phase !== 'open') return;
    this.phase = 'idle';
    this.nextTarget = leader ?? nextEndpoint(this.o.endpoints, attempt.target);
    this.ensureConnecting();
  }

  // ---------------------------------------------------------------- receiving

  private onData(attempt: Attempt, res: AcquireResponse): void {
    if (this.current !== attempt || attempt.finished || (this.phase === 'closed' && !attempt.opened)) return;
    this.checkDeadlines(); // latch expired leases before anything can renew them
    if (!attempt.opened) {
      if (res.msg === 'opened') this.onOpened(attempt, res.opened);
      else if (res.msg === 'failed') {
        attempt.settle?.(this.classify(attempt, res.failed.code, res.failed.message, undefined, res.failed.errorCode));
        this.abandon(attempt);
      } else this.o.logger.warn({ msg: res.msg }, 'message before opened ignored');
      return;
    }
    switch (res.msg) {
      case 'opened':
        this.o.logger.warn({ sessionId: res.opened.sessionId }, 'unexpected second opened ignored');
        return;
      case 'keepaliveAck':
        if (this.lease.keepaliveAcked(res.keepaliveAck.seq, res.keepaliveAck.ttlMs)) this.scheduleDeadlineTimer();
        return;
      case 'lost': {
        const l = this.leases.get(res.lost.token);
        if (l === undefined || l.name !== res.lost.name) return;
        l.lose(res.lost.errorCode === 'ERR_SESSION_EXPIRED' ? 'session expired' : 'revoked', res.lost.reason);
        l.ended();
        return;
      }
      case 'granted':
      case 'queued':
      case 'released':
      case 'failed':
      case 'valuePut': {
        const id = requestIdOf(res);
        const p = this.inflight.get(id);
        if (p === undefined) {
          this.unmatched(res);
          return;
        }
        if (p.onAnswer(res)) this.inflight.delete(id);
        return;
      }
      default:
        return assertNever(res);
    }
  }

  /** An answer to no request in flight: a grant nobody waits for is handed back. */
  private unmatched(res: AcquireResponse): void {
    if (res.msg === 'granted' && !this.leases.has(res.granted.token)) {
      this.o.logger.warn({ name: res.granted.name, token: res.granted.token }, 'grant for no pending request; releasing it');
      this.releaseOrphan(res.granted.name, res.granted.token);
      return;
    }
    this.o.logger.debug({ msg: res.msg }, 'answer for no pending request ignored');
  }

  private releaseOrphan(name: string, token: number): void {
    const id = this.nextRequestId();
    this.submit({
      id,
      kind: 'release',
      name,
      request: { release: { requestId: id, name, token } },
      sent: false,
      cancelled: false,
      onAnswer: (res) => res.msg === 'released' || res.msg === 'failed',
      onAbandon: () => undefined,
    });
  }

  private onOpened(attempt: Attempt, opened: SessionOpenedMsg): void {
    const previous = this.sessionIdValue;
    const resumed = previous !== '' && opened.resumed && opened.sessionId === previous;
    if (previous !== '' && !resumed) this.sessionGone(`the server opened a new session instead of resuming ${previous}`);
    attempt.opened = true;
    this.phase = 'open';
    this.sessionIdValue = opened.sessionId;
    if (!resumed) this.sessionSecret = opened.sessionSecret ?? '';
    const ttl = opened.ttlMs > 0 ? opened.ttlMs : this.o.ttlMs;
    this.lease.opened(attempt.openSentAt, ttl);
    // Resend in request-id order (Map keeps insertion order, and ids only grow). Releases of
    // orphaned holds (written by reconcile) go first, and only once.
    const resend = [...this.inflight.values()];
    if (resumed) this.reconcile(opened);
    for (const p of resend) this.writeRequest(p);
    this.startKeepalive();
    this.scheduleDeadlineTimer();
    attempt.settle?.({ kind: 'opened' });
    this.settleOpenWaiters();
    const endpoint = attempt.target;
    if (resumed) this.o.events.resumed({ sessionId: opened.sessionId, holds: opened.holds.length, endpoint });
    else this.o.events.sessionOpened({ sessionId: opened.sessionId, ttlMs: ttl, endpoint });
    this.o.events.connected({ endpoint, sessionId: opened.sessionId, resumed });
  }

  /**
   * After a resume: leases the server no longer has are lost; holds nobody owns are released.
   * A hold is ours when it has a lease, or when its lock request is still awaited (its resend
   * gets the grant again). Any other hold was granted to a request whose answer never arrived
   * (given up after the retry budget, or a release that was refused): nothing else would ever
   * release it, even while another request for the same name is in flight.
   */
  private reconcile(opened: SessionOpenedMsg): void {
    const held = new Map(opened.holds.map((h) => [h.token, h]));
    for (const l of [...this.leases.values()]) {
      if (held.get(l.token)?.name === l.name) continue;
      l.lose('revoked', 'the hold was gone when the session resumed');
      l.ended();
    }
    const locks = [...this.inflight.values()].filter((p) => p.kind === 'lock');
    const awaitedIds = new Set(locks.map((p) => p.id));
    // A server that does not send request ids (0): fall back to the name, which may keep an orphan.
    const awaitedNames = new Set(locks.map((p) => p.name));
    for (const h of opened.holds) {
      if (this.leases.has(h.token)) continue;
      const awaited = h.requestId > 0 ? awaitedIds.has(h.requestId) : awaitedNames.has(h.name);
      if (!awaited) this.releaseOrphan(h.name, h.token);
    }
  }

  /** The session no longer exists: leases lost, requests already sent fail, unsent ones stay for a new session. */
  private sessionGone(reason: string): void {
    const sessionId = this.sessionIdValue;
    this.o.logger.warn({ sessionId, reason }, 'session expired');
    this.stopTimers();
    this.lease.reset();
    this.sessionIdValue = '';
    for (const l of [...this.leases.values()]) {
      l.lose('session expired', reason);
      l.ended();
    }
    const error = new SessionExpiredError(`session ${sessionId} no longer exists on the server (${reason})`);
    for (const p of [...this.inflight.values()]) {
      if (p.sent || p.kind !== 'lock') {
        this.inflight.delete(p.id);
        p.onAbandon(error);
      }
    }
    this.o.events.sessionExpired({ sessionId, reason });
  }

  // ---------------------------------------------------------------- writing

  private writeRequest(p: Pending): void {
    this.write(p.request);
    p.sent = true;
    if (p.cancelled) this.write({ cancel: { requestId: p.id } });
  }

  private write(msg: AcquireRequest): void {
    const a = this.current;
    if (a === undefined || a.finished || !a.opened) return;
    try {
      a.call.write(msg);
    } catch (err) {
      // The stream is going away; its 'status' event triggers the resume and the resend.
      this.o.logger.debug({ err }, 'write on a closing stream');
    }
  }

  // ---------------------------------------------------------------- timers

  private keepaliveIntervalMs(): number {
    return Math.max(10, Math.floor(this.lease.ttlMs * this.o.keepaliveFraction));
  }

  private startKeepalive(): void {
    this.stopKeepalive();
    const tick = (): void => {
      this.keepaliveTimer = undefined;
      const a = this.current;
      if (this.phase !== 'open' || a === undefined) return;
      // The keepalive sent one interval ago is still unacknowledged: the path is probably dead
      // without the socket knowing (a partition, a black hole). Resume elsewhere while the lease
      // still has time left, instead of waiting for TCP to notice.
      if (this.lease.oldestUnackedAgeMs() >= this.keepaliveIntervalMs() * 0.9) {
        this.o.logger.warn({ endpoint: a.target, silentMs: Math.round(this.lease.oldestUnackedAgeMs()) }, 'keepalive acks stopped; replacing the stream');
        this.abandon(a);
        this.streamLost(a, GrpcCode.UNAVAILABLE, 'keepalive acknowledgements stopped', undefined);
        return;
      }
      const seq = ++this.keepaliveSeq;
      this.lease.keepaliveSent(seq);
      this.write({ keepalive: { seq } });
      this.keepaliveTimer = this.o.clock.setTimeout(tick, this.keepaliveIntervalMs(), { unref: true });
    };
    this.keepaliveTimer = this.o.clock.setTimeout(tick, this.keepaliveIntervalMs(), { unref: true });
  }

  private stopKeepalive(): void {
    if (this.keepaliveTimer !== undefined) this.o.clock.clearTimeout(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
  }

  /** Fires every lease's signal the moment the session deadline passes. */
  private scheduleDeadlineTimer(): void {
    if (this.deadlineTimer !== undefined) this.o.clock.clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    if (this.phase === 'closed' || !this.hasTrustedLease()) return;
    const wait = this.lease.deadline - this.o.clock.now();
    this.deadlineTimer = this.o.clock.setTimeout(
      () => {
        this.deadlineTimer = undefined;
        this.checkDeadlines();
        this.scheduleDeadlineTimer();
      },
      Math.max(0, wait),
      { unref: true },
    );
  }

  private checkDeadlines(): void {
    for (const l of [...this.leases.values()]) l.checkDeadline();
  }

  private stopTimers(): void {
    this.stopKeepalive();
    if (this.deadlineTimer !== undefined) this.o.clock.clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
  }
}

function requestIdOf(res: AcquireResponse): number {
  switch (res.msg) {
    case 'granted':
      return res.granted.requestId;
    case 'queued':
      return res.queued.requestId;
    case 'released':
      return res.released.requestId;
    case 'failed':
      return res.failed.requestId;
    case 'valuePut':
      return res.valuePut.requestId;
    default:
      return -1;
  }
}

function assertNever(x: never): never {
  throw new Error(`invariant: unexpected message ${JSON.stringify(x)}`);
}
