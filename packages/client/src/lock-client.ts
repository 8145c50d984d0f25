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
 * shares the session's keepalives. See session.ts for reconnects, resume and resend, and
 * session-lease.ts for how long a lease is trusted.
 */
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { resolveBackoff, type BackoffOptions } from './backoff';
import { authInterceptors, type CallAuthOptions, ChannelPool, credentialsFor, parseEndpoints, type TlsOptions } from './channels';
import { realClock, type Clock } from './clock';
import {
  ClientClosedError,
  errorFromStatus,
  InvalidArgumentError,
  LockCancelledError,
  LockHeldError,
  LockTimeoutError,
  type ClusterUnavailableError,
  type LockLostError,
} from './errors';
import type { Lease, LockMode } from './lease';
import { LeaseGroup } from './lease-group';
import { silentLogger, type Logger } from './logger';
import { NameGate, type GateTicket } from './name-gate';
import { decodeDoneMarker, encodeDoneMarker, DEFAULT_RUN_ONCE_PREFIX, DEFAULT_MAX_RESULT_BYTES } from './run-once';
import { Session, type Pending } from './session';
import { UnaryCaller } from './unary';
import { wire, type LockRequestMsg } from './wire';
import { ClientMetrics, acquireOutcomeOf, type ClientMetricsOptions } from './client-metrics';

const UINT32_MAX = 0xffff_ffff;
const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;

/** Options of `new LockClient(...)`. Only `endpoints` is required. */
export interface LockClientOptions extends CallAuthOptions {
  /** Client addresses (`host:port`) of some or all coordinators; the leader is found from them. */
  readonly endpoints: readonly string[] | string;
  /** Session TTL asked of the server. Default 10 000 ms. The server may refuse values outside its bounds. */
  readonly ttlMs?: number | undefined;
  /** Shown by `lockctl sessions`. Default `<hostname>/<pid>`. */
  readonly clientName?: string | undefined;
  /** `true` for TLS with the system roots, or `{ ca, cert, key, serverName }` (PEM). Default plaintext. */
  readonly tls?: boolean | TlsOptions | undefined;
  /**
   * Dial another address than the one a node advertises (an endpoint or a redirect target):
   * `{ '10.0.0.1:6001': '127.0.0.1:16001' }` for a cluster reached through NAT or a proxy.
   */
  readonly dialMap?: Readonly<Record<string, string>> | undefined;
  /** Keepalive interval as a fraction of the TTL. Default 1/3. Must be in (0, 0.5]. */
  readonly keepaliveFraction?: number | undefined;
  /**
   * How much earlier than `send time of the last acknowledged keepalive + TTL` a lease stops being
   * trusted. Default `ceil(ttlMs / 10) + 50` (session-lease.ts explains why). Must be below the TTL.
   */
  readonly safetyMarginMs?: number | undefined;
  /**
   * Reconnect and unary-retry backoff: full jitter between 0 and `min(maxMs, initialMs * 2^n)`,
   * giving up after `budgetMs` (or `maxAttempts`). Defaults 50 ms, 2 s, 30 s, unlimited.
   */
  readonly backoff?: BackoffOptions | undefined;
  /** How long one attempt to open or resume the session may take. Default ttlMs / 3, within 1000..5000 ms. */
  readonly openTimeoutMs?: number | undefined;
  /** Per-attempt deadline of unary calls (checkFence). Default 5000 ms. */
  readonly callDeadlineMs?: number | undefined;
  /** How long `close()` waits for the server to confirm. Default 2000 ms. */
  readonly closeTimeoutMs?: number | undefined;
  /** pino-compatible logger. Default silent. */
  readonly logger?: Logger | undefined;
  /** Time source (tests). Default `performance.now()` and Node timers. */
  readonly clock?: Clock | undefined;
  /** Random source for the jitter (tests). Default Math.random. */
  readonly random?: (() => number) | undefined;
  /**
   * Register the SDK's metrics (quorumlock_client_*) in this prom-client registry. prom-client is
   * an optional peer dependency, loaded only when this is set; without it nothing is measured.
   */
  readonly metrics?: ClientMetricsOptions | undefined;
}

/** Options of one lock request. */
export interface AcquireOptions {
  /** Size of the resource: 1 (default) is a mutex, N a semaphore. All users of a name must agree. */
  readonly capacity?: number | undefined;
  /** Permits this hold takes (default 1). */
  readonly permits?: number | undefined;
  /**
   * Default 'exclusive' on a mutex (capacity 1) and 'shared' on a semaphore (capacity > 1), so
   * `acquire('gpu', { capacity: 4 })` takes one of 4 slots; 'exclusive' takes the whole resource.
   */
  readonly mode?: LockMode | undefined;
  /** Higher is served first; FIFO among equals. Default 0. */
  readonly priority?: number | undefined;
  /**
   * How long to wait for the grant, in ms, counted from the call (including any wait behind
   * other tasks of this client for the same name). Default: no limit — the call waits until
   * granted, until `signal` aborts, or until the session ends.
   */
  readonly waitTimeoutMs?: number | undefined;
  /** Aborting cancels the wait on the server too; the call rejects with LockCancelledError. */
  readonly signal?: AbortSignal | undefined;
  /** If this hold ends by session expiry, nobody gets the resource for this long. Default 0. */
  readonly lockDelayMs?: number | undefined;
  /** Called when the server queues the request (position 1 = next in line). */
  readonly onQueued?: ((event: QueuedEvent) => void) | undefined;
}

