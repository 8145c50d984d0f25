/**
 * The public errors of @quorumlock/client. Every error the SDK rejects with (apart from bugs) is
 * a `LockError` with a stable `code`; branch on the class (`err instanceof DeadlockError`) or
 * on the code (`isLockError(err, 'ERR_DEADLOCK')`).
 *
 * Server answers carry a code of the wire catalogue (@quorumlock/proto `ERROR_CODES`, the
 * README's "Error codes" table); `errorFromStatus` picks the class by that code, never by the
 * message, and keeps it as `serverCode` (`ERR_QUOTA` behind a ResourceExhaustedError, say).
 *
 * `instanceof` is brand-based (`Symbol.for('quorumlock.error.<CODE>')` plus a static
 * `Symbol.hasInstance`, as undici does), so it keeps working when two copies of this package are
 * loaded or when Jest runs each test file in its own module registry.
 *
 * | code                     | class                    | gRPC status         | what it means                                      |
 * |--------------------------|--------------------------|---------------------|----------------------------------------------------|
 * | ERR_DEADLINE             | LockTimeoutError         | DEADLINE_EXCEEDED   | the wait timeout passed before a grant             |
 * | ERR_DEADLOCK             | DeadlockError            | ABORTED             | waiting would close a cycle between sessions       |
 * | ERR_LOCK_LOST            | LockLostError            | (client side)       | the lease can no longer be trusted                 |
 * | ERR_CANCELLED            | LockCancelledError       | CANCELLED           | the caller's AbortSignal (or the server) cancelled |
 * | ERR_INVALID_ARGUMENT     | InvalidArgumentError     | INVALID_ARGUMENT    | a value was out of bounds                          |
 * | ERR_CLUSTER_UNAVAILABLE  | ClusterUnavailableError  | UNAVAILABLE         | no leader reachable within the retry budget        |
 * | ERR_FAILED_PRECONDITION  | FailedPreconditionError  | FAILED_PRECONDITION | e.g. a capacity mismatch                           |
 * | ERR_NOT_HOLDER           | NotHolderError           | FAILED_PRECONDITION | a token is not a current hold                      |
 * | ERR_LOCK_HELD            | LockHeldError            | FAILED_PRECONDITION | try-only request and the lock is busy              |
 * | ERR_RESOURCE_EXHAUSTED   | ResourceExhaustedError   | RESOURCE_EXHAUSTED  | a queue or size limit was hit                      |
 * | ERR_SESSION_EXPIRED      | SessionExpiredError      | NOT_FOUND (session) | the session ended on the server                    |
 * | ERR_NOT_FOUND            | NotFoundError            | NOT_FOUND           | unknown lock, session or member (admin calls)      |
 * | ERR_CLIENT_CLOSED        | ClientClosedError        | (client side)       | `close()` was called                               |
 * | ERR_UNAUTHENTICATED      | UnauthenticatedError     | UNAUTHENTICATED     | authorization is on: no valid `authToken` sent     |
 * | ERR_PERMISSION_DENIED    | PermissionDeniedError    | PERMISSION_DENIED   | the caller's role does not allow it                |
 * | ERR_UNEXPECTED           | UnexpectedError          | anything else       | a status the SDK does not expect                   |
 */

import { isErrorCode, type ErrorCode } from '@quorumlock/proto';

/** gRPC status codes, as numbers (so this module does not depend on grpc-js). */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

const GRPC_CODE_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(GrpcCode).map(([k, v]) => [v, k]));

/** `14` → `UNAVAILABLE`; unknown numbers are returned as digits. */
export function grpcCodeName(code: number): string {
  return GRPC_CODE_NAMES.get(code) ?? String(code);
}

export type LockErrorCode =
  | 'ERR_DEADLINE'
  | 'ERR_DEADLOCK'
  | 'ERR_LOCK_LOST'
  | 'ERR_CANCELLED'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_CLUSTER_UNAVAILABLE'
  | 'ERR_FAILED_PRECONDITION'
  | 'ERR_NOT_HOLDER'
  | 'ERR_LOCK_HELD'
  | 'ERR_RESOURCE_EXHAUSTED'
  | 'ERR_SESSION_EXPIRED'
  | 'ERR_NOT_FOUND'
  | 'ERR_CLIENT_CLOSED'
  | 'ERR_UNAUTHENTICATED'
  | 'ERR_PERMISSION_DENIED'
  | 'ERR_UNEXPECTED';

const BASE_BRAND = Symbol.for('quorumlock.error');

function brandOf(code: string): symbol {
  return Symbol.for(`quorumlock.error.${code}`);
}

