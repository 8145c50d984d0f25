/**
 * The session engine behind LockClient: one session, carried by one `Acquire` stream at a time.
 * The Connection (connection.ts) dials, follows redirects, backs off and keeps the stream; the
 * session owns what outlives a stream: its id and secret, request ids, the in-flight table, the
 * leases and their deadlines, and what a resume means.
 *
 * - Keepalives (keepalive.ts) renew the trusted-until instant (SessionLease); a stream whose
 *   keepalives go unacknowledged is replaced, so the session can be resumed before its deadline.
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
import type { BackoffOptions } from './backoff';
import type { ChannelPool } from './channels';
import type { Clock, TimerHandle } from './clock';
import { Connection, type ConnectionEvents } from './connection';
import { ClientClosedError, grpcCodeName, type LockError, type LockLostError, SessionExpiredError } from './errors';
import { Keepalive } from './keepalive';
import { Lease, type LeaseGrant, type LeaseOwner } from './lease';
import type { Logger } from './logger';
import { orphanReleasePending, type Pending, putPending, releasePending, requestIdOf } from './pending';
import { SessionLease } from './session-lease';
import type { AcquireRequest, AcquireResponse, SessionOpenedMsg } from './wire';

/** What the session reports to its owner (LockClient turns these into events). */
export interface SessionEvents extends ConnectionEvents {
  connected(e: { endpoint: string; sessionId: string; resumed: boolean }): void;
  disconnected(e: { endpoint: string; code: number; message: string }): void;
  sessionOpened(e: { sessionId: string; ttlMs: number; endpoint: string }): void;
  resumed(e: { sessionId: string; holds: number; endpoint: string }): void;
  sessionExpired(e: { sessionId: string; reason: string }): void;
  leaseLost(e: { lease: Lease; error: LockLostError }): void;
  leaseEnded(lease: Lease): void;
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

export class Session implements LeaseOwner {
  private sessionIdValue = '';
  private sessionSecret = ''; // resumes the session (lock.proto `session_secret`): in memory only, never logged
  private readonly conn: Connection;
  private readonly keepalive: Keepalive;
  private readonly inflight = new Map<number, Pending>();
  private readonly leases = new Map<number, Lease>();
  private readonly lease: SessionLease;
  private nextRequestIdValue = 1;
  private deadlineTimer: TimerHandle | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly o: SessionOptions) {
    this.lease = new SessionLease(() => o.clock.now(), o.safetyMarginMs);
    this.conn = new Connection(o, {
      openMessage: () => this.openMessage(),
      received: () => this.checkDeadlines(), // latch expired leases before anything can renew them
      beforeOpen: (opened) => this.beforeOpen(opened),
      opened: (opened, endpoint, openSentAt) => this.onOpened(opened, endpoint, openSentAt),
      message: (res) => this.onMessage(res),
      streamLost: (e) => this.streamLost(e),
      expired: (message) => {
        this.sessionGone(message);
        return this.inflight.size > 0;
      },
      failAll: (error) => this.failAll(error),
      keepTrying: () => this.hasTrustedLease(),
    });
    this.keepalive = new Keepalive(this.conn, this.lease, o.keepaliveFraction, o.clock, o.logger);
  }

  // ---------------------------------------------------------------- state for the owner

  get sessionId(): string {
    return this.sessionIdValue;
  }

  get isOpen(): boolean {
    return this.conn.isOpen;
  }

  get isClosed(): boolean {
    return this.conn.isClosed;
  }

  /** The TTL the server confirmed (0 before the first open). */
  get ttlMs(): number {
    return this.lease.ttlMs;
  }

  /** Address of the open stream, if any. */
  get endpoint(): string | undefined {
    return this.conn.endpoint;
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
    if (this.conn.isClosed || !this.leases.has(lease.token)) return Promise.resolve();
    return new Promise((resolve, reject) => this.submit(releasePending(this.nextRequestId(), lease, resolve, reject)));
  }

  putValue(lease: Lease, value: Uint8Array): Promise<void> {
    if (this.conn.isClosed) return Promise.reject(new ClientClosedError(`put on '${lease.name}'`));
    return new Promise((resolve, reject) => this.submit(putPending(this.nextRequestId(), lease, value, resolve, reject)));
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
    if (this.conn.isClosed) {
      p.onAbandon(new ClientClosedError());
      return;
    }
    this.inflight.set(p.id, p);
    if (this.conn.isOpen) this.writeRequest(p);
    else this.conn.ensureConnecting();
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
    if (!this.conn.isOpen) return 'pending';
    this.conn.write({ cancel: { requestId: p.id } });
    return 'sent';
  }

