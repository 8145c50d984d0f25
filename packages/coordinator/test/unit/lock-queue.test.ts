import { Code } from '../../src/state';
import { Driver, only, ofType, tokenOf } from './harness';

function withSessions(...ids: string[]): Driver {
  const d = new Driver();
  for (const id of ids) d.open(id);
  return d;
}

describe('mutex grants and FIFO queue', () => {
  test('first lock is granted with the index of its entry as token; the next waits', () => {
    const d = withSessions('s1', 's2');
    const g = d.lock('s1', 1, 'a');
    expect(g.status.code).toBe(Code.OK);
    expect(only(g, 'granted')).toMatchObject({ sessionId: 's1', requestId: 1, name: 'a', token: g.index, mode: 'exclusive' });
    const q = d.lock('s2', 1, 'a');
    expect(q.events).toEqual([{ type: 'queued', sessionId: 's2', requestId: 1, name: 'a', position: 1 }]);
    expect(d.machine.checkFence('a', g.index)).toEqual({ current: true, latestToken: g.index });
  });

  test('release answers `released` then grants the next waiter with the release entry index', () => {
    const d = withSessions('s1', 's2');
    const t1 = tokenOf(d.lock('s1', 1, 'a'));
    d.lock('s2', 7, 'a');
    const r = d.release('s1', 2, 'a', t1);
    expect(r.events.map((e) => e.type)).toEqual(['released', 'granted']);
    expect(r.events[0]).toEqual({ type: 'released', sessionId: 's1', requestId: 2, name: 'a', token: t1 });
    expect(r.events[1]).toMatchObject({ type: 'granted', sessionId: 's2', requestId: 7, token: r.index });
    expect(d.machine.checkFence('a', t1)).toEqual({ current: false, latestToken: r.index });
  });

  test('waiters are served strictly in arrival order', () => {
    const d = withSessions('h', 'w1', 'w2', 'w3');
    let token = tokenOf(d.lock('h', 1, 'a'));
    expect(only(d.lock('w1', 1, 'a'), 'queued').position).toBe(1);
    expect(only(d.lock('w2', 1, 'a'), 'queued').position).toBe(2);
    expect(only(d.lock('w3', 1, 'a'), 'queued').position).toBe(3);
    const order: string[] = [];
    let holder = 'h';
    for (let i = 0; i < 3; i++) {
      const g = only(d.release(holder, 100 + i, 'a', token), 'granted');
      order.push(g.sessionId);
      holder = g.sessionId;
      token = g.token;
    }
    expect(order).toEqual(['w1', 'w2', 'w3']);
  });

  test('higher priority is served first, FIFO within a priority, and never preempts a holder', () => {
    const d = withSessions('h', 'low1', 'low2', 'high1', 'high2');
    const t = tokenOf(d.lock('h', 1, 'a'));
    d.lock('low1', 1, 'a');
    d.lock('low2', 1, 'a');
    expect(only(d.lock('high1', 1, 'a', { priority: 5 }), 'queued').position).toBe(1);
    expect(only(d.lock('high2', 1, 'a', { priority: 5 }), 'queued').position).toBe(2);
    expect(d.machine.describeLock('a')?.holders.map((x) => x.sessionId)).toEqual(['h']);
    expect(d.machine.describeLock('a')?.queue.map((w) => w.sessionId)).toEqual(['high1', 'high2', 'low1', 'low2']);
    expect(only(d.release('h', 2, 'a', t), 'granted').sessionId).toBe('high1');
  });

  test('a request with higher priority than every waiter is granted at once if it fits', () => {
    const d = withSessions('h', 'w', 'vip');
    d.lock('h', 1, 'sem', { capacity: 3, mode: 'shared', permits: 2 });
    d.lock('w', 1, 'sem', { capacity: 3, mode: 'exclusive' });
    expect(only(d.lock('vip', 1, 'sem', { capacity: 3, mode: 'shared', permits: 1, priority: 1 }), 'granted').sessionId).toBe('vip');
  });

  test('a large request at the head is not overtaken by smaller ones behind it', () => {
    const d = withSessions('h', 'big', 'small');
    const t = tokenOf(d.lock('h', 1, 'sem', { capacity: 3, mode: 'shared', permits: 2 }));
    expect(only(d.lock('big', 1, 'sem', { capacity: 3, mode: 'shared', permits: 3 }), 'queued').position).toBe(1);
    // One permit is free, but `small` must wait behind `big`.
    expect(only(d.lock('small', 1, 'sem', { capacity: 3, mode: 'shared', permits: 1 }), 'queued').position).toBe(2);
    const r = d.release('h', 2, 'sem', t);
    expect(ofType(r, 'granted').map((g) => g.sessionId)).toEqual(['big']);
    const r2 = d.release('big', 2, 'sem', only(r, 'granted').token);
    expect(ofType(r2, 'granted').map((g) => g.sessionId)).toEqual(['small']);
  });

  test('shared holds coexist; a waiting exclusive is not starved by later shared requests', () => {
    const d = withSessions('r1', 'r2', 'writer', 'r3');
    const opts = { capacity: 3, mode: 'shared' as const };
    const t1 = tokenOf(d.lock('r1', 1, 'doc', opts));
    const t2 = tokenOf(d.lock('r2', 1, 'doc', opts));
    expect(only(d.lock('writer', 1, 'doc', { capacity: 3, mode: 'exclusive' }), 'queued').position).toBe(1);
    expect(only(d.lock('r3', 1, 'doc', opts), 'queued').position).toBe(2);
    expect(ofType(d.release('r1', 2, 'doc', t1), 'granted')).toEqual([]);
    const w = d.release('r2', 2, 'doc', t2);
    expect(only(w, 'granted')).toMatchObject({ sessionId: 'writer', mode: 'exclusive' });
    expect(d.machine.describeLock('doc')?.usedPermits).toBe(3);
    expect(only(d.release('writer', 2, 'doc', only(w, 'granted').token), 'granted').sessionId).toBe('r3');
  });

  test('one release can grant several shared waiters; their tokens are consecutive from the entry index', () => {
    const d = withSessions('x', 'a', 'b', 'c');
    const t = tokenOf(d.lock('x', 1, 'sem', { capacity: 3 }));
    for (const s of ['a', 'b', 'c']) d.lock(s, 1, 'sem', { capacity: 3, mode: 'shared' });
    const r = d.release('x', 2, 'sem', t);
    const tokens = ofType(r, 'granted').map((g) => g.token);
    expect(tokens).toEqual([r.index, r.index + 1, r.index + 2]);
    expect(d.machine.describeLock('sem')?.holders.map((h) => h.grantIndex)).toEqual([r.index, r.index, r.index]);
    // The next entry's grant still gets a larger token than all of those.
    d.open('late');
    const next = d.lock('late', 1, 'other');
    expect(tokenOf(next)).toBe(r.index + 3);
    expect(next.index).toBe(r.index + 2);
    // Tokens run ahead of the index until entries without grants let the index catch up.
    d.open('idle');
    const after = d.lock('late', 2, 'third');
    expect(tokenOf(after)).toBe(after.index);
    expect(tokenOf(after)).toBe(r.index + 4);
  });

  test('semaphore permits: k permits of N at once', () => {
    const d = withSessions('a', 'b', 'c');
    expect(ofType(d.lock('a', 1, 's', { capacity: 5, mode: 'shared', permits: 2 }), 'granted')).toHaveLength(1);
    expect(ofType(d.lock('b', 1, 's', { capacity: 5, mode: 'shared', permits: 3 }), 'granted')).toHaveLength(1);
    expect(only(d.lock('c', 1, 's', { capacity: 5, mode: 'shared', permits: 1 }), 'queued').position).toBe(1);
    expect(d.machine.describeLock('s')).toMatchObject({ capacity: 5, usedPermits: 5, holderCount: 2, waiterCount: 1 });
  });

  test('capacity 0 and permits 0 mean 1', () => {
    const d = withSessions('a', 'b');
    tokenOf(d.lock('a', 1, 'm', { capacity: 0, permits: 0, mode: 'shared' }));
    expect(only(d.lock('b', 1, 'm', { capacity: 1, mode: 'shared' }), 'queued').position).toBe(1);
    expect(d.machine.describeLock('m')?.capacity).toBe(1);
  });
});

