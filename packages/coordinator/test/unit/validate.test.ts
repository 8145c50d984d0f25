import { packageDefinition, v1 } from '../../src/server/proto';
import { findInvalidUtf8, invalidUtf8Of, schemaOf, withStrictUtf8 } from '../../src/server/strict-utf8';
import { checkAcquireRequest, checkName } from '../../src/server/validate';
import type { AcquireRequest, WireLock } from '../../src/server/proto';
import { DEFAULT_LIMITS } from '../../src/state/limits';
import { Code } from '../../src/state/status';

const limits = DEFAULT_LIMITS;
const schema = schemaOf(packageDefinition);

const lock = (extra: Partial<Record<keyof WireLock, unknown>> = {}): AcquireRequest =>
  ({
    msg: 'lock',
    lock: { requestId: 1, name: 'a', capacity: 0, mode: 'EXCLUSIVE', waitTimeoutMs: 0, tryOnly: false, lockDelayMs: 0, permits: 0, priority: 0, ...extra },
  }) as AcquireRequest;

/** Wire bytes of a LockRequest inside an AcquireRequest (field 2), with `name` given as raw bytes. */
function lockFrame(name: number[], mode?: number): Buffer {
  const inner = [0x08, 0x01, 0x12, name.length, ...name, ...(mode === undefined ? [] : [0x20, mode])];
  return Buffer.from([0x12, inner.length, ...inner]);
}

describe('server-side request checks (before anything is proposed)', () => {
  test('a valid lock request passes', () => {
    expect(checkAcquireRequest(lock(), limits)).toBeUndefined();
    expect(checkAcquireRequest(lock({ mode: 'SHARED', capacity: 5, permits: 5, priority: -3, lockDelayMs: limits.maxLockDelayMs }), limits)).toBeUndefined();
  });

  test('an unknown Mode number is INVALID_ARGUMENT under the request id, naming the field and value', () => {
    const r = checkAcquireRequest(lock({ mode: 7 }), limits);
    expect(r).toMatchObject({ code: Code.INVALID_ARGUMENT, field: 'lock.mode', requestId: 1 });
    expect(r?.message).toContain('7');
  });

  test.each([
    ['an empty name', { name: '' }, 'lock.name'],
    ['a 513-byte name', { name: 'x'.repeat(513) }, 'lock.name'],
    ['capacity above the limit', { capacity: limits.maxCapacity + 1 }, 'lock.capacity'],
    ['permits above the capacity', { capacity: 2, permits: 3 }, 'lock.permits'],
    ['a lock delay above the limit', { lockDelayMs: limits.maxLockDelayMs + 1 }, 'lock.lock_delay_ms'],
    ['a priority beyond int32', { priority: 2 ** 31 }, 'lock.priority'],
  ])('%s is INVALID_ARGUMENT under the request id', (_what, extra, field) => {
    expect(checkAcquireRequest(lock(extra), limits)).toMatchObject({ code: Code.INVALID_ARGUMENT, errorCode: 'ERR_INVALID_ARGUMENT', field, requestId: 1 });
  });

  test('a name is 1..512 UTF-8 bytes, counted in bytes, not characters', () => {
    expect(checkName('name', 'é'.repeat(256), limits)).toBeUndefined(); // 512 bytes
    expect(checkName('name', 'é'.repeat(257), limits)?.message).toContain('514 bytes');
    expect(checkName('name', 'x'.repeat(900 * 1024), limits)?.message).toContain(`${900 * 1024} bytes`);
  });

  test('a request id beyond 2^53 cannot be answered by id: the refusal ends the stream', () => {
    const r = checkAcquireRequest(lock({ requestId: 2 ** 64 }), limits);
    expect(r).toMatchObject({ code: Code.INVALID_ARGUMENT, field: 'lock.request_id' });
    expect(r?.requestId).toBeUndefined();
  });

  test('an oversized value is RESOURCE_EXHAUSTED naming the limit', () => {
    const put = { msg: 'put', put: { requestId: 4, name: 'a', token: 3, value: Buffer.alloc(limits.maxValueBytes + 1) } } as AcquireRequest;
    const r = checkAcquireRequest(put, limits);
    expect(r).toMatchObject({ code: Code.RESOURCE_EXHAUSTED, errorCode: 'ERR_VALUE_TOO_LARGE', field: 'put.value', requestId: 4 });
    expect(r?.message).toContain(String(limits.maxValueBytes));
    const ok = { msg: 'put', put: { requestId: 4, name: 'a', token: 3, value: Buffer.alloc(limits.maxValueBytes) } } as AcquireRequest;
    expect(checkAcquireRequest(ok, limits)).toBeUndefined();
  });

  test('open: an oversized client name or session id is refused', () => {
    const open = (sessionId: string, clientName: string): AcquireRequest => ({ msg: 'open', open: { sessionId, ttlMs: 0, clientName, sessionSecret: '' } });
    expect(checkAcquireRequest(open('', 'w'), limits)).toBeUndefined();
    expect(checkAcquireRequest(open('', 'w'.repeat(limits.maxClientNameBytes + 1)), limits)?.field).toBe('open.client_name');
    expect(checkAcquireRequest(open('s'.repeat(limits.maxSessionIdBytes + 1), ''), limits)?.field).toBe('open.session_id');
  });
});