interface Branded {
  readonly brand: symbol;
}

export interface LockErrorOptions {
  readonly cause?: unknown;
  /** The gRPC status code the server answered with, when the error came from the server. */
  readonly grpcCode?: number;
  /** The wire catalogue's code the server sent with it (README "Error codes"). */
  readonly serverCode?: ErrorCode;
}

/** Base class of every error the SDK reports. `code` is stable; `message` says what to do. */
export class LockError extends Error {
  static readonly brand: symbol = BASE_BRAND;
  readonly code: LockErrorCode;
  /** The gRPC status code behind this error, when there was one. */
  readonly grpcCode: number | undefined;
  /**
   * The server's code from the wire catalogue (e.g. `ERR_QUOTA` behind a ResourceExhaustedError),
   * when the server sent one; `code` is the SDK's code of the error class.
   */
  readonly serverCode: ErrorCode | undefined;

  constructor(code: LockErrorCode, message: string, options: LockErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.grpcCode = options.grpcCode;
    this.serverCode = options.serverCode;
    // Brand the instance with every class on its chain, so instanceof works across copies.
    let ctor: unknown = new.target;
    while (typeof ctor === 'function') {
      const brand: unknown = 'brand' in ctor ? ctor.brand : undefined;
      if (typeof brand !== 'symbol') break;
      Object.defineProperty(this, brand, { value: true, enumerable: false });
      if (ctor === LockError) break;
      ctor = Object.getPrototypeOf(ctor);
    }
    Object.defineProperty(this, 'name', { value: new.target.name, enumerable: false, configurable: true, writable: true });
  }

  static override [Symbol.hasInstance](this: Branded, value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[this.brand] === true;
  }
}

/** True when `err` is a LockError (of `code`, when given). Works across package copies. */
export function isLockError(err: unknown, code?: LockErrorCode): err is LockError {
  if (!(err instanceof LockError)) return false;
  return code === undefined || err.code === code;
}

/** The wait timeout (`waitTimeoutMs`) passed before the lock was granted. */
export class LockTimeoutError extends LockError {
  static override readonly brand = brandOf('ERR_DEADLINE');
  constructor(message: string, options?: LockErrorOptions) {
    super('ERR_DEADLINE', `${message}. Raise waitTimeoutMs, or see who holds it with \`lockctl lock NAME\``, options);
  }
}

/** Waiting would have closed a cycle in the wait-for graph (the message names the cycle). */
export class DeadlockError extends LockError {
  static override readonly brand = brandOf('ERR_DEADLOCK');
  constructor(message: string, options?: LockErrorOptions) {
    super(
      'ERR_DEADLOCK',
      `${message}. Take locks in one canonical order (client.acquireAll sorts them), or release what you hold and retry`,
      options,
    );
  }
}

/** Why a lease was lost; `'released'` is a normal release (no `leaseLost` event). */
export type LockLostReason = 'deadline' | 'revoked' | 'session expired' | 'client closed' | 'released';

/**
 * The lease can no longer be trusted: its deadline (send time of the last acknowledged
 * keepalive + TTL - safety margin) passed, an administrator revoked it, the session expired, the
 * client was closed, or the lease was released. Stop acting for the lock at once.
 */
export class LockLostError extends LockError {
  static override readonly brand = brandOf('ERR_LOCK_LOST');
  readonly lockName: string;
  readonly token: number;
  readonly reason: LockLostReason;
  /** The server's explanation, when the server reported the loss. */
  readonly detail: string;

  constructor(lockName: string, token: number, reason: LockLostReason, detail = '', options?: LockErrorOptions) {
    const why = detail === '' ? reason : `${reason}: ${detail}`;
    super(
      'ERR_LOCK_LOST',
      `the lease on '${lockName}' (token ${token}) is no longer valid (${why}). Stop acting for this lock and acquire it again before writing`,
      options,
    );
    this.lockName = lockName;
    this.token = token;
    this.reason = reason;
    this.detail = detail;
  }
}

/** The request was cancelled: by the caller's AbortSignal, or by the server (e.g. its session ended). */
export class LockCancelledError extends LockError {
  static override readonly brand = brandOf('ERR_CANCELLED');
  constructor(message: string, options?: LockErrorOptions) {
    super('ERR_CANCELLED', message, options);
  }
}

/** A value was invalid (a name, a capacity, a TTL, ...); the message names it. */
export class InvalidArgumentError extends LockError {
  static override readonly brand = brandOf('ERR_INVALID_ARGUMENT');
  constructor(message: string, options?: LockErrorOptions) {
    super('ERR_INVALID_ARGUMENT', message, options);
  }
}