describe('bad requests', () => {
  test('capacity mismatch fails with FAILED_PRECONDITION naming both capacities', () => {
    const d = withSessions('a', 'b');
    d.lock('a', 1, 'r', { capacity: 3 });
    const f = only(d.lock('b', 1, 'r', { capacity: 0 }), 'failed');
    expect(f.code).toBe(Code.FAILED_PRECONDITION);
    expect(f.message).toBe("capacity 0 requested for 'r', which has capacity 3");
  });

  test.each([
    [{ capacity: 10_001 }, 'capacity 10001 is above the limit of 10000'],
    [{ capacity: -1 }, 'capacity -1 is not a non-negative integer'],
    [{ capacity: 2, permits: 3 }, "permits 3 is more than the capacity 2 of 'r'"],
    [{ priority: 2 ** 31 }, 'priority 2147483648 is not a 32-bit integer'],
    [{ lockDelayMs: 60_001 }, 'lock_delay_ms 60001 is out of bounds (0 to 60000)'],
    [{ waitTimeoutMs: 1.5 }, 'wait_timeout_ms 1.5 is out of bounds (0 to 4294967295)'],
  ])('%j -> INVALID_ARGUMENT', (options, message) => {
    const d = withSessions('a');
    const out = d.lock('a', 1, 'r', options);
    expect(only(out, 'failed')).toMatchObject({ code: Code.INVALID_ARGUMENT, message, errorCode: 'ERR_INVALID_ARGUMENT' });
    expect(out.status).toEqual({ code: Code.INVALID_ARGUMENT, message, errorCode: 'ERR_INVALID_ARGUMENT' });
    expect(d.machine.listLocks()).toEqual([]);
  });

  test('names must be non-empty and at most 512 UTF-8 bytes; the message cuts the name', () => {
    const d = withSessions('a');
    expect(only(d.lock('a', 1, ''), 'failed')).toMatchObject({ code: Code.INVALID_ARGUMENT, message: 'name must not be empty' });
    const long = 'é'.repeat(257); // 514 bytes
    const f = only(d.lock('a', 2, long), 'failed');
    expect(f.code).toBe(Code.INVALID_ARGUMENT);
    expect(f.message).toBe(`name '${'é'.repeat(64)}…' (514 bytes) is 514 bytes long; the limit is 512`);
    expect(tokenOf(d.lock('a', 3, 'é'.repeat(256)))).toBeGreaterThan(0);
  });

  test('an unknown session gets NOT_FOUND naming it', () => {
    const d = withSessions();
    const out = d.lock('ghost', 1, 'a');
    expect(only(out, 'failed')).toEqual({
      type: 'failed',
      sessionId: 'ghost',
      requestId: 1,
      code: Code.NOT_FOUND,
      message: "session 'ghost' not found (unknown, closed or expired)",
      errorCode: 'ERR_SESSION_NOT_FOUND',
    });
    expect(d.release('ghost', 2, 'a', 1).status.code).toBe(Code.NOT_FOUND);
    expect(d.put('ghost', 3, 'a', 1, 'v').status.code).toBe(Code.NOT_FOUND);
    expect(d.cancel('ghost', 1).status.code).toBe(Code.NOT_FOUND);
    expect(d.run({ type: 'closeSession', sessionId: 'ghost' }).status.code).toBe(Code.NOT_FOUND);
  });

  test('a session cannot hold or wait for the same name twice', () => {
    const d = withSessions('a', 'b');
    const t = tokenOf(d.lock('a', 1, 'x'));
    expect(only(d.lock('a', 2, 'x'), 'failed')).toMatchObject({
      code: Code.FAILED_PRECONDITION,
      message: `session a already holds 'x' (token ${t})`,
    });
    d.lock('b', 1, 'x');
    expect(only(d.lock('b', 2, 'x'), 'failed').message).toBe("session b is already waiting for 'x' (request 1)");
  });
});

