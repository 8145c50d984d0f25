import type { LockMode } from './commands';
import type { SessionOwnership } from './model';
import type { Code, MachineErrorCode, Status } from './status';

/**
 * What one applied entry produced. `status` answers whoever proposed the command (an admin call,
 * or the stream that sent a session-level command); `events` are addressed to sessions and map
 * 1:1 onto lock.proto `AcquireResponse` messages (plus `sessionExpired`/`sessionClosed`, which
 * end a stream, and `renewed`, which acknowledges a keepalive batch). Events are in the order
 * the server should deliver them. Byte arrays in events are shared with the machine's state:
 * read them, never mutate them.
 */
export interface ApplyOutput {
  /** Raft index of the applied entry. */
  readonly index: number;
  /** The machine's time after this entry. */
  readonly now: number;
  readonly status: Status;
  readonly events: readonly LockEvent[];
  /**
   * What the entry did, for metrics (server/lock-metrics.ts): not addressed to anyone and not
   * part of lock.proto. Only first outcomes appear (a resend's replayed answer does not), so each
   * request, hold and session is counted once. Times are machine time. Optional so outputs built
   * elsewhere (tests) need not carry it; the machine always sets it.
   */
  readonly observations?: readonly Observation[];
}

/** How a lock request that was not granted ended. */
export type LockFailure = 'timeout' | 'cancelled' | 'deadlock' | 'refused' | 'session_ended';

export type Observation =
  /** A lock request started waiting in a queue. */
  | { readonly type: 'lockQueued'; readonly requestedAt: number }
  /**
   * A lock request's final outcome. `requestedAt`: when the lock command applied (its queue
   * entry time if it waited); `waited`: it was queued before this outcome.
   */
  | { readonly type: 'lockAnswered'; readonly outcome: 'granted' | LockFailure; readonly requestedAt: number; readonly waited: boolean }
  /** A hold ended; `grantedAt` is when it was granted. */
  | { readonly type: 'holdEnded'; readonly ended: 'released' | 'session_expired' | 'revoked'; readonly grantedAt: number }
  /** A session expired: `ttl` (no keepalive in time) or `admin` (AdminService.ExpireSession). */
  | { readonly type: 'sessionExpired'; readonly cause: 'ttl' | 'admin' };

/** lock.proto `Hold` plus the permits it takes. */
export interface HoldRef {
  readonly name: string;
  readonly token: number;
  readonly mode: LockMode;
  readonly permits: number;
  /** The lock request that was granted this hold (a client that lost the answer does not know it). */
  readonly requestId: number;
}

/** A request of a session that is waiting in a queue. */
export interface WaitRef {
  readonly requestId: number;
  readonly name: string;
  /** 1: next in line. */
  readonly position: number;
}

/** lock.proto `SessionOpened`; on resume also the queued requests (they keep their positions). */
export interface SessionOpenedEvent {
  readonly type: 'sessionOpened';
  readonly sessionId: string;
  readonly ttlMs: number;
  readonly resumed: boolean;
  readonly holds: readonly HoldRef[];
  readonly queued: readonly WaitRef[];
  /** The session's deadline in leader time (last renewal + TTL, plus any skew shifts). */
  readonly deadline: number;
}

/** lock.proto `Granted`. */
export interface GrantedEvent {
  readonly type: 'granted';
  readonly sessionId: string;
  readonly requestId: number;
  readonly name: string;
  readonly token: number;
  readonly mode: LockMode;
  readonly permits: number;
  /** The fenced value at the time of the grant (empty: none). */
  readonly value: Uint8Array;
}

/** lock.proto `Queued`. Sent when a request starts waiting (and on a resend); positions are not pushed as they change. */
export interface QueuedEvent {
  readonly type: 'queued';
  readonly sessionId: string;
  readonly requestId: number;
  readonly name: string;
  readonly position: number;
}

/** lock.proto `Released`. */
export interface ReleasedEvent {
  readonly type: 'released';
  readonly sessionId: string;
  readonly requestId: number;
  readonly name: string;
  readonly token: number;
}

