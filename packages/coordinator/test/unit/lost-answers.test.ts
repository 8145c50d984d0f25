/**
 * Lost answers and overdue sessions (issue 9, section 6), decided by the pure machine:
 * - the dedupe window covers every request a stream may have awaiting replication (the server's
 *   --max-in-flight, refused above the window by config validation): a resend after that many
 *   newer answers gets its first answer, never a second run;
 * - a waiter whose session is overdue (deadline passed, not yet expired) is not granted: its
 *   session expires at that apply and the next live waiter gets the lock;
 * - `sessionOpened` on resume names the request id of each hold.
 */
import { loadConfig } from '../../src/config';
import { Code, DEFAULT_LIMITS } from '../../src/state';
import { Driver, only, ofType, tokenOf } from './harness';

const BASE_ARGS = ['--id', 'n1', '--data-dir', '/tmp/unused', '--initial-cluster', 'n1=127.0.0.1:7001/127.0.0.1:6001'];

/** The server's default --max-in-flight, as the config loader resolves it. */
function defaultMaxInFlight(): number {
  const cfg = loadConfig(BASE_ARGS, {});
  if (cfg === 'help') throw new Error('unexpected help');
  return cfg.maxInFlightPerStream;
}

describe('dedupe window and --max-in-flight', () => {
  test('config refuses a --max-in-flight above the dedupe window, naming both values', () => {
    const window = DEFAULT_LIMITS.dedupeWindow;
    expect(defaultMaxInFlight()).toBeLessThanOrEqual(window);
    // With one hold per session, the whole window may be in flight but one.
    const full = loadConfig([...BASE_ARGS, '--max-in-flight', String(window - 1), '--max-holds-per-session', '1'], {});
    expect(full !== 'help' && full.maxInFlightPerStream).toBe(window - 1);
    expect(() => loadConfig([...BASE_ARGS, '--max-in-flight', String(window + 1)], {})).toThrow(
      `--max-in-flight ${window + 1} is above the dedupe window of ${window} answers each session remembers; a resend beyond it would run its request again`,
    );
    // Queued requests that finish while a stream is broken are lost answers too.
    expect(() => loadConfig([...BASE_ARGS, '--max-in-flight', String(window - 1), '--max-holds-per-session', '2'], {})).toThrow(
      `--max-in-flight ${window - 1} plus --max-holds-per-session 2 is above the dedupe window of ${window}`,
    );
  });

  test('a released lock resent after max-in-flight newer answers gets its first answer, not a new grant', () => {
    const inFlight = defaultMaxInFlight();
    const d = new Driver(); // default limits, as the server runs them
    d.open('a');
    d.open('b');
    const t = tokenOf(d.lock('a', 1, 'x'));
    expect(only(d.release('a', 2, 'x', t), 'released').token).toBe(t);
    // A whole stream's worth of requests answered after the release (a burst awaiting
    // replication when the stream broke): cancels of ids never used are answered and remembered.
    for (let id = 3; id < 3 + inFlight; id++) d.cancel('a', id);
    d.lock('b', 1, 'x'); // someone else holds x now
    const lockAgain = d.lock('a', 1, 'x');
    expect(only(lockAgain, 'failed')).toMatchObject({ code: Code.FAILED_PRECONDITION, message: `request 1 was granted 'x' with token ${t}, which is no longer held` });
    expect(ofType(lockAgain, 'queued')).toEqual([]);
    expect(only(d.release('a', 2, 'x', t), 'released').token).toBe(t);
    expect(d.machine.describeLock('x')?.holders.map((h) => h.sessionId)).toEqual(['b']);
    expect(d.machine.invariantViolations()).toEqual([]);
  });

  test('a timed-out lock resent after max-in-flight newer answers times out again instead of waiting anew', () => {
    const inFlight = defaultMaxInFlight();
    const d = new Driver();
    d.open('a');
    d.open('h');
    tokenOf(d.lock('h', 1, 'x'));
    expect(only(d.lock('a', 1, 'x', { waitTimeoutMs: 100 }), 'queued').position).toBe(1);
    const timedOut = only(d.advance(100).tick(), 'failed');
    expect(timedOut.code).toBe(Code.DEADLINE_EXCEEDED);
    for (let id = 2; id < 2 + inFlight; id++) d.cancel('a', id);
    const resent = d.lock('a', 1, 'x', { waitTimeoutMs: 100 });
    expect(only(resent, 'failed')).toEqual(timedOut);
    expect(d.machine.describeLock('x')?.waiterCount).toBe(0);
  });
});

