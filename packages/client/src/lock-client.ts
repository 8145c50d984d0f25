/**
 * LockClient: the application's handle on a quorumlock cluster.
 *
 * ```ts
 * const client = new LockClient({ endpoints: ['127.0.0.1:6001', '127.0.0.1:6002', '127.0.0.1:6003'] });
 * await client.withLock('orders/42', async ({ token, signal }) => {
 *   await db.update(order, { fencingToken: token, signal });
 * });
 * await client.close();
 * ```
 *
 * One client is one session (one `Acquire` stream, opened on first use), and every lock it takes
 * shares the session's keepalives. See connection.ts for reconnects and redirects, session.ts for
 * resume and resend, and session-lease.ts for how long a lease is trusted. The options and events
 * are in lock-options.ts, their validation in lock-validate.ts, one lock request in lock-wait.ts.
 */
import { EventEmitter } from 'node:events';
import { authInterceptors, ChannelPool, credentialsFor, parseEndpoints } from './channels';
import { realClock, type Clock } from './clock';
import { ClientClosedError, InvalidArgumentError, LockCancelledError, LockHeldError, LockTimeoutError } from './errors';
import type { Lease } from './lease';
import { LeaseGroup } from './lease-group';
import type { AcquireOptions, FenceStatus, LockClientEvents, LockClientOptions, LockContext, RunOnceOptions, RunOnceResult } from './lock-options';
import { checkInteger, checkName, lockRequest, sessionSettings, UINT32_MAX } from './lock-validate';
import { sendLock, type LockWaitOwner } from './lock-wait';
import { silentLogger, type Logger } from './logger';
import { NameGate, type GateTicket } from './name-gate';
import { decodeDoneMarker, encodeDoneMarker, DEFAULT_RUN_ONCE_PREFIX, DEFAULT_MAX_RESULT_BYTES } from './run-once';
import { Session } from './session';
import { UnaryCaller } from './unary';
import { wire } from './wire';
import { ClientMetrics, acquireOutcomeOf } from './client-metrics';

export type {
  LockClientOptions,
  AcquireOptions,
  QueuedEvent,
  LockContext,
  RunOnceOptions,
  RunOnceResult,
  FenceStatus,
  LockClientEvents,
} from './lock-options';
export { lockRequest } from './lock-validate';

export class LockClient extends EventEmitter<LockClientEvents> {
  /** The endpoints, normalized. */
  readonly endpoints: readonly string[];
  private readonly session: Session;
  private readonly gate: NameGate;
  private readonly unary: UnaryCaller;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly tickets = new Map<Lease, GateTicket>();
  private closed = false;
  private readonly metrics: ClientMetrics | null;
  private readonly waitOwner: LockWaitOwner;

  constructor(options: LockClientOptions) {
    super();
    this.metrics = options.metrics === undefined ? null : new ClientMetrics(options.metrics);
    this.endpoints = parseEndpoints(options.endpoints);
    const settings = sessionSettings(options);
    this.clock = options.clock ?? realClock;
    this.logger = options.logger ?? silentLogger;
    const random = options.random ?? Math.random;
    const pool = new ChannelPool(credentialsFor(options.tls), options.dialMap, authInterceptors(options));
    this.gate = new NameGate(this.clock);
    wire(); // load lock.proto now: a broken install fails in the constructor, not in the first call
    this.session = new Session({
      ...settings,
      endpoints: this.endpoints,
      pool,
      clock: this.clock,
      random,
      logger: this.logger,
      events: {
        connected: (e) => this.fire('connected', e),
        disconnected: (e) => this.fire('disconnected', e),
        reconnect: (e) => this.fire('reconnect', e),
        redirect: (e) => this.fire('redirect', e),
        sessionOpened: (e) => this.fire('sessionOpened', e),
        resumed: (e) => this.fire('resumed', e),
        sessionExpired: (e) => this.fire('sessionExpired', e),
        leaseLost: (e) => this.fire('leaseLost', e),
        leaseEnded: (lease) => this.leaseEnded(lease),
        unavailable: (e) => this.fire('unavailable', e),
      },
    });
    this.waitOwner = {
      session: this.session,
      logger: this.logger,
      queued: (e) => this.fire('queued', e),
      adopt: (lease, ticket) => this.tickets.set(lease, ticket),
      giveBack: (lease) => void this.releaseQuietly(lease),
    };
    this.unary = new UnaryCaller({
      endpoints: this.endpoints,
      pool,
      backoff: settings.backoff,
      clock: this.clock,
      random,
      logger: this.logger,
      deadlineMs: options.callDeadlineMs ?? 5000,
      context: 'fence',
    });
    if (this.metrics !== null) this.observe(this.metrics);
  }

  private observe(m: ClientMetrics): void {
    let connections = 0;
    this.on('connected', () => {
      if (++connections > 1) m.reconnected();
    });
    this.on('leaseLost', (e) => m.leaseLost(e.error.reason));
    this.on('sessionExpired', () => m.sessionExpired());
  }

