/**
 * @quorumlock/client: the TypeScript SDK of quorumlock.
 *
 * - `LockClient`: sessions, `acquire` / `tryAcquire` / `withLock` / `acquireAll` / `runOnce`,
 *   `checkFence`, events for metrics.
 * - `Lease`: a hold with a fencing `token`, a `signal` that fires when it can no longer be
 *   trusted, `assertValid()`, `release()`, `put()`, and `await using` support.
 * - `AdminClient`: the operator API used by `lockctl`.
 * - Typed errors (errors.ts), all `LockError`s with a stable `code`.
 */
export { LockClient } from './lock-client';
export type { MetricsRegistry, ClientMetricsOptions, ClientAcquireOutcome } from './client-metrics';
export type {
  LockClientOptions,
  AcquireOptions,
  QueuedEvent,
  LockContext,
  RunOnceOptions,
  RunOnceResult,
  FenceStatus,
  LockClientEvents,
} from './lock-client';
export { Lease } from './lease';
export type { LockMode, LeaseGrant, LeaseOwner } from './lease';
export { LeaseGroup } from './lease-group';
export { AdminClient } from './admin-client';
export type {
  AdminClientOptions,
  AdminCallOptions,
  ClusterStatus,
  MemberStatus,
  LockInfo,
  HolderInfo,
  WaiterInfo,
  SessionInfo,
  RevokedHold,
} from './admin-client';
export * from './errors';
export { Backoff, DEFAULT_BACKOFF, backoffCeilingMs } from './backoff';
export type { BackoffOptions } from './backoff';
export { defaultSafetyMarginMs, SessionLease } from './session-lease';
export { parseDuration, formatDuration } from './duration';
export { parseEndpoints, LEADER_METADATA_KEY, ERROR_CODE_METADATA_KEY } from './channels';
export type { Pem, TlsOptions, CallAuthOptions } from './channels';
export { realClock, ManualClock } from './clock';
export type { Clock, TimerHandle } from './clock';
export type { Logger } from './logger';
export { DEFAULT_RUN_ONCE_PREFIX, decodeDoneMarker } from './run-once';