/** lock.proto `LockLost`: a hold ended without a release (revoked, session expired). */
export interface LostEvent {
  readonly type: 'lost';
  readonly sessionId: string;
  readonly name: string;
  readonly token: number;
  readonly reason: string;
  /** Why: its session expired (by TTL or an administrator), or an administrator revoked the hold. */
  readonly cause: 'expired' | 'revoked';
}

/** lock.proto `RequestFailed`. */
export interface FailedEvent {
  readonly type: 'failed';
  readonly sessionId: string;
  readonly requestId: number;
  readonly code: Code;
  readonly message: string;
  /** `RequestFailed.error_code`: the catalogue's code for `code`'s refusal. */
  readonly errorCode: MachineErrorCode;
}

/** lock.proto `ValuePut`. */
export interface ValuePutEvent {
  readonly type: 'valuePut';
  readonly sessionId: string;
  readonly requestId: number;
  readonly name: string;
  readonly token: number;
}

/** A `renew` batch applied: acknowledge the keepalives of `sessionIds`; `notFound` are gone. */
export interface RenewedEvent {
  readonly type: 'renewed';
  readonly sessionIds: readonly string[];
  readonly notFound: readonly string[];
}

/** The session no longer exists (its `lost` and `failed` events come first). */
export interface SessionExpiredEvent {
  readonly type: 'sessionExpired';
  readonly sessionId: string;
  readonly reason: string;
}

/** The session closed at its client's request; `released` lists the holds that ended. */
export interface SessionClosedEvent {
  readonly type: 'sessionClosed';
  readonly sessionId: string;
  readonly released: readonly HoldRef[];
}

/** An administrator dropped a resource's value (addressed to no session: `sessionId` is ''). */
export interface ValueDeletedEvent {
  readonly type: 'valueDeleted';
  readonly sessionId: '';
  readonly name: string;
  /** Value bytes freed. */
  readonly bytes: number;
  /** The resource was idle without its value, and is gone. */
  readonly resourceDeleted: boolean;
}

export type LockEvent =
  | SessionOpenedEvent
  | GrantedEvent
  | QueuedEvent
  | ReleasedEvent
  | LostEvent
  | FailedEvent
  | ValuePutEvent
  | RenewedEvent
  | SessionExpiredEvent
  | SessionClosedEvent
  | ValueDeletedEvent;

// ---- read-only query results ----

export interface SessionView {
  readonly sessionId: string;
  readonly clientName: string;
  readonly ttlMs: number;
  readonly openedAt: number;
  readonly lastRenewal: number;
  readonly deadline: number;
  readonly holds: readonly HoldRef[];
  readonly waits: readonly WaitRef[];
  /** Who may resume it (a secret hash, never the secret): for the leader's check before a resume, never for display. */
  readonly ownership?: SessionOwnership;
}

export interface LockSummary {
  readonly name: string;
  readonly capacity: number;
  readonly usedPermits: number;
  readonly holderCount: number;
  readonly waiterCount: number;
  readonly latestToken: number;
  readonly valueBytes: number;
  /** 0: no lock-delay running. */
  readonly lockDelayUntil: number;
}

export interface HolderView {
  readonly sessionId: string;
  readonly clientName: string;
  readonly requestId: number;
  readonly token: number;
  readonly mode: LockMode;
  readonly permits: number;
  readonly grantedAt: number;
  /** Raft index of the entry that made the grant (equal to the token unless one entry made several grants). */
  readonly grantIndex: number;
  readonly lockDelayMs: number;
}

export interface WaiterView {
  readonly position: number;
  readonly sessionId: string;
  readonly clientName: string;
  readonly requestId: number;
  readonly mode: LockMode;
  readonly permits: number;
  readonly priority: number;
  readonly enqueuedAt: number;
  /** 0: waits without timeout. */
  readonly deadline: number;
}

/** A resource in full: its holders in grant order and its queue in serving order. */
export interface LockDescription extends LockSummary {
  readonly holders: readonly HolderView[];
  readonly queue: readonly WaiterView[];
}

/** lock.proto `CheckFenceResponse`. */
export interface FenceCheck {
  readonly current: boolean;
  readonly latestToken: number;
}