  /**
   * Creates a client and opens its session now; rejects (and closes the client) when the
   * cluster cannot be reached within the backoff budget.
   */
  static async connect(options: LockClientOptions): Promise<LockClient> {
    const client = new LockClient(options);
    try {
      await client.ready();
    } catch (err) {
      await client.close();
      throw err;
    }
    return client;
  }

  /** The session id ('' before the session opened). */
  get sessionId(): string {
    return this.session.sessionId;
  }

  /** The TTL the server confirmed (0 before the session opened). */
  get ttlMs(): number {
    return this.session.ttlMs;
  }

  /** Whether the session stream is open right now. */
  get connected(): boolean {
    return this.session.isOpen;
  }

  /** The leases this client holds right now. */
  leases(): Lease[] {
    return this.session.heldLeases();
  }

  /** Opens the session if it is not open and resolves once it is (rejects with ClusterUnavailableError). */
  ready(): Promise<void> {
    this.assertOpen('ready()');
    return this.session.whenOpen();
  }

  /**
   * Acquires `name` and resolves to its Lease once granted. Rejects with a LockError:
   * LockTimeoutError (waitTimeoutMs passed), DeadlockError, LockCancelledError (signal),
   * InvalidArgumentError, FailedPreconditionError (e.g. capacity mismatch),
   * ResourceExhaustedError (queue full), SessionExpiredError, ClusterUnavailableError,
   * ClientClosedError.
   */
  async acquire(name: string, options: AcquireOptions = {}): Promise<Lease> {
    const lease = await this.lock(name, options, false);
    if (lease === null) throw new Error('invariant: a waiting acquire resolved to null');
    return lease;
  }

  /**
   * Acquires `name` only if that is possible at once: resolves to the Lease, or to null when the
   * lock is busy (held elsewhere, or by another task of this client).
   */
  tryAcquire(name: string, options: Omit<AcquireOptions, 'waitTimeoutMs' | 'onQueued'> = {}): Promise<Lease | null> {
    return this.lock(name, options, true);
  }

  /**
   * Runs `fn` while holding `name` and releases the lock when `fn` settles. `fn`'s result or
   * error passes through unchanged. Stop work when `signal` aborts: the lease is lost.
   */
  async withLock<T>(name: string, fn: (ctx: LockContext) => Promise<T> | T, options: AcquireOptions = {}): Promise<T> {
    const lease = await this.acquire(name, options);
    try {
      return await fn({ token: lease.token, signal: lease.signal, value: lease.value, lease });
    } finally {
      await this.releaseQuietly(lease);
    }
  }

  /**
   * Acquires every name, all or nothing, within one overall `waitTimeoutMs`. Names are deduped
   * and taken in one canonical order (sorted by UTF-16 code units, i.e. `Array#sort`), so two
   * clients that list the same names in different orders cannot deadlock each other. On any
   * failure the leases already taken are released and the error is rethrown.
   */
  async acquireAll(names: readonly string[], options: AcquireOptions = {}): Promise<LeaseGroup> {
    if (!Array.isArray(names) || names.length === 0) throw new InvalidArgumentError('acquireAll needs at least one name');
    for (const n of names) checkName(n);
    const sorted = [...new Set(names)].sort();
    const startedAt = this.clock.now();
    const total = options.waitTimeoutMs;
    if (total !== undefined) checkInteger('waitTimeoutMs', total, 0, UINT32_MAX);
    const got: Lease[] = [];
    try {
      for (const name of sorted) {
        let waitTimeoutMs = total;
        if (total !== undefined && total > 0) {
          waitTimeoutMs = Math.ceil(total - (this.clock.now() - startedAt));
          if (waitTimeoutMs <= 0) {
            throw new LockTimeoutError(`acquireAll timed out after ${total} ms with ${got.length} of ${sorted.length} locks (next: '${name}')`);
          }
        }
        got.push(await this.acquire(name, withDefined(options, { waitTimeoutMs })));
      }
    } catch (err) {
      await Promise.all(got.reverse().map((l) => this.releaseQuietly(l)));
      throw err;
    }
    return new LeaseGroup(got);
  }