describe('a waiter of an overdue session', () => {
  test('is not granted: its session expires at that apply and the next live waiter gets the lock', () => {
    const d = new Driver();
    d.open('h');
    d.open('late', 1000);
    d.open('w');
    const th = tokenOf(d.lock('h', 1, 'x'));
    tokenOf(d.lock('late', 1, 'y'));
    expect(only(d.lock('late', 2, 'x'), 'queued').position).toBe(1);
    expect(only(d.lock('w', 1, 'x'), 'queued').position).toBe(2);
    d.advance(1500); // 'late' is overdue; the leader's sweep has not expired it yet
    d.run({ type: 'renew', sessionIds: ['h', 'w'] });
    expect(d.machine.overdueSessions(d.clock)).toEqual(['late']);
    const out = d.release('h', 2, 'x', th);
    const reason = 'session late expired: no keepalive for 1500 ms (ttl 1000 ms)';
    expect(out.events.map((e) => [e.type, 'sessionId' in e ? e.sessionId : ''])).toEqual([
      ['released', 'h'],
      ['lost', 'late'],
      ['failed', 'late'],
      ['sessionExpired', 'late'],
      ['granted', 'w'],
    ]);
    expect(ofType(out, 'sessionExpired')[0]?.reason).toBe(reason);
    expect(ofType(out, 'failed')[0]).toMatchObject({ requestId: 2, code: Code.CANCELLED });
    expect(d.machine.getSession('late')).toBeUndefined();
    expect(d.machine.describeLock('x')?.holders.map((h) => h.sessionId)).toEqual(['w']);
    expect(d.machine.describeLock('y')).toBeUndefined();
    expect(d.machine.invariantViolations()).toEqual([]);
  });

  test('a waiter whose session renewed in time is granted as before', () => {
    const d = new Driver();
    d.open('h');
    d.open('s', 1000);
    const th = tokenOf(d.lock('h', 1, 'x'));
    d.lock('s', 1, 'x');
    d.advance(900).run({ type: 'renew', sessionIds: ['h', 's'] });
    d.advance(900);
    expect(only(d.release('h', 2, 'x', th), 'granted').sessionId).toBe('s');
  });

  test('a wait timeout that frees the head skips an overdue session behind it the same way', () => {
    const d = new Driver();
    d.open('h');
    d.open('t');
    d.open('late', 1000);
    tokenOf(d.lock('h', 1, 'x', { mode: 'shared', capacity: 2, permits: 1 }));
    d.lock('t', 1, 'x', { mode: 'shared', capacity: 2, permits: 2, waitTimeoutMs: 1200 });
    d.lock('late', 1, 'x', { mode: 'shared', capacity: 2, permits: 1 });
    d.advance(1200);
    const out = d.tick();
    expect(out.events.map((e) => [e.type, 'sessionId' in e ? e.sessionId : ''])).toEqual([
      ['failed', 't'],
      ['failed', 'late'],
      ['sessionExpired', 'late'],
    ]);
    expect(d.machine.describeLock('x')?.holders.map((h) => h.sessionId)).toEqual(['h']);
    expect(d.machine.invariantViolations()).toEqual([]);
  });
});

describe('resume', () => {
  test('sessionOpened names the request id of every hold', () => {
    const d = new Driver();
    d.open('a');
    const tx = tokenOf(d.lock('a', 7, 'x'));
    const ty = tokenOf(d.lock('a', 9, 'y', { capacity: 3, mode: 'shared' }));
    const opened = only(d.run({ type: 'resumeSession', sessionId: 'a' }), 'sessionOpened');
    expect(opened.holds).toEqual([
      { name: 'x', token: tx, mode: 'exclusive', permits: 1, requestId: 7 },
      { name: 'y', token: ty, mode: 'shared', permits: 1, requestId: 9 },
    ]);
  });
});