export interface QueuedEvent {
  readonly name: string;
  readonly requestId: number;
  readonly position: number;
}

/** What `withLock`'s function receives. */
export interface LockContext {
  readonly token: number;
  readonly signal: AbortSignal;
  readonly value: Uint8Array;
  readonly lease: Lease;
}

export interface RunOnceOptions extends AcquireOptions {
  /** Resource name prefix; the job's lock is `prefix + jobId`. Default `job:`. */
  readonly prefix?: string | undefined;
  /** A result whose JSON is larger than this is not stored in the done marker. Default 16 KiB. */
  readonly maxResultBytes?: number | undefined;
}

export interface RunOnceResult<T> {
  /** true: this call ran the job; false: an earlier run had completed it. */
  readonly ran: boolean;
  /** The job's result (from this run, or as stored by the run that completed it; undefined if it was too large). */
  readonly result: T | undefined;
  /** The fencing token of the run that completed the job. */
  readonly token: number;
}

export interface FenceStatus {
  /** true: `token` is a current hold of the name right now. */
  readonly current: boolean;
  /** The newest token granted on the name that the cluster remembers (0: none). */
  readonly latestToken: number;
}

/** The events LockClient emits (for the application's metrics and logs). */
export interface LockClientEvents {
  /** A session stream is open (new or resumed). */
  connected: [{ endpoint: string; sessionId: string; resumed: boolean }];
  /** The session stream broke; the client is resuming. */
  disconnected: [{ endpoint: string; code: number; message: string }];
  /** A retry is scheduled after a failed attempt. */
  reconnect: [{ attempt: number; delayMs: number; endpoint: string; error: string }];
  /** A follower pointed to the leader. */
  redirect: [{ from: string; to: string }];
  sessionOpened: [{ sessionId: string; ttlMs: number; endpoint: string }];
  /** The session was resumed after a broken stream. */
  resumed: [{ sessionId: string; holds: number; endpoint: string }];
  /** The server no longer has the session: every lease of it was lost. */
  sessionExpired: [{ sessionId: string; reason: string }];
  /** A lease was lost against the holder's will (deadline, revoked, session expired). */
  leaseLost: [{ lease: Lease; error: LockLostError }];
  /** A request was queued on the server. */
  queued: [QueuedEvent];
  /** The reconnect budget ran out; pending requests failed with this error. */
  unavailable: [{ error: ClusterUnavailableError }];
}

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

  constructor(options: LockClientOptions) {
    super();
    this.metrics = options.metrics === undefined ? null : new ClientMetrics(options.metrics);
    this.endpoints = parseEndpoints(options.endpoints);
    const ttlMs = options.ttlMs ?? 10_000;
    checkInteger('ttlMs', ttlMs, 1, UINT32_MAX);
    const keepaliveFraction = options.keepaliveFraction ?? 1 / 3;
    if (!(keepaliveFraction > 0 && keepaliveFraction <= 0.5)) {
      throw new InvalidArgumentError(`keepaliveFraction ${String(keepaliveFraction)} must be in (0, 0.5]: keepalives must go out at least twice per TTL`);
    }
    if (options.safetyMarginMs !== undefined) {
      checkInteger('safetyMarginMs', options.safetyMarginMs, 0, UINT32_MAX);
      if (options.safetyMarginMs >= ttlMs * (1 - keepaliveFraction)) {
        throw new InvalidArgumentError(`safetyMarginMs ${options.safetyMarginMs} leaves no time to renew within ttlMs ${ttlMs}; lower it or raise ttlMs`);
      }
    }
    let backoff: BackoffOptions;
    try {
      backoff = resolveBackoff(options.backoff);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
    this.clock = options.clock ?? realClock;
    this.logger = options.logger ?? silentLogger;
    const random = options.random ?? Math.random;
    const pool = new ChannelPool(credentialsFor(options.tls), options.dialMap, authInterceptors(options));
    this.gate = new NameGate(this.clock);
    wire(); // load lock.proto now: a broken install fails in the constructor, not in the first call
    this.session = new Session({
      endpoints: this.endpoints,
      ttlMs,
      clientName: options.clientName ?? defaultClientName(),
      keepaliveFraction,
      safetyMarginMs: options.safetyMarginMs,
      backoff,
      openTimeoutMs: options.openTimeoutMs ?? Math.min(5000, Math.max(1000, Math.round(ttlMs / 3))),
      closeTimeoutMs: options.closeTimeoutMs ?? 2000,
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
    this.unary = new UnaryCaller({
      endpoints: this.endpoints,
      pool,
      backoff,
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
      return await this.sendLock({ ...base, waitTimeoutMs }, ticket, signal, options.onQueued);
    } catch (err) {
      if (tryOnly && err instanceof LockHeldError) return null;
      throw err;
    }
  }

  /** Sends one lock request. Owns `ticket`: it is left when no lease results, or when the lease ends. */
  private sendLock(base: Omit<LockRequestMsg, 'requestId'>, ticket: GateTicket, signal: AbortSignal | undefined, onQueued: AcquireOptions['onQueued']): Promise<Lease> {
    const session = this.session;
    return new Promise<Lease>((resolve, reject) => {
      const id = session.nextRequestId();
      const msg: LockRequestMsg = { ...base, requestId: id };
      const mode: LockMode = msg.mode === 'SHARED' ? 'shared' : 'exclusive';
      let settled = false;
      const settle = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const cancelledError = (): LockCancelledError =>
        new LockCancelledError(`acquire('${msg.name}') was cancelled by the caller's signal (request ${id})`, { cause: signal?.reason });
      const pending: Pending = {
        id,
        kind: 'lock',
        name: msg.name,
        request: { lock: msg },
        sent: false,
        cancelled: false,
        onAnswer: (res) => {
          switch (res.msg) {
            case 'queued': {
              if (pending.cancelled) return false;
              const e: QueuedEvent = { name: msg.name, requestId: id, position: res.queued.position };
              this.fire('queued', e);
              try {
                onQueued?.(e);
              } catch (err) {
                this.logger.warn({ err }, 'onQueued callback threw');
              }
              return false;
            }
            case 'granted': {
              const g = res.granted;
              const lease = session.createLease({ name: g.name, token: g.token, mode, permits: Math.max(1, msg.permits), requestId: id, value: g.value });
              this.tickets.set(lease, ticket);
              if (pending.cancelled) {
                // The grant raced the cancel: give it straight back.
                void this.releaseQuietly(lease);
                settle(() => reject(cancelledError()));
                return true;
              }
              const lost = lease.lostError;
              if (lost !== undefined) settle(() => reject(lost)); // granted after the session deadline: cannot be trusted (it is released)
              else settle(() => resolve(lease));
              return true;
            }
            case 'failed': {
              ticket.leave();
              const f = res.failed;
              const err = errorFromStatus(f.code, f.message, msg.tryOnly ? 'tryLock' : 'lock', f.errorCode);
              settle(() => reject(pending.cancelled ? cancelledError() : err));
              return true;
            }
            default:
              return false;
          }
        },
        onAbandon: (err) => {
          ticket.leave();
          settle(() => reject(pending.cancelled ? cancelledError() : err));
        },
        onStreamLost: () => {
          // The cancel will follow the resend; the caller need not wait for the new leader.
          if (pending.cancelled) settle(() => reject(cancelledError()));
        },
      };
      const onAbort = (): void => {
        switch (session.cancel(pending)) {
          case 'dropped':
            ticket.leave();
            settle(() => reject(cancelledError()));
            return;
          case 'pending':
            settle(() => reject(cancelledError()));
            return;
          case 'sent':
          case 'answered':
            return; // the server's answer settles it
        }
      };
      session.submit(pending);
      if (signal?.aborted === true) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function defaultClientName(): string {
  return `${hostname()}/${process.pid}`;
}

function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name === '') throw new InvalidArgumentError(`lock name ${JSON.stringify(name)} must be a non-empty string`);
}

function checkInteger(field: string, value: unknown, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${field} ${String(value)} must be an integer from ${min} to ${max}`);
  }
}

/** Validates an acquire's options and builds the LockRequest (without its id). */
export function lockRequest(name: string, o: AcquireOptions, tryOnly: boolean): Omit<LockRequestMsg, 'requestId'> {
  checkName(name);
  const capacity = o.capacity ?? 1;
  checkInteger('capacity', capacity, 0, UINT32_MAX);
  const permits = o.permits ?? 1;
  checkInteger('permits', permits, 0, UINT32_MAX);
  if (permits > Math.max(1, capacity)) throw new InvalidArgumentError(`permits ${permits} exceeds capacity ${capacity} of '${name}'`);
  // On a semaphore the natural request is one of its N slots; exclusive would take all of them.
  const mode = o.mode ?? (capacity > 1 ? 'shared' : 'exclusive');
  if (mode !== 'exclusive' && mode !== 'shared') throw new InvalidArgumentError(`mode ${JSON.stringify(mode)} must be 'exclusive' or 'shared'`);
  const priority = o.priority ?? 0;
  checkInteger('priority', priority, INT32_MIN, INT32_MAX);
  const waitTimeoutMs = o.waitTimeoutMs ?? 0;
  checkInteger('waitTimeoutMs', waitTimeoutMs, 0, UINT32_MAX);
  const lockDelayMs = o.lockDelayMs ?? 0;
  checkInteger('lockDelayMs', lockDelayMs, 0, UINT32_MAX);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new InvalidArgumentError('signal must be an AbortSignal');
  return { name, capacity, permits, mode: mode === 'shared' ? 'SHARED' : 'EXCLUSIVE', waitTimeoutMs, tryOnly, lockDelayMs, priority };
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
