/**
 * The catalogue of error codes that cross the wire: in `RequestFailed.error_code` on an Acquire
 * stream, and in the `x-lock-error-code` trailer of a call that ends with an error status. The
 * server sends only these; the SDK maps them to its error classes (never by message text). Each
 * code has exactly one gRPC status. The README's "Error codes" table lists the same rows (a test
 * compares them).
 *
 * Pure data, no imports: the replicated state machine reads it too (`@quorumlock/proto/error-codes`).
 */

/** The gRPC status codes the catalogue uses, by name (the numbers are gRPC's). */
export const GrpcStatus = {
  CANCELLED: 1,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  PERMISSION_DENIED: 7,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;
export type GrpcStatusName = keyof typeof GrpcStatus;

export interface ErrorCodeInfo {
  /** The gRPC status the code always comes with. */
  readonly status: GrpcStatusName;
  /** Whether sending the same request again (as it is) may succeed; `later`: once something changes. */
  readonly retry: 'yes' | 'no' | 'later';
  readonly meaning: string;
}

/** Trailer (and metadata key) carrying the code of a call's error status. */
export const ERROR_CODE_METADATA_KEY = 'x-lock-error-code';

export const ERROR_CODES = {
  ERR_INVALID_ARGUMENT: { status: 'INVALID_ARGUMENT', retry: 'no', meaning: 'a field is malformed or out of bounds; the message names it and its value' },
  ERR_LOCK_HELD: { status: 'FAILED_PRECONDITION', retry: 'later', meaning: 'a try-only lock request found the lock busy' },
  ERR_NOT_HOLDER: { status: 'FAILED_PRECONDITION', retry: 'no', meaning: 'the token is not a current hold (release, put, revoke): released, revoked or expired' },
  ERR_STALE_TOKEN: { status: 'FAILED_PRECONDITION', retry: 'no', meaning: 'a resent lock request was granted, but that hold has ended since: its token is stale' },
  ERR_CAPACITY_MISMATCH: { status: 'FAILED_PRECONDITION', retry: 'no', meaning: "the request's capacity differs from the existing resource's" },
  ERR_ALREADY_HELD: { status: 'FAILED_PRECONDITION', retry: 'no', meaning: 'the session already holds this lock' },
  ERR_ALREADY_WAITING: { status: 'FAILED_PRECONDITION', retry: 'no', meaning: 'the session already waits for this lock' },
  ERR_FAILED_PRECONDITION: { status: 'FAILED_PRECONDITION', retry: 'later', meaning: 'the cluster refused an admin change in its current state (membership, leadership transfer)' },
  ERR_DEADLOCK: { status: 'ABORTED', retry: 'no', meaning: 'waiting would close a cycle between sessions; the message names it' },
  ERR_DEADLINE: { status: 'DEADLINE_EXCEEDED', retry: 'yes', meaning: 'the wait timeout passed before a grant' },
  ERR_CANCELLED: { status: 'CANCELLED', retry: 'no', meaning: 'the request was cancelled, its session ended, or the session moved to a newer stream' },
  ERR_QUEUE_FULL: { status: 'RESOURCE_EXHAUSTED', retry: 'later', meaning: "the lock's wait queue is full" },
  ERR_TOO_MANY_HOLDS: { status: 'RESOURCE_EXHAUSTED', retry: 'later', meaning: 'the session has --max-holds-per-session holds and queued requests' },
  ERR_TOO_MANY_LOCKS: { status: 'RESOURCE_EXHAUSTED', retry: 'later', meaning: 'the cluster has --max-resources locks' },
  ERR_TOO_MANY_SESSIONS: { status: 'RESOURCE_EXHAUSTED', retry: 'later', meaning: 'the cluster has --max-sessions sessions open' },
  ERR_VALUE_TOO_LARGE: { status: 'RESOURCE_EXHAUSTED', retry: 'no', meaning: 'a fenced value is above 64 KiB' },
  ERR_QUOTA: { status: 'RESOURCE_EXHAUSTED', retry: 'later', meaning: 'the value quota (--quota-value-bytes) is full; free space with lockctl delete-value' },
  ERR_NODE_BUSY: { status: 'RESOURCE_EXHAUSTED', retry: 'yes', meaning: 'the node refused a session open under load; retry after the quorumlock-retry-after-ms trailer' },
  ERR_SESSION_NOT_FOUND: { status: 'NOT_FOUND', retry: 'no', meaning: 'the session is unknown, closed or expired; open a new one' },
  ERR_SESSION_EXPIRED: { status: 'NOT_FOUND', retry: 'no', meaning: 'the session expired while its stream was open; its holds are gone' },
  ERR_SESSION_EXISTS: { status: 'ALREADY_EXISTS', retry: 'no', meaning: 'a session with this id already exists' },
  ERR_NOT_FOUND: { status: 'NOT_FOUND', retry: 'no', meaning: 'the lock or member named in an admin call does not exist' },
  ERR_NOT_LEADER: { status: 'UNAVAILABLE', retry: 'yes', meaning: 'this node is not the leader; the quorumlock-leader trailer names the leader' },
  ERR_NO_LEADER: { status: 'UNAVAILABLE', retry: 'yes', meaning: 'this node is not the leader and knows no leader' },
  ERR_UNAVAILABLE: { status: 'UNAVAILABLE', retry: 'yes', meaning: 'the node cannot serve now (replication or a read barrier failed, or its state is divergent)' },
  ERR_UNAUTHENTICATED: { status: 'UNAUTHENTICATED', retry: 'no', meaning: 'authorization is on and the call names no known identity (no token, an unknown token, no client certificate)' },
  ERR_PERMISSION_DENIED: { status: 'PERMISSION_DENIED', retry: 'no', meaning: "the caller's roles do not allow this call on this resource; the message names the permission and the resource" },
  ERR_INTERNAL: { status: 'INTERNAL', retry: 'no', meaning: 'a server bug; see the server log' },
} as const satisfies Readonly<Record<string, ErrorCodeInfo>>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

/** The gRPC status number a code comes with. */
export function grpcStatusOf(code: ErrorCode): number {
  return GrpcStatus[ERROR_CODES[code].status];
}