/** No leader could be reached within the reconnect budget. */
export class ClusterUnavailableError extends LockError {
  static override readonly brand = brandOf('ERR_CLUSTER_UNAVAILABLE');
  readonly endpoints: readonly string[];
  constructor(endpoints: readonly string[], what: 'leader' | 'node', detail: string, options?: LockErrorOptions) {
    super(
      'ERR_CLUSTER_UNAVAILABLE',
      `no quorumlock ${what} reachable${endpoints.length === 0 ? '' : ` at ${endpoints.join(', ')}`} (${detail}). ` +
        'Check that the coordinators run and that the endpoints (--endpoints or QUORUMLOCK_ENDPOINTS) are their client addresses',
      options,
    );
    this.endpoints = endpoints;
  }
}

/** The server refused because of the state it is in (e.g. a capacity mismatch). */
export class FailedPreconditionError extends LockError {
  static override readonly brand = brandOf('ERR_FAILED_PRECONDITION');
  constructor(message: string, options?: LockErrorOptions, code: LockErrorCode = 'ERR_FAILED_PRECONDITION') {
    super(code, message, options);
  }
}

/** A fencing token is not a current hold of this session (released, revoked or stale). */
export class NotHolderError extends FailedPreconditionError {
  static override readonly brand = brandOf('ERR_NOT_HOLDER');
  constructor(message: string, options?: LockErrorOptions) {
    super(`${message}. Acquire the lock again to get a current token`, options, 'ERR_NOT_HOLDER');
  }
}

/** A try-only request found the lock busy (`tryAcquire` turns it into `null`). */
export class LockHeldError extends FailedPreconditionError {
  static override readonly brand = brandOf('ERR_LOCK_HELD');
  constructor(message: string, options?: LockErrorOptions) {
    super(message, options, 'ERR_LOCK_HELD');
  }
}

/** A queue or size limit was hit (queue full, value too large). */
export class ResourceExhaustedError extends LockError {
  static override readonly brand = brandOf('ERR_RESOURCE_EXHAUSTED');
  constructor(message: string, options?: LockErrorOptions) {
    super('ERR_RESOURCE_EXHAUSTED', `${message}. Retry later or reduce the size`, options);
  }
}

/** The session no longer exists on the server: its holds are gone. */
export class SessionExpiredError extends LockError {
  static override readonly brand = brandOf('ERR_SESSION_EXPIRED');
  constructor(message: string, options?: LockErrorOptions) {
    super(
      'ERR_SESSION_EXPIRED',
      `${message}. Every lease of the session is lost; the next call opens a new session (raise ttlMs if the process pauses for long)`,
      options,
    );
  }
}

/** Something named in an admin call does not exist. */
export class NotFoundError extends LockError {
  static override readonly brand = brandOf('ERR_NOT_FOUND');
  constructor(message: string, options?: LockErrorOptions) {
    super('ERR_NOT_FOUND', message, options);
  }
}

/** The client was closed; create a new LockClient to continue. */
export class ClientClosedError extends LockError {
  static override readonly brand = brandOf('ERR_CLIENT_CLOSED');
  constructor(what = 'the request') {
    super('ERR_CLIENT_CLOSED', `${what} was abandoned because the LockClient was closed; create a new LockClient to continue`);
  }
}

/**
 * Authorization is on and the call carried no valid credentials: no `authToken` option (nor a
 * client certificate that names the caller), or one the servers do not know.
 */
export class UnauthenticatedError extends LockError {
  static override readonly brand = brandOf('ERR_UNAUTHENTICATED');
  constructor(message: string, options?: LockErrorOptions) {
    super('ERR_UNAUTHENTICATED', message, options);
  }
}

/** The caller's role does not allow this call on this resource; the message names the permission and the resource. */
export class PermissionDeniedError extends LockError {
  static override readonly brand = brandOf('ERR_PERMISSION_DENIED');
  constructor(message: string, options?: LockErrorOptions) {
    super('ERR_PERMISSION_DENIED', message, options);
  }
}

/** A status the SDK does not expect from the server. */
export class UnexpectedError extends LockError {
  static override readonly brand = brandOf('ERR_UNEXPECTED');
  constructor(message: string, options?: LockErrorOptions) {
    super('ERR_UNEXPECTED', message, options);
  }
}

/** Which kind of request an answer belongs to: refines codes that mean different things per call. */
export type RequestContext = 'lock' | 'tryLock' | 'release' | 'put' | 'open' | 'admin' | 'fence';

