/**
 * Error mapping from gRPC statuses (RequestFailed codes and call statuses) to typed LockErrors,
 * stable codes, actionable messages, and brand-based instanceof that survives a second copy of
 * the module (as Jest's per-file registries or a duplicated node_modules would create).
 */
import {
  ClientClosedError,
  ClusterUnavailableError,
  DeadlockError,
  errorFromStatus,
  FailedPreconditionError,
  GrpcCode,
  InvalidArgumentError,
  isLockError,
  LockCancelledError,
  LockError,
  LockHeldError,
  LockLostError,
  LockTimeoutError,
  NotFoundError,
  NotHolderError,
  PermissionDeniedError,
  ResourceExhaustedError,
  SessionExpiredError,
  UnauthenticatedError,
  UnexpectedError,
} from '../../src/errors';
import { ERROR_CODES, grpcStatusOf, type ErrorCode } from '@quorumlock/proto';

describe('errorFromStatus', () => {
  // [gRPC status, message, context, the code the server sent, class, LockError code]
  it.each([
    [GrpcCode.DEADLINE_EXCEEDED, "request 3 timed out after 100 ms waiting for 'a'", 'lock', 'ERR_DEADLINE', LockTimeoutError, 'ERR_DEADLINE'],
    [GrpcCode.ABORTED, 'deadlock: s1 -> s2 -> s1', 'lock', 'ERR_DEADLOCK', DeadlockError, 'ERR_DEADLOCK'],
    [GrpcCode.CANCELLED, 'request 3 was cancelled', 'lock', 'ERR_CANCELLED', LockCancelledError, 'ERR_CANCELLED'],
    [GrpcCode.INVALID_ARGUMENT, 'name must not be empty', 'lock', 'ERR_INVALID_ARGUMENT', InvalidArgumentError, 'ERR_INVALID_ARGUMENT'],
    [GrpcCode.RESOURCE_EXHAUSTED, "the queue of 'a' is full", 'lock', 'ERR_QUEUE_FULL', ResourceExhaustedError, 'ERR_RESOURCE_EXHAUSTED'],
    [GrpcCode.RESOURCE_EXHAUSTED, 'value quota: full', 'put', 'ERR_QUOTA', ResourceExhaustedError, 'ERR_RESOURCE_EXHAUSTED'],
    [GrpcCode.FAILED_PRECONDITION, "capacity 2 requested for 'a', which has capacity 1", 'lock', 'ERR_CAPACITY_MISMATCH', FailedPreconditionError, 'ERR_FAILED_PRECONDITION'],
    [GrpcCode.FAILED_PRECONDITION, "token 7 is not a current hold of 'a'", 'release', 'ERR_NOT_HOLDER', NotHolderError, 'ERR_NOT_HOLDER'],
    [GrpcCode.FAILED_PRECONDITION, "request 4 was granted 'a' with token 9, which is no longer held", 'lock', 'ERR_STALE_TOKEN', NotHolderError, 'ERR_NOT_HOLDER'],
    [GrpcCode.FAILED_PRECONDITION, "'a' is held by 1 session", 'tryLock', 'ERR_LOCK_HELD', LockHeldError, 'ERR_LOCK_HELD'],
    [GrpcCode.NOT_FOUND, "session 's1' not found (unknown, closed or expired)", 'lock', 'ERR_SESSION_NOT_FOUND', SessionExpiredError, 'ERR_SESSION_EXPIRED'],
    [GrpcCode.NOT_FOUND, "session 's1' expired: no keepalive for 9000 ms", 'open', 'ERR_SESSION_EXPIRED', SessionExpiredError, 'ERR_SESSION_EXPIRED'],
    [GrpcCode.NOT_FOUND, "session 's1' not found (unknown, closed or expired)", 'admin', 'ERR_SESSION_NOT_FOUND', NotFoundError, 'ERR_NOT_FOUND'],
    [GrpcCode.NOT_FOUND, "no lock named 'a'", 'admin', 'ERR_NOT_FOUND', NotFoundError, 'ERR_NOT_FOUND'],
    [GrpcCode.UNAVAILABLE, 'no leader', 'admin', 'ERR_NO_LEADER', ClusterUnavailableError, 'ERR_CLUSTER_UNAVAILABLE'],
    [GrpcCode.INTERNAL, 'boom', 'lock', 'ERR_INTERNAL', UnexpectedError, 'ERR_UNEXPECTED'],
    [GrpcCode.UNAUTHENTICATED, 'no identity: no token', 'lock', 'ERR_UNAUTHENTICATED', UnauthenticatedError, 'ERR_UNAUTHENTICATED'],
    [GrpcCode.PERMISSION_DENIED, "'grafana' (role reader) may not Revoke lock 'jobs/1'", 'admin', 'ERR_PERMISSION_DENIED', PermissionDeniedError, 'ERR_PERMISSION_DENIED'],
  ] as const)('status %d %j (%s) with %s is %p', (code, message, context, serverCode, cls, errCode) => {
    const e = errorFromStatus(code, message, context, serverCode);
    expect(e).toBeInstanceOf(cls);
    expect(e).toBeInstanceOf(LockError);
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe(errCode);
    expect(e.serverCode).toBe(serverCode);
    expect(e.grpcCode).toBe(code);
    expect(e.name).toBe(cls.name);
    expect(e.message).toContain(message);
  });

  it('maps every code of the wire catalogue, whatever the message says', () => {
    const decoy = "token 7 is not a current hold of 'a'; capacity; already holds; session";
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const e = errorFromStatus(grpcStatusOf(code), decoy, 'tryLock', code);
      expect([code, e instanceof LockError, e.serverCode, e.grpcCode]).toEqual([code, true, code, grpcStatusOf(code)]);
    }
    expect(errorFromStatus(GrpcCode.FAILED_PRECONDITION, decoy, 'tryLock', 'ERR_LOCK_HELD')).toBeInstanceOf(LockHeldError);
    expect(errorFromStatus(GrpcCode.FAILED_PRECONDITION, "'a' is held", 'tryLock', 'ERR_CAPACITY_MISMATCH')).not.toBeInstanceOf(LockHeldError);
    expect(errorFromStatus(GrpcCode.FAILED_PRECONDITION, "'a' is held", 'release', 'ERR_NOT_HOLDER')).toBeInstanceOf(NotHolderError);
  });

  it('without a code (gRPC itself, an older server) the status alone picks the class: the message is never parsed', () => {
    const notHolderText = errorFromStatus(GrpcCode.FAILED_PRECONDITION, "token 7 is not a current hold of 'a'", 'release');
    expect([notHolderText instanceof NotHolderError, notHolderText instanceof FailedPreconditionError, notHolderText.serverCode]).toEqual([false, true, undefined]);
    expect(errorFromStatus(GrpcCode.FAILED_PRECONDITION, "'a' is held by 1 session", 'tryLock')).not.toBeInstanceOf(LockHeldError);
    expect(errorFromStatus(GrpcCode.NOT_FOUND, 'no lock', 'lock')).toBeInstanceOf(SessionExpiredError);
    expect(errorFromStatus(GrpcCode.NOT_FOUND, 'session s', 'admin')).toBeInstanceOf(NotFoundError);
    expect(errorFromStatus(GrpcCode.DEADLINE_EXCEEDED, '', 'lock')).toBeInstanceOf(LockTimeoutError);
    expect(errorFromStatus(GrpcCode.FAILED_PRECONDITION, 'x', 'lock', 'ERR_SOMETHING_NEW')).toBeInstanceOf(FailedPreconditionError);
  });

  it('a code in the trailer wins over the status', () => {
    expect(errorFromStatus(GrpcCode.FAILED_PRECONDITION, 'whatever', 'lock', 'ERR_SESSION_EXPIRED')).toBeInstanceOf(SessionExpiredError);
    expect(errorFromStatus(GrpcCode.FAILED_PRECONDITION, 'x', 'lock', 'ERR_LOCK_HELD')).toBeInstanceOf(LockHeldError);
  });

  it('messages say what to do', () => {
    expect(errorFromStatus(GrpcCode.DEADLINE_EXCEEDED, 'timed out', 'lock').message).toMatch(/Raise waitTimeoutMs/);
    expect(errorFromStatus(GrpcCode.ABORTED, 'cycle', 'lock').message).toMatch(/canonical order.*acquireAll/);
    expect(new ClusterUnavailableError(['h:1'], 'leader', 'gave up').message).toMatch(/no quorumlock leader reachable at h:1 \(gave up\)\. Check/);
    expect(new ClientClosedError().message).toMatch(/create a new LockClient/);
    expect(errorFromStatus(GrpcCode.NOT_FOUND, 'session s not found', 'open', 'ERR_SESSION_NOT_FOUND').message).toMatch(/next call opens a new session/);
  });
});

