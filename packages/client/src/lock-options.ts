/**
 * The options and events of LockClient (its public types; lock-client.ts re-exports them).
 */
import type { BackoffOptions } from './backoff';
import type { CallAuthOptions, TlsOptions } from './channels';
import type { ClientMetricsOptions } from './client-metrics';
import type { Clock } from './clock';
import type { ClusterUnavailableError, LockLostError } from './errors';
import type { Lease, LockMode } from './lease';
import type { Logger } from './logger';

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