type Make = (message: string, options: LockErrorOptions, context: RequestContext) => LockError;
const exhausted: Make = (m, o) => new ResourceExhaustedError(m, o);
const precondition: Make = (m, o) => new FailedPreconditionError(m, o);
const unavailable: Make = (m, o) => new ClusterUnavailableError([], 'leader', m, o);
const sessionGone: Make = (m, o, context) => (context === 'admin' ? new NotFoundError(m, o) : new SessionExpiredError(m, o));

/** The error class of every code of the wire catalogue (@quorumlock/proto error-codes). */
const BY_CODE: { readonly [K in ErrorCode]: Make } = {
  ERR_INVALID_ARGUMENT: (m, o) => new InvalidArgumentError(m, o),
  ERR_LOCK_HELD: (m, o) => new LockHeldError(m, o),
  ERR_NOT_HOLDER: (m, o) => new NotHolderError(m, o),
  ERR_STALE_TOKEN: (m, o) => new NotHolderError(m, o),
  ERR_CAPACITY_MISMATCH: precondition,
  ERR_ALREADY_HELD: precondition,
  ERR_ALREADY_WAITING: precondition,
  ERR_FAILED_PRECONDITION: precondition,
  ERR_DEADLOCK: (m, o) => new DeadlockError(m, o),
  ERR_DEADLINE: (m, o) => new LockTimeoutError(m, o),
  ERR_CANCELLED: (m, o) => new LockCancelledError(m, o),
  ERR_QUEUE_FULL: exhausted,
  ERR_TOO_MANY_HOLDS: exhausted,
  ERR_TOO_MANY_LOCKS: exhausted,
  ERR_TOO_MANY_SESSIONS: exhausted,
  ERR_VALUE_TOO_LARGE: exhausted,
  ERR_QUOTA: exhausted,
  ERR_NODE_BUSY: exhausted,
  ERR_SESSION_NOT_FOUND: sessionGone,
  ERR_SESSION_EXPIRED: sessionGone,
  ERR_SESSION_EXISTS: (m, o) => new UnexpectedError(m, o),
  ERR_NOT_FOUND: (m, o) => new NotFoundError(m, o),
  ERR_NOT_LEADER: unavailable,
  ERR_NO_LEADER: unavailable,
  ERR_UNAVAILABLE: unavailable,
  ERR_UNAUTHENTICATED: (m, o) => new UnauthenticatedError(m, o),
  ERR_PERMISSION_DENIED: (m, o) => new PermissionDeniedError(m, o),
  ERR_INTERNAL: (m, o) => new UnexpectedError(`INTERNAL: ${m}`, o),
};

/**
 * Maps a server answer (a `RequestFailed`, or the status a call ended with) to a LockError, by the
 * catalogue code the server sent (`RequestFailed.error_code`, or the `x-lock-error-code` trailer);
 * the code the server sent is kept as `serverCode`. The message text is never parsed.
 *
 * Fallback, for statuses without a code (raised by gRPC itself: a deadline, a dropped connection,
 * a message over the size limit; or a server older than error codes): the gRPC status alone
 * picks the class, so a busy try-only lock from such a server is a FailedPreconditionError, not
 * a LockHeldError.
 */
export function errorFromStatus(code: number, message: string, context: RequestContext, errorCode?: string): LockError {
  const msg = message === '' ? `${grpcCodeName(code)} from the server` : message;
  if (isErrorCode(errorCode)) return BY_CODE[errorCode](msg, { grpcCode: code, serverCode: errorCode }, context);
  const options: LockErrorOptions = { grpcCode: code };
  switch (code) {
    case GrpcCode.CANCELLED:
      return new LockCancelledError(msg, options);
    case GrpcCode.INVALID_ARGUMENT:
    case GrpcCode.OUT_OF_RANGE:
      return new InvalidArgumentError(msg, options);
    case GrpcCode.DEADLINE_EXCEEDED:
      return new LockTimeoutError(msg, options);
    case GrpcCode.NOT_FOUND:
      return sessionGone(msg, options, context);
    case GrpcCode.RESOURCE_EXHAUSTED:
      return new ResourceExhaustedError(msg, options);
    case GrpcCode.FAILED_PRECONDITION:
      return new FailedPreconditionError(msg, options);
    case GrpcCode.ABORTED:
      return new DeadlockError(msg, options);
    case GrpcCode.UNAVAILABLE:
      return new ClusterUnavailableError([], 'leader', msg, options);
    case GrpcCode.UNAUTHENTICATED:
      return new UnauthenticatedError(msg, options);
    case GrpcCode.PERMISSION_DENIED:
      return new PermissionDeniedError(msg, options);
    default:
      return new UnexpectedError(`${grpcCodeName(code)}: ${msg}`, options);
  }
}
