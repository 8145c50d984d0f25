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
  ResourceExhaustedError,
  SessionExpiredError,
  UnexpectedError,
} from '../../src/errors';

describe('errorFromStatus', () => {
  it.each([
    [GrpcCode.DEADLINE_EXCEEDED, 'request 3 timed out after 100 ms waiting for \'a\'', 'lock', LockTimeoutError, 'ERR_DEADLINE'],
    [GrpcCode.ABORTED, 'deadlock: s1 -> s2 -> s1', 'lock', DeadlockError, 'ERR_DEADLOCK'],
    [GrpcCode.CANCELLED, 'request 3 was cancelled', 'lock', LockCancelledError, 'ERR_CANCELLED'],
    [GrpcCode.INVALID_ARGUMENT, 'name must not be empty', 'lock', InvalidArgumentError, 'ERR_INVALID_ARGUMENT'],
    [GrpcCode.RESOURCE_EXHAUSTED, "the queue of 'a' is full", 'lock', ResourceExhaustedError, 'ERR_RESOURCE_EXHAUSTED'],
    [GrpcCode.FAILED_PRECONDITION, "capacity 2 requested for 'a', which has capacity 1", 'lock', FailedPreconditionError, 'ERR_FAILED_PRECONDITION'],
    [GrpcCode.FAILED_PRECONDITION, "token 7 is not a current hold of 'a'", 'release', NotHolderError, 'ERR_NOT_HOLDER'],
    [GrpcCode.FAILED_PRECONDITION, "'a' is held by 1 session", 'tryLock', LockHeldError, 'ERR_LOCK_HELD'],
    [GrpcCode.NOT_FOUND, "session 's1' not found (unknown, closed or expired)", 'lock', SessionExpiredError, 'ERR_SESSION_EXPIRED'],
    [GrpcCode.NOT_FOUND, "no lock named 'a'", 'admin', NotFoundError, 'ERR_NOT_FOUND'],
    [GrpcCode.UNAVAILABLE, 'no leader', 'admin', ClusterUnavailableError, 'ERR_CLUSTER_UNAVAILABLE'],
    [GrpcCode.INTERNAL, 'boom', 'lock', UnexpectedError, 'ERR_UNEXPECTED'],
  ] as const)('status %d %j (%s) is %p', (code, message, context, cls, errCode) => {
    const e = errorFromStatus(code, message, context);
    expect(e).toBeInstanceOf(cls);
    expect(e).toBeInstanceOf(LockError);
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe(errCode);
    expect(e.grpcCode).toBe(code);
    expect(e.name).toBe(cls.name);
    expect(e.message).toContain(message);
  });

  it('a try-only capacity mismatch stays a FailedPreconditionError, not "held"', () => {
    const e = errorFromStatus(GrpcCode.FAILED_PRECONDITION, "capacity 3 requested for 'a', which has capacity 1", 'tryLock');
    expect(e).not.toBeInstanceOf(LockHeldError);
    expect(e).toBeInstanceOf(FailedPreconditionError);
  });

  it('an x-lock-error-code trailer wins over the guess from the status', () => {
    expect(errorFromStatus(GrpcCode.FAILED_PRECONDITION, 'whatever', 'lock', 'ERR_SESSION_EXPIRED')).toBeInstanceOf(SessionExpiredError);
    expect(errorFromStatus(GrpcCode.FAILED_PRECONDITION, 'x', 'lock', 'ERR_LOCK_HELD')).toBeInstanceOf(LockHeldError);
  });

  it('messages say what to do', () => {
    expect(errorFromStatus(GrpcCode.DEADLINE_EXCEEDED, 'timed out', 'lock').message).toMatch(/Raise waitTimeoutMs/);
    expect(errorFromStatus(GrpcCode.ABORTED, 'cycle', 'lock').message).toMatch(/canonical order.*acquireAll/);
    expect(new ClusterUnavailableError(['h:1'], 'leader', 'gave up').message).toMatch(/no quorumlock leader reachable at h:1 \(gave up\)\. Check/);
    expect(new ClientClosedError().message).toMatch(/create a new LockClient/);
    expect(errorFromStatus(GrpcCode.NOT_FOUND, 'session s not found', 'open').message).toMatch(/next call opens a new session/);
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