describe('try-only, cancel, wait timeouts, queue limit', () => {
  test('try-only fails at once with FAILED_PRECONDITION naming the holder, or is granted when free', () => {
    const d = withSessions('a', 'b');
    const t = tokenOf(d.lock('a', 1, 'x'));
    const f = only(d.lock('b', 1, 'x', { tryOnly: true }), 'failed');
    expect(f.code).toBe(Code.FAILED_PRECONDITION);
    expect(f.message).toBe(`'x' is held by session a (token ${t}, exclusive)`);
    expect(d.machine.describeLock('x')?.waiterCount).toBe(0);
    d.release('a', 2, 'x', t);
    expect(ofType(d.lock('b', 2, 'x', { tryOnly: true }), 'granted')).toHaveLength(1);
  });

  test('cancel takes a queued request out of its queue with CANCELLED', () => {
    const d = withSessions('a', 'b', 'c');
    const t = tokenOf(d.lock('a', 1, 'x'));
    d.lock('b', 5, 'x');
    d.lock('c', 1, 'x');
    const out = d.cancel('b', 5);
    expect(out.events).toEqual([
      { type: 'failed', sessionId: 'b', requestId: 5, code: Code.CANCELLED, message: "request 5 for 'x' was cancelled", errorCode: 'ERR_CANCELLED' },
    ]);
    expect(d.machine.describeLock('x')?.queue.map((w) => w.sessionId)).toEqual(['c']);
    expect(only(d.release('a', 2, 'x', t), 'granted').sessionId).toBe('c');
    // The cancelled request resent: the same answer.
    expect(only(d.lock('b', 5, 'x'), 'failed').code).toBe(Code.CANCELLED);
  });

  test('cancelling the head lets a smaller request behind it through', () => {
    const d = withSessions('h', 'big', 'small');
    d.lock('h', 1, 's', { capacity: 2, mode: 'shared' });
    d.lock('big', 1, 's', { capacity: 2, mode: 'exclusive' });
    d.lock('small', 1, 's', { capacity: 2, mode: 'shared' });
    const out = d.cancel('big', 1);
    expect(out.events.map((e) => `${e.type}:${'sessionId' in e ? e.sessionId : ''}`)).toEqual(['failed:big', 'granted:small']);
  });

  test('cancel of an answered request does nothing; of an unknown id it fails that id for good', () => {
    const d = withSessions('a');
    d.lock('a', 1, 'x');
    expect(d.cancel('a', 1).events).toEqual([]);
    expect(d.machine.getSession('a')?.holds).toHaveLength(1);
    const early = d.cancel('a', 9);
    expect(only(early, 'failed')).toMatchObject({ requestId: 9, code: Code.CANCELLED });
    expect(only(d.lock('a', 9, 'y'), 'failed').code).toBe(Code.CANCELLED);
    expect(d.machine.describeLock('y')).toBeUndefined();
  });

  test('a wait timeout fails the request with DEADLINE_EXCEEDED at the first entry past it', () => {
    const d = withSessions('a', 'b', 'c');
    d.lock('a', 1, 'x');
    d.lock('b', 1, 'x', { waitTimeoutMs: 1000 });
    d.lock('c', 1, 'x');
    expect(d.machine.nextTimerAt()).toBe(d.clock + 1000);
    expect(d.advance(999).tick().events).toEqual([]);
    const out = d.advance(1).tick();
    expect(out.events).toEqual([
      {
        type: 'failed',
        sessionId: 'b',
        requestId: 1,
        code: Code.DEADLINE_EXCEEDED,
        message: "request 1 timed out after 1000 ms waiting for 'x' (position 1 of 2)",
        errorCode: 'ERR_DEADLINE',
      },
    ]);
    expect(d.machine.describeLock('x')?.queue.map((w) => w.sessionId)).toEqual(['c']);
    expect(d.machine.nextTimerAt()).toBeUndefined();
  });

  test('timeouts are processed by any entry, before its command, and free the queue head', () => {
    const d = withSessions('h', 'big', 'small', 'other');
    d.lock('h', 1, 's', { capacity: 2, mode: 'shared' });
    d.lock('big', 1, 's', { capacity: 2, mode: 'exclusive', waitTimeoutMs: 500 });
    d.lock('small', 1, 's', { capacity: 2, mode: 'shared' });
    const out = d.advance(600).lock('other', 1, 'unrelated');
    expect(out.events.map((e) => `${e.type}:${'sessionId' in e ? e.sessionId : ''}`)).toEqual([
      'failed:big',
      'granted:small',
      'granted:other',
    ]);
  });

  test('timeouts due together are processed in enqueue order, whatever the timer heap did', () => {
    const d = new Driver();
    for (const s of ['h', 'a', 'b', 'c', 'e']) d.open(s);
    for (const name of ['x', 'y', 'z', 'w']) d.lock('h', name.charCodeAt(0), name);
    d.lock('a', 1, 'x', { waitTimeoutMs: 300 });
    d.lock('b', 1, 'y', { waitTimeoutMs: 300 });
    d.lock('c', 1, 'z', { waitTimeoutMs: 200 });
    d.advance(100).lock('e', 1, 'w', { waitTimeoutMs: 200 });
    const out = d.advance(200).tick();
    expect(ofType(out, 'failed').map((f) => f.sessionId)).toEqual(['c', 'a', 'b', 'e']);
  });

  test('timers stay right after thousands of waits with timeouts were granted early', () => {
    const d = new Driver();
    d.open('h');
    const t = tokenOf(d.lock('h', 1, 'big', { capacity: 5000 }));
    for (let i = 0; i < 5000; i++) {
      d.open(`w${i}`);
      d.lock(`w${i}`, 1, 'big', { capacity: 5000, mode: 'shared', waitTimeoutMs: 1_000_000 });
    }
    expect(ofType(d.release('h', 2, 'big', t), 'granted')).toHaveLength(5000);
    expect(d.machine.nextTimerAt()).toBeUndefined();
    d.open('late');
    d.lock('late', 1, 'big', { capacity: 5000, mode: 'exclusive', waitTimeoutMs: 50 });
    expect(d.machine.nextTimerAt()).toBe(d.clock + 50);
    expect(only(d.advance(50).tick(), 'failed').code).toBe(Code.DEADLINE_EXCEEDED);
  });

  test('a timed-out request resent gets the same DEADLINE_EXCEEDED', () => {
    const d = withSessions('a', 'b');
    d.lock('a', 1, 'x');
    d.lock('b', 1, 'x', { waitTimeoutMs: 10 });
    d.advance(10).tick();
    expect(only(d.lock('b', 1, 'x', { waitTimeoutMs: 10 }), 'failed').code).toBe(Code.DEADLINE_EXCEEDED);
  });

  test('the per-resource queue limit answers RESOURCE_EXHAUSTED', () => {
    const d = new Driver({ limits: { maxQueueLength: 2 } });
    for (const s of ['h', 'a', 'b', 'c']) d.open(s);
    d.lock('h', 1, 'x');
    d.lock('a', 1, 'x');
    d.lock('b', 1, 'x');
    const f = only(d.lock('c', 1, 'x'), 'failed');
    expect(f).toMatchObject({ code: Code.RESOURCE_EXHAUSTED, message: "the queue of 'x' is full (2 waiting; the limit is 2)" });
  });

  test('the default queue limit is 10000', () => {
    const d = new Driver();
    d.open('h');
    d.lock('h', 1, 'x');
    for (let i = 0; i < 10_000; i++) {
      d.open(`w${i}`);
      d.lock(`w${i}`, 1, 'x');
    }
    d.open('late');
    expect(only(d.lock('late', 1, 'x'), 'failed').code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(d.machine.describeLock('x')?.waiterCount).toBe(10_000);
  });
});
