/**
 * Error codes of the wire catalogue (@quorumlock/proto error-codes) as the lock state machine
 * decides them: every refusal carries the code of its reason, the gRPC status the catalogue gives
 * that code, the same code again when the request is resent, and after a snapshot and restore.
 * Also: the README's "Error codes" table lists exactly the catalogue.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ERROR_CODES, grpcStatusOf, type ErrorCode } from '@quorumlock/proto';
import { LockStateMachine, type ApplyOutput } from '../../src/state';
import { Driver, only, tokenOf } from './harness';

function failure(out: ApplyOutput): { code: number; errorCode: ErrorCode } {
  const f = only(out, 'failed');
  // The status the proposer sees agrees with the event the stream gets.
  expect(out.status).toEqual({ code: f.code, message: f.message, errorCode: f.errorCode });
  expect(f.code).toBe(grpcStatusOf(f.errorCode));
  return { code: f.code, errorCode: f.errorCode };
}

const codeOf = (out: ApplyOutput): ErrorCode => failure(out).errorCode;

describe('the machine refuses with the code of the reason', () => {
  test('lock requests', () => {
    const d = new Driver({ limits: { maxQueueLength: 1, maxHoldsPerSession: 3, maxResources: 3 } });
    for (const s of ['a', 'b', 'c', 'd']) d.open(s);
    const t = tokenOf(d.lock('a', 1, 'x'));
    expect(codeOf(d.lock('b', 1, 'x', { tryOnly: true }))).toBe('ERR_LOCK_HELD');
    expect(codeOf(d.lock('b', 2, 'x', { capacity: 2 }))).toBe('ERR_CAPACITY_MISMATCH');
    expect(codeOf(d.lock('a', 3, 'x'))).toBe('ERR_ALREADY_HELD');
    expect(codeOf(d.lock('b', 4, ''))).toBe('ERR_INVALID_ARGUMENT');
    d.lock('b', 5, 'x'); // queued: the queue is full now
    expect(codeOf(d.lock('b', 6, 'x'))).toBe('ERR_ALREADY_WAITING');
    expect(codeOf(d.lock('c', 1, 'x'))).toBe('ERR_QUEUE_FULL');
    expect(codeOf(d.lock('ghost', 1, 'x'))).toBe('ERR_SESSION_NOT_FOUND');
    tokenOf(d.lock('c', 2, 'y'));
    tokenOf(d.lock('c', 3, 'z'));
    expect(codeOf(d.lock('d', 1, 'w'))).toBe('ERR_TOO_MANY_LOCKS');
    expect(codeOf(d.release('b', 8, 'x', t))).toBe('ERR_NOT_HOLDER');
    expect(codeOf(d.put('b', 9, 'x', t, 'v'))).toBe('ERR_NOT_HOLDER');
  });

  test('deadlock, wait timeout, cancel, holds per session', () => {
    const d = new Driver({ limits: { maxHoldsPerSession: 2 } });
    d.open('s1');
    d.open('s2');
    d.open('s3');
    tokenOf(d.lock('s1', 1, 'a'));
    tokenOf(d.lock('s2', 1, 'b'));
    d.lock('s1', 2, 'b');
    expect(codeOf(d.lock('s2', 2, 'a'))).toBe('ERR_DEADLOCK');
    expect(codeOf(d.lock('s1', 3, 'c'))).toBe('ERR_TOO_MANY_HOLDS');
    d.lock('s3', 1, 'a', { waitTimeoutMs: 100 });
    // A timer's failure answers a request, not the tick that fired it.
    const timedOut = only(d.advance(100).tick(), 'failed');
    expect([timedOut.errorCode, timedOut.code]).toEqual(['ERR_DEADLINE', grpcStatusOf('ERR_DEADLINE')]);
    expect(only(d.cancel('s1', 2), 'failed').errorCode).toBe('ERR_CANCELLED');
  });

  test('values: too large, quota', () => {
    const d = new Driver({ limits: { maxValueBytes: 4, maxTotalValueBytes: 6 } });
    d.open('s');
    const a = tokenOf(d.lock('s', 1, 'a'));
    const b = tokenOf(d.lock('s', 2, 'b'));
    expect(codeOf(d.put('s', 3, 'a', a, '12345'))).toBe('ERR_VALUE_TOO_LARGE');
    expect(only(d.put('s', 4, 'a', a, '1234'), 'valuePut').token).toBe(a);
    expect(codeOf(d.put('s', 5, 'b', b, '123'))).toBe('ERR_QUOTA');
  });

  test('a resend gets the same code; so does one after a snapshot and restore', () => {
    const d = new Driver();
    d.open('a');
    d.open('b');
    tokenOf(d.lock('a', 1, 'x'));
    expect(codeOf(d.lock('b', 1, 'x', { tryOnly: true }))).toBe('ERR_LOCK_HELD');
    expect(codeOf(d.lock('b', 1, 'x', { tryOnly: true }))).toBe('ERR_LOCK_HELD');
    const copy = new LockStateMachine();
    copy.restore(d.machine.snapshot());
    expect(copy.snapshot()).toEqual(d.machine.snapshot());
    const replayed = copy.applyCommand({ type: 'lock', stamp: d.clock, sessionId: 'b', requestId: 1, name: 'x', capacity: 0, mode: 'exclusive', waitTimeoutMs: 0, tryOnly: true, lockDelayMs: 0, permits: 0, priority: 0 }, { index: d.index + 1, term: d.term });
    expect(codeOf(replayed)).toBe('ERR_LOCK_HELD');
  });

  test('a resent lock whose grant has ended: ERR_STALE_TOKEN', () => {
    const d = new Driver();
    d.open('a');
    const t = tokenOf(d.lock('a', 1, 'x'));
    d.release('a', 2, 'x', t);
    expect(codeOf(d.lock('a', 1, 'x'))).toBe('ERR_STALE_TOKEN');
  });
});

test('the README lists every code of the catalogue with its status and retry, and nothing else', () => {
  const readme = fs.readFileSync(path.resolve(__dirname, '../../../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Error codes'));
  const rows = [...section.matchAll(/^\| `(ERR_[A-Z_]+)` \| ([A-Z_]+)[^|]* \| [^|]+ \| (yes|no|later)\b[^|]* \|$/gm)].map((m) => [m[1], m[2], m[3]]);
  const want = (Object.keys(ERROR_CODES) as ErrorCode[]).map((c) => [c, ERROR_CODES[c].status, ERROR_CODES[c].retry]);
  expect(rows).toEqual(want);
});
