/**
 * Limits the state machine enforces. They are part of the replicated behaviour: every replica
 * of a cluster must run with the same values (pass them from cluster-wide configuration, never
 * from per-node flags), or replicas would answer the same command differently.
 */
export interface LockLimits {
  /** Longest resource name, in UTF-8 bytes (INVALID_ARGUMENT beyond). */
  readonly maxNameBytes: number;
  /** Largest capacity of a resource (INVALID_ARGUMENT beyond). */
  readonly maxCapacity: number;
  /** Most waiters queued on one resource (RESOURCE_EXHAUSTED beyond). */
  readonly maxQueueLength: number;
  /** Largest fenced value, in bytes (RESOURCE_EXHAUSTED beyond). */
  readonly maxValueBytes: number;
  /** Longest lock-delay a request may ask for, in ms (INVALID_ARGUMENT beyond). */
  readonly maxLockDelayMs: number;
  /** Longest session TTL the machine accepts, in ms; the server applies its own, tighter bounds. */
  readonly maxTtlMs: number;
  /** Longest session id, in UTF-8 bytes. */
  readonly maxSessionIdBytes: number;
  /** Longest client name, in UTF-8 bytes. */
  readonly maxClientNameBytes: number;
  /**
   * How many finished request outcomes each session remembers for deduplication (oldest
   * forgotten first). Queued requests and current holds are always remembered on top of this,
   * so a resent request whose outcome was forgotten can still never be granted twice while the
   * first grant is held. It must be at least the number of requests one stream may have awaiting
   * replication (the server refuses a larger --max-in-flight): those are the answers a broken
   * stream can lose, and their resends must get them, not run again. Not in snapshots (only the
   * remembered outcomes are), so changing it changes no snapshot bytes; every replica of a
   * cluster must still run with the same value.
   */
  readonly dedupeWindow: number;
  /** Sessions open at once, cluster-wide (RESOURCE_EXHAUSTED beyond: `--max-sessions`). */
  readonly maxSessions: number;
  /** Holds plus queued requests of one session (RESOURCE_EXHAUSTED beyond: `--max-holds-per-session`). */
  readonly maxHoldsPerSession: number;
  /** Resources that exist at once (RESOURCE_EXHAUSTED for a request that would create one more: `--max-resources`). */
  readonly maxResources: number;
  /**
   * Total bytes of every resource's fenced value, like etcd's --quota-backend-bytes: a put that
   * would grow the total beyond it is refused (RESOURCE_EXHAUSTED: `--quota-value-bytes`), while
   * puts that shrink a value, releases, deletes, reads and keepalives go on.
   */
  readonly maxTotalValueBytes: number;
}

export const DEFAULT_LIMITS: LockLimits = Object.freeze({
  maxNameBytes: 512,
  maxCapacity: 10_000,
  maxQueueLength: 10_000,
  maxValueBytes: 64 * 1024,
  maxLockDelayMs: 60_000,
  maxTtlMs: 24 * 60 * 60 * 1000,
  maxSessionIdBytes: 128,
  maxClientNameBytes: 256,
  dedupeWindow: 2048,
  maxSessions: 50_000,
  maxHoldsPerSession: 1_000,
  maxResources: 100_000,
  maxTotalValueBytes: 64 * 1024 * 1024,
});

/** Default clock-skew allowance added to every session deadline when a new term starts. */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 500;

/** Largest `wait_timeout_ms` (the proto field is a uint32). */
export const MAX_WAIT_TIMEOUT_MS = 0xffff_ffff;

export interface LockStateMachineOptions {
  /**
   * Clock-skew allowance (ms) between the leaders of successive terms: when the first entry of a
   * new term applies, every session deadline and every running lock-delay moves this much later.
   * Keep it well below the election timeout (DESIGN.md). Same value on every replica.
   */
  readonly maxClockSkewMs?: number;
  readonly limits?: Partial<LockLimits>;
}