  /**
   * Resolves once a stream is open (starting the session if needed); rejects with the error that
   * stopped connecting (ClusterUnavailableError, a fatal open error, ClientClosedError).
   */
  whenOpen(): Promise<void> {
    return this.conn.whenOpen();
  }

  /**
   * Ends the session: `close{}` when a stream is open (the server releases everything at once)
   * and waits up to closeTimeoutMs for the stream to end. Every in-flight request is abandoned
   * with ClientClosedError and every lease is lost ('client closed').
   */
  close(): Promise<void> {
    this.closing ??= this.conn.close(() => this.abandonAll());
    return this.closing;
  }

  private abandonAll(): void {
    this.stopTimers();
    const err = new ClientClosedError();
    for (const p of [...this.inflight.values()]) p.onAbandon(err);
    this.inflight.clear();
    for (const l of [...this.leases.values()]) {
      l.lose('client closed');
      l.ended();
    }
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

  // ---------------------------------------------------------------- the stream's life

  private openMessage(): { request: AcquireRequest; resuming: boolean } {
    const sessionId = this.sessionIdValue;
    const sessionSecret = sessionId === '' ? '' : this.sessionSecret;
    return { request: { open: { sessionId, ttlMs: this.o.ttlMs, clientName: this.o.clientName, sessionSecret } }, resuming: sessionId !== '' };
  }

  private streamLost(e: { endpoint: string; code: number; message: string; leader: string | undefined }): void {
    this.keepalive.stop();
    this.lease.streamLost();
    this.checkDeadlines();
    this.o.logger.info({ endpoint: e.endpoint, code: grpcCodeName(e.code), message: e.message, leader: e.leader }, 'session stream lost; resuming');
    this.o.events.disconnected({ endpoint: e.endpoint, code: e.code, message: e.message });
    for (const p of [...this.inflight.values()]) p.onStreamLost?.();
  }

  // ---------------------------------------------------------------- receiving

  private onMessage(res: AcquireResponse): void {
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
    this.submit(orphanReleasePending(this.nextRequestId(), name, token));
  }

  /** Before the stream counts as open: a session other than the one we resume means ours is gone. */
  private beforeOpen(opened: SessionOpenedMsg): void {
    const previous = this.sessionIdValue;
    if (previous !== '' && !this.isResumeOf(opened)) this.sessionGone(`the server opened a new session instead of resuming ${previous}`);
  }

  private isResumeOf(opened: SessionOpenedMsg): boolean {
    return this.sessionIdValue !== '' && opened.resumed && opened.sessionId === this.sessionIdValue;
  }

  private onOpened(opened: SessionOpenedMsg, endpoint: string, openSentAt: number): void {
    const resumed = this.isResumeOf(opened);
    this.sessionIdValue = opened.sessionId;
    if (!resumed) this.sessionSecret = opened.sessionSecret ?? '';
    const ttl = opened.ttlMs > 0 ? opened.ttlMs : this.o.ttlMs;
    this.lease.opened(openSentAt, ttl);
    // Resend in request-id order (Map keeps insertion order, and ids only grow). Releases of
    // orphaned holds (written by reconcile) go first, and only once.
    const resend = [...this.inflight.values()];
    if (resumed) this.reconcile(opened);
    for (const p of resend) this.writeRequest(p);
    this.keepalive.start();
    this.scheduleDeadlineTimer();
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
    this.conn.write(p.request);
    p.sent = true;
    if (p.cancelled) this.conn.write({ cancel: { requestId: p.id } });
  }

  // ---------------------------------------------------------------- lease deadlines
  /** Fires every lease's signal the moment the session deadline passes. */
  private scheduleDeadlineTimer(): void {
    if (this.deadlineTimer !== undefined) this.o.clock.clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    if (this.conn.isClosed || !this.hasTrustedLease()) return;
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
    this.keepalive.stop();
    if (this.deadlineTimer !== undefined) this.o.clock.clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
  }
}

function assertNever(x: never): never {
  throw new Error(`invariant: unexpected message ${JSON.stringify(x)}`);
}