describe('instanceof', () => {
  it('subclasses are instances of their parents only', () => {
    const held = new LockHeldError('x');
    expect(held).toBeInstanceOf(FailedPreconditionError);
    expect(held).toBeInstanceOf(LockError);
    expect(held).not.toBeInstanceOf(NotHolderError);
    expect(new DeadlockError('x')).not.toBeInstanceOf(LockTimeoutError);
    expect(new Error('x')).not.toBeInstanceOf(LockError);
    expect(null).not.toBeInstanceOf(LockError);
    const lost = new LockLostError('a', 1, 'deadline');
    expect(isLockError(lost)).toBe(true);
    expect(isLockError(lost, 'ERR_LOCK_LOST')).toBe(true);
    expect(isLockError(lost, 'ERR_DEADLOCK')).toBe(false);
    expect(isLockError(new Error('x'))).toBe(false);
  });

  it('works across two copies of the module', () => {
    let copy: typeof import('../../src/errors') | undefined;
    jest.isolateModules(() => {
      copy = jest.requireActual<typeof import('../../src/errors')>('../../src/errors');
    });
    if (copy === undefined) throw new Error('no copy');
    expect(copy.DeadlockError).not.toBe(DeadlockError);
    const foreign = new copy.DeadlockError('cycle');
    expect(foreign).toBeInstanceOf(DeadlockError);
    expect(foreign).toBeInstanceOf(LockError);
    expect(foreign).not.toBeInstanceOf(LockTimeoutError);
    expect(new DeadlockError('x')).toBeInstanceOf(copy.LockError);
    expect(isLockError(foreign, 'ERR_DEADLOCK')).toBe(true);
  });
});