describe('strict UTF-8 from the raw request bytes', () => {
  const acquire = v1.LockService.service['Acquire'];
  if (acquire === undefined) throw new Error('no Acquire method');

  test('proto-loader alone turns ff fe 41 into U+FFFD U+FFFD A (why the raw scan is needed)', () => {
    const decoded = acquire.requestDeserialize(lockFrame([0xff, 0xfe, 0x41])) as AcquireRequest;
    expect(decoded.lock?.name).toBe('\ufffd\ufffdA');
  });

  test('invalid bytes are found with their field path; the valid encoding of U+FFFD is not', () => {
    expect(findInvalidUtf8(schema, 'quorumlock.v1.AcquireRequest', lockFrame([0xff, 0xfe, 0x41]))).toEqual({ field: 'lock.name', hex: 'fffe41' });
    expect(findInvalidUtf8(schema, 'quorumlock.v1.AcquireRequest', lockFrame([0xef, 0xbf, 0xbd, 0x41]))).toBeUndefined();
    // A truncated 4-byte sequence is as long as its replacement: only a byte-level check sees it.
    expect(findInvalidUtf8(schema, 'quorumlock.v1.AcquireRequest', lockFrame([0xf0, 0x9f, 0x98, 0x41]))?.field).toBe('lock.name');
    expect(findInvalidUtf8(schema, 'quorumlock.v1.CheckFenceRequest', Buffer.from([0x0a, 0x02, 0xc3, 0x28]))).toEqual({ field: 'name', hex: 'c328' });
  });

  test('the scan descends only into message fields that can hold text', () => {
    const acquire = schema.get('quorumlock.v1.AcquireRequest');
    expect(acquire?.get(2)?.kind).toBe('message'); // lock: LockRequest has `name`
    expect(acquire?.get(1)?.kind).toBe('message'); // open: OpenSession has `session_id`
    expect(acquire?.get(4)?.kind).toBe('other'); // keepalive: KeepAlive is one number
    expect(acquire?.get(5)?.kind).toBe('other'); // close: CloseSession is empty
    // A keepalive whose field is not valid UTF-8 bytes is not read as text (and decodes as a keepalive).
    expect(findInvalidUtf8(schema, 'quorumlock.v1.AcquireRequest', Buffer.from([0x22, 0x02, 0x08, 0x7f]))).toBeUndefined();
  });

  test('the wrapped deserializer marks the decoded request, and validation refuses it under its id', () => {
    const strict = withStrictUtf8(v1.LockService.service, schema, 'quorumlock.v1')['Acquire'];
    if (strict === undefined) throw new Error('no Acquire method');
    const bad = strict.requestDeserialize(lockFrame([0xff, 0xfe, 0x41])) as AcquireRequest;
    const r = checkAcquireRequest(bad, limits, invalidUtf8Of(bad));
    expect(r).toMatchObject({ code: Code.INVALID_ARGUMENT, field: 'lock.name', requestId: 1 });
    expect(r?.message).toContain('fffe41');
    const good = strict.requestDeserialize(lockFrame([0xef, 0xbf, 0xbd, 0x41])) as AcquireRequest;
    expect(invalidUtf8Of(good)).toBeUndefined();
    expect(checkAcquireRequest(good, limits, invalidUtf8Of(good))).toBeUndefined();
  });

  test('mode 7 on the wire arrives as the number 7 and is refused', () => {
    const decoded = acquire.requestDeserialize(lockFrame([0x61], 7)) as AcquireRequest;
    expect(decoded.lock?.mode).toBe(7);
    expect(checkAcquireRequest(decoded, limits)?.field).toBe('lock.mode');
  });
});