  /**
   * Runs job `jobId` at most once to completion across all workers, using the fenced value of
   * the resource `prefix + jobId` (default `job:<jobId>`) as its done marker:
   *
   * 1. acquire the job's lock;
   * 2. if the value holds a done marker, return `{ ran: false, result }` without running;
   * 3. run `fn({ token, signal })`, then `put` a done marker (with the result when its JSON is
   *    at most `maxResultBytes`) fenced by the lease's token, then release.
   *
   * A worker that dies or loses its lease before step 3 leaves no marker, so the next worker
   * runs the job again; a worker whose lease was lost cannot write the marker (the put is
   * fenced). So a job may *start* more than once, but is marked done by one completed run only:
   * make `fn` idempotent or fence its side effects with `token`.
   */
  async runOnce<T>(jobId: string, fn: (ctx: { token: number; signal: AbortSignal; lease: Lease }) => Promise<T> | T, options: RunOnceOptions = {}): Promise<RunOnceResult<T>> {
    if (typeof jobId !== 'string' || jobId === '') throw new InvalidArgumentError('runOnce needs a non-empty jobId');
    const prefix = options.prefix ?? DEFAULT_RUN_ONCE_PREFIX;
    const maxResultBytes = options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES;
    const lease = await this.acquire(prefix + jobId, options);
    try {
      const done = decodeDoneMarker(lease.value);
      if (done !== undefined) return { ran: false, result: done.result as T | undefined, token: done.token };
      const result = await fn({ token: lease.token, signal: lease.signal, lease });
      lease.assertValid();
      await lease.put(encodeDoneMarker(result, lease.token, maxResultBytes));
      return { ran: true, result, token: lease.token };
    } finally {
      await this.releaseQuietly(lease);
    }
  }

  /**
   * Asks the cluster (linearizably) whether `token` is a current hold of `name`. For downstream
   * services that cannot store tokens themselves. Follows leader redirects.
   */
  async checkFence(name: string, token: number, options: { readonly signal?: AbortSignal | undefined } = {}): Promise<FenceStatus> {
    this.assertOpen(`checkFence('${name}')`);
    checkName(name);
    checkInteger('token', token, 0, Number.MAX_SAFE_INTEGER);
    const res = await this.unary.call(wire().lockUnary.CheckFence, { name, token }, options.signal === undefined ? {} : { signal: options.signal });
    return { current: res.current, latestToken: res.latestToken };
  }

  /**
   * Ends the session: the server releases every hold and drops every queued request at once.
   * Pending acquires reject with ClientClosedError; every lease's signal fires. Idempotent.
   */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.gate.closeAll();
    }
    await this.session.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---------------------------------------------------------------- internals

  /** Emits without letting a throwing listener break the session's own bookkeeping. */
  private fire<K extends keyof LockClientEvents>(event: K, ...args: LockClientEvents[K]): void {
    try {
      const emit = EventEmitter.prototype.emit as (this: EventEmitter, e: string, ...a: unknown[]) => boolean;
      emit.call(this, event, ...args);
    } catch (err) {
      this.logger.error({ err, event }, 'a LockClient event listener threw');
    }
  }

  private assertOpen(what: string): void {
    if (this.closed) throw new ClientClosedError(what);
  }

  private async releaseQuietly(lease: Lease): Promise<void> {
    try {
      await lease.release();
    } catch (err) {
      // The lease was valid while fn ran; a failed release only delays the next holder (until the TTL).
      this.logger.warn({ name: lease.name, token: lease.token, err }, 'release failed');
    }
  }

  private leaseEnded(lease: Lease): void {
    const t = this.tickets.get(lease);
    this.tickets.delete(lease);
    t?.leave();
  }

  private async lock(name: string, options: AcquireOptions, tryOnly: boolean): Promise<Lease | null> {
    const m = this.metrics;
    if (m === null) return this.lockOnce(name, options, tryOnly);
    const started = this.clock.now();
    try {
      const lease = await this.lockOnce(name, options, tryOnly);
      m.acquired(lease === null ? 'busy' : 'granted', (this.clock.now() - started) / 1000);
      return lease;
    } catch (err) {
      m.acquired(acquireOutcomeOf(err), (this.clock.now() - started) / 1000);
      throw err;
    }
  }

  private async lockOnce(name: string, options: AcquireOptions, tryOnly: boolean): Promise<Lease | null> {
    this.assertOpen(`acquire('${name}')`);
    const base = lockRequest(name, options, tryOnly);
    const signal = options.signal;
    if (signal?.aborted === true) throw new LockCancelledError(`acquire('${name}') was cancelled by the caller's signal before it started`, { cause: signal.reason });
    const deadline = base.waitTimeoutMs > 0 ? this.clock.now() + base.waitTimeoutMs : undefined;
    const ticket = await this.gate.enter(name, { signal, deadline, tryOnly });
    if (ticket === null) return null;
    if (this.closed) {
      ticket.leave();
      throw new ClientClosedError(`acquire('${name}')`);
    }
    let waitTimeoutMs = 0;
    if (deadline !== undefined) {
      waitTimeoutMs = Math.ceil(deadline - this.clock.now());
      if (waitTimeoutMs <= 0) {
        ticket.leave();
        throw new LockTimeoutError(`timed out after ${base.waitTimeoutMs} ms waiting for '${name}' behind other tasks of this client`);
      }
    }
    try {
      return await sendLock(this.waitOwner, { ...base, waitTimeoutMs }, ticket, signal, options.onQueued);
    } catch (err) {
      if (tryOnly && err instanceof LockHeldError) return null;
      throw err;
    }
  }
}

/** `{...base, ...extra}` without copying `undefined` values (exactOptionalPropertyTypes). */
function withDefined<T extends object>(base: T, extra: { [K in keyof T]?: T[K] | undefined }): T {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out as T;
}
