import { Code } from '../../src/state';
import { Driver, only, ofType, text, tokenOf } from './harness';

describe('sessions', () => {
  test('open answers sessionOpened with the deadline; duplicates and bad TTLs are refused', () => {
    const d = new Driver();
    const out = d.open('s1', 5000, 'worker-1');
    expect(out.events).toEqual([
      { type: 'sessionOpened', sessionId: 's1', ttlMs: 5000, resumed: false, holds: [], queued: [], deadline: d.clock + 5000 },
    ]);
    expect(d.open('s1').status).toEqual({ code: Code.ALREADY_EXISTS, message: 'session s1 already exists', errorCode: 'ERR_SESSION_EXISTS' });
    expect(d.open('s2', 0).status).toEqual({ code: Code.INVALID_ARGUMENT, message: 'ttl_ms 0 is out of bounds (1 to 86400000)', errorCode: 'ERR_INVALID_ARGUMENT' });
    expect(d.open('', 1000).status.code).toBe(Code.INVALID_ARGUMENT);
    expect(d.machine.listSessions().map((s) => [s.sessionId, s.clientName])).toEqual([['s1', 'worker-1']]);
  });

  test('renew batches move each live session deadline and report unknown ids', () => {
    const d = new Driver();
    d.open('a', 1000);
    d.open('b', 2000);
    const out = d.advance(700).run({ type: 'renew', sessionIds: ['a', 'ghost', 'b', 'a'] });
    expect(out.events).toEqual([{ type: 'renewed', sessionIds: ['a', 'b'], notFound: ['ghost'] }]);
    expect(d.machine.getSession('a')).toMatchObject({ lastRenewal: d.clock, deadline: d.clock + 1000 });
    expect(d.machine.getSession('b')?.deadline).toBe(d.clock + 2000);
    // Sorted and distinct (as the leader proposes), and sorted with a repeat: the same answers.
    expect(d.advance(100).run({ type: 'renew', sessionIds: ['a', 'b', 'ghost'] }).events).toEqual([{ type: 'renewed', sessionIds: ['a', 'b'], notFound: ['ghost'] }]);
    expect(d.advance(100).run({ type: 'renew', sessionIds: ['a', 'a', 'b', 'ghost', 'ghost'] }).events).toEqual([
      { type: 'renewed', sessionIds: ['a', 'b'], notFound: ['ghost'] },
    ]);
    expect(d.machine.getSession('a')).toMatchObject({ lastRenewal: d.clock, deadline: d.clock + 1000 });
  });

  test('expiry releases every hold and wait in the same apply and grants the next waiters', () => {
    const d = new Driver();
    d.open('dead', 1000);
    d.open('w1');
    d.open('w2');
    const ta = tokenOf(d.lock('dead', 1, 'a'));
    const tb = tokenOf(d.lock('dead', 2, 'b'));
    d.lock('w1', 1, 'a');
    d.lock('w2', 1, 'b');
    d.open('w3');
    d.lock('w3', 1, 'c');
    expect(only(d.lock('dead', 3, 'c'), 'queued').position).toBe(1);
    d.advance(1000);
    expect(d.machine.overdueSessions(d.clock)).toEqual(['dead']);
    const out = d.run({ type: 'expireSessions', sessionIds: ['dead'] });
    const reason = 'session dead expired: no keepalive for 1000 ms (ttl 1000 ms)';
    expect(out.events).toEqual([
      { type: 'lost', sessionId: 'dead', name: 'a', token: ta, reason, cause: 'expired' },
      { type: 'lost', sessionId: 'dead', name: 'b', token: tb, reason, cause: 'expired' },
      { type: 'failed', sessionId: 'dead', requestId: 3, code: Code.CANCELLED, message: `request 3 for 'c' ended with its session: ${reason}`, errorCode: 'ERR_CANCELLED' },
      { type: 'sessionExpired', sessionId: 'dead', reason },
      expect.objectContaining({ type: 'granted', sessionId: 'w1', name: 'a', token: out.index }),
      expect.objectContaining({ type: 'granted', sessionId: 'w2', name: 'b', token: out.index + 1 }),
    ]);
    expect(d.machine.getSession('dead')).toBeUndefined();
    expect(d.machine.describeLock('c')?.waiterCount).toBe(0);
  });

  test('a renewal that raced the expiry proposal wins', () => {
    const d = new Driver();
    d.open('s', 1000);
    tokenOf(d.lock('s', 1, 'a'));
    d.advance(1000);
    const candidates = d.machine.overdueSessions(d.clock);
    expect(candidates).toEqual(['s']);
    d.run({ type: 'renew', sessionIds: ['s'] }); // committed before the leader's expireSessions
    const out = d.run({ type: 'expireSessions', sessionIds: candidates });
    expect(out.events).toEqual([]);
    expect(out.status.message).toBe('expired 0 sessions; 1 renewed in time, 0 not found');
    expect(d.machine.getSession('s')?.holds).toHaveLength(1);
  });

  test('expiry is decided against the machine time, not the proposer', () => {
    const d = new Driver();
    d.open('s', 1000);
    // A proposal stamped before the deadline expires nothing.
    expect(d.advance(999).run({ type: 'expireSessions', sessionIds: ['s'] }).events).toEqual([]);
    expect(ofType(d.advance(1).run({ type: 'expireSessions', sessionIds: ['s'] }), 'sessionExpired')).toHaveLength(1);
  });

  test('a new term shifts every deadline by maxClockSkewMs, once, instead of resetting the TTL', () => {
    const d = new Driver({ maxClockSkewMs: 300 });
    d.open('s', 10_000);
    const deadline = d.machine.getSession('s')!.deadline;
    d.advance(9000).newTerm().tick(); // first entry of term 2
    expect(d.machine.term).toBe(2);
    expect(d.machine.getSession('s')?.deadline).toBe(deadline + 300);
    d.tick(); // later entries of the same term shift nothing
    expect(d.machine.getSession('s')?.deadline).toBe(deadline + 300);
    // The old deadline passed on the new leader's clock: not expired yet...
    expect(d.advance(1000).run({ type: 'expireSessions', sessionIds: ['s'] }).events).toEqual([]);
    // ...but the skew allowance only, not a whole new TTL.
    expect(ofType(d.advance(300).run({ type: 'expireSessions', sessionIds: ['s'] }), 'sessionExpired')).toHaveLength(1);
  });

  test('repeated elections cannot keep a dead session alive', () => {
    const d = new Driver({ maxClockSkewMs: 500 });
    d.open('dead', 2000);
    let expiredAtElection = 0;
    for (let i = 1; i <= 10 && expiredAtElection === 0; i++) {
      // An election every 1500 ms (more than the skew apart), each leader proposing the expiry.
      d.advance(1500).newTerm();
      if (ofType(d.run({ type: 'expireSessions', sessionIds: d.machine.overdueSessions(d.clock) }), 'sessionExpired').length > 0) expiredAtElection = i;
    }
    // TTL 2000 + one skew allowance (500) = 2500 < the second election at 3000: each term may add
    // the skew once, never more, so the session is gone by then (not merely within ten terms).
    expect(expiredAtElection).toBeGreaterThan(0);
    expect(expiredAtElection).toBeLessThanOrEqual(2);
  });

  test('close releases everything without lock-delay and grants the next waiter', () => {
    const d = new Driver();
    d.open('a');
    d.open('b');
    const t = tokenOf(d.lock('a', 1, 'x', { lockDelayMs: 5000 }));
    d.lock('b', 1, 'x');
    const out = d.run({ type: 'closeSession', sessionId: 'a' });
    expect(out.events).toEqual([
      { type: 'sessionClosed', sessionId: 'a', released: [{ name: 'x', token: t, mode: 'exclusive', permits: 1, requestId: 1 }] },
      expect.objectContaining({ type: 'granted', sessionId: 'b', name: 'x' }),
    ]);
  });

  test('resume renews the session and reports its holds and queued requests', () => {
    const d = new Driver();
    d.open('a', 1000);
    d.open('b');
    const t = tokenOf(d.lock('a', 1, 'x', { mode: 'shared', capacity: 2, permits: 2 }));
    d.lock('b', 1, 'y');
    d.lock('a', 2, 'y');
    const out = d.advance(800).run({ type: 'resumeSession', sessionId: 'a' });
    expect(out.events).toEqual([
      {
        type: 'sessionOpened',
        sessionId: 'a',
        ttlMs: 1000,
        resumed: true,
        holds: [{ name: 'x', token: t, mode: 'shared', permits: 2, requestId: 1 }],
        queued: [{ requestId: 2, name: 'y', position: 1 }],
        deadline: d.clock + 1000,
      },
    ]);
    expect(d.machine.sessionHolds('a')).toEqual([{ name: 'x', token: t, mode: 'shared', permits: 2, requestId: 1 }]);
    expect(d.run({ type: 'resumeSession', sessionId: 'gone' }).status.code).toBe(Code.NOT_FOUND);
  });
});

describe('lock-delay', () => {
  function expiredHolder(lockDelayMs: number): { d: Driver; expiredAt: number } {
    const d = new Driver();
    d.open('dead', 1000);
    d.open('w');
    tokenOf(d.lock('dead', 1, 'x', { lockDelayMs }));
    d.lock('w', 1, 'x');
    d.advance(1000);
    const out = d.run({ type: 'expireSessions', sessionIds: ['dead'] });
    expect(ofType(out, 'sessionExpired')).toHaveLength(1);
    return { d, expiredAt: d.clock };
  }

  test('a hold ended by expiry keeps the resource ungrantable for its lock-delay', () => {
    const { d, expiredAt } = expiredHolder(5000);
    expect(d.machine.describeLock('x')).toMatchObject({ holderCount: 0, waiterCount: 1, lockDelayUntil: expiredAt + 5000 });
    expect(d.machine.nextTimerAt()).toBe(expiredAt + 5000);
    d.open('t');
    const f = only(d.lock('t', 1, 'x', { tryOnly: true }), 'failed');
    expect(f.code).toBe(Code.FAILED_PRECONDITION);
    expect(f.message).toMatch(/^'x' is in lock-delay until \d+/);
    expect(d.advance(4999).tick().events).toEqual([]);
    const out = d.advance(1).tick();
    expect(only(out, 'granted')).toMatchObject({ sessionId: 'w', token: out.index });
    expect(d.machine.describeLock('x')?.lockDelayUntil).toBe(0);
  });

  test('an idle resource stays while its lock-delay runs, then goes', () => {
    const d = new Driver();
    d.open('dead', 1000);
    tokenOf(d.lock('dead', 1, 'x', { lockDelayMs: 2000 }));
    d.advance(1000).run({ type: 'expireSessions', sessionIds: ['dead'] });
    expect(d.machine.listLocks().map((l) => l.name)).toEqual(['x']);
    d.advance(2000).tick();
    expect(d.machine.listLocks()).toEqual([]);
  });

  test('no lock-delay after a release', () => {
    const d = new Driver();
    d.open('a');
    d.open('b');
    const t = tokenOf(d.lock('a', 1, 'x', { lockDelayMs: 5000 }));
    d.lock('b', 1, 'x');
    expect(ofType(d.release('a', 2, 'x', t), 'granted')).toHaveLength(1);
  });

  test('a new term moves a running lock-delay by the skew allowance too', () => {
    const { d, expiredAt } = expiredHolder(1000);
    d.newTerm().tick();
    expect(d.machine.describeLock('x')?.lockDelayUntil).toBe(expiredAt + 1000 + 500);
    expect(d.advance(1000).tick().events).toEqual([]);
    expect(ofType(d.advance(500).tick(), 'granted')).toHaveLength(1);
  });
});

describe('fencing: release, put and the value', () => {
  test('a release with a stale token fails with FAILED_PRECONDITION and changes nothing', () => {
    const d = new Driver();
    d.open('a');
    d.open('b');
    const t1 = tokenOf(d.lock('a', 1, 'x'));
    d.release('a', 2, 'x', t1);
    const t2 = tokenOf(d.lock('a', 3, 'x'));
    d.lock('b', 1, 'x');
    const before = [d.machine.describeLock('x'), d.machine.listSessions()];
    const out = d.release('a', 4, 'x', t1);
    expect(only(out, 'failed')).toMatchObject({
      code: Code.FAILED_PRECONDITION,
      message: `token ${t1} is not a current hold of 'x': session a holds it with token ${t2}`,
    });
    expect(d.release('b', 2, 'x', t2).status.message).toBe(`token ${t2} is not a current hold of 'x': session b holds nothing there`);
    expect([d.machine.describeLock('x'), d.machine.listSessions()]).toEqual(before);
    expect(d.machine.checkFence('x', t2).current).toBe(true);
  });

  test('the value put by the holder is delivered with later grants, also after an expired lease', () => {
    const d = new Driver();
    d.open('a', 1000);
    d.open('b');
    const t = tokenOf(d.lock('a', 1, 'job'));
    d.lock('b', 1, 'job');
    expect(d.put('a', 2, 'job', t, 'done').events).toEqual([{ type: 'valuePut', sessionId: 'a', requestId: 2, name: 'job', token: t }]);
    const out = d.advance(1000).run({ type: 'expireSessions', sessionIds: ['a'] });
    expect(text(only(out, 'granted').value)).toBe('done');
    expect(d.machine.describeLock('job')?.valueBytes).toBe(4);
  });

  test('a resource with a value is kept when idle; an empty put clears it', () => {
    const d = new Driver();
    d.open('a');
    const t = tokenOf(d.lock('a', 1, 'k'));
    d.put('a', 2, 'k', t, 'v1');
    d.release('a', 3, 'k', t);
    expect(d.machine.listLocks()).toEqual([
      { name: 'k', capacity: 1, usedPermits: 0, holderCount: 0, waiterCount: 0, latestToken: t, valueBytes: 2, lockDelayUntil: 0 },
    ]);
    expect(d.machine.checkFence('k', t)).toEqual({ current: false, latestToken: t });
    const t2 = tokenOf(d.lock('a', 4, 'k'));
    expect(text(only(d.lock('a', 4, 'k'), 'granted').value)).toBe('v1'); // resend of request 4
    d.put('a', 5, 'k', t2, new Uint8Array(0));
    d.release('a', 6, 'k', t2);
    expect(d.machine.listLocks()).toEqual([]);
    expect(d.machine.checkFence('k', t2)).toEqual({ current: false, latestToken: 0 });
  });

  test('put with a stale token or an oversized value fails and changes nothing', () => {
    const d = new Driver({ limits: { maxValueBytes: 8 } });
    d.open('a');
    const t = tokenOf(d.lock('a', 1, 'k'));
    expect(only(d.put('a', 2, 'k', t + 1, 'x'), 'failed').code).toBe(Code.FAILED_PRECONDITION);
    expect(only(d.put('a', 3, 'k', t, '123456789'), 'failed')).toMatchObject({
      code: Code.RESOURCE_EXHAUSTED,
      message: "value for 'k' is 9 bytes; the limit is 8",
    });
    expect(d.machine.describeLock('k')?.valueBytes).toBe(0);
  });

  test('the value is copied out of the entry bytes', () => {
    const d = new Driver();
    d.open('a');
    const t = tokenOf(d.lock('a', 1, 'k'));
    d.put('a', 2, 'k', t, 'abc');
    d.log[d.log.length - 1]!.data.fill(0);
    expect(text(only(d.lock('a', 1, 'k'), 'granted').value)).toBe('abc');
  });
});

describe('exactly-once requests', () => {
  test('a resent granted lock gets the same token and never a second grant', () => {
    const d = new Driver();
    d.open('a');
    const first = d.lock('a', 1, 'x');
    const again = d.lock('a', 1, 'x');
    expect(only(again, 'granted')).toEqual(only(first, 'granted'));
    expect(d.machine.describeLock('x')?.holderCount).toBe(1);
    expect(d.machine.lastToken).toBe(tokenOf(first));
  });

  test('a resent queued lock reports its current position', () => {
    const d = new Driver();
    for (const s of ['h', 'a', 'b']) d.open(s);
    const t = tokenOf(d.lock('h', 1, 'x'));
    d.lock('a', 1, 'x');
    d.lock('b', 1, 'x');
    d.cancel('a', 1);
    expect(d.lock('b', 1, 'x').events).toEqual([{ type: 'queued', sessionId: 'b', requestId: 1, name: 'x', position: 1 }]);
    expect(d.machine.describeLock('x')?.waiterCount).toBe(1);
    d.release('h', 2, 'x', t);
    expect(d.machine.describeLock('x')?.holders[0]?.sessionId).toBe('b');
  });

  test('resent release and put get their first answer and change nothing', () => {
    const d = new Driver();
    d.open('a');
    d.open('b');
    const t = tokenOf(d.lock('a', 1, 'x'));
    const put = d.put('a', 2, 'x', t, 'v');
    expect(d.put('a', 2, 'x', t, 'other').events).toEqual(put.events);
    const rel = d.release('a', 3, 'x', t);
    tokenOf(d.lock('b', 1, 'x'));
    expect(d.release('a', 3, 'x', t).events).toEqual(rel.events);
    expect(d.machine.describeLock('x')?.holders.map((h) => h.sessionId)).toEqual(['b']);
    expect(text(only(d.lock('b', 1, 'x'), 'granted').value)).toBe('v');
  });

  test('a resent lock whose hold has ended fails rather than granting again', () => {
    const d = new Driver();
    d.open('a');
    const t = tokenOf(d.lock('a', 1, 'x'));
    d.release('a', 2, 'x', t);
    const out = d.lock('a', 1, 'x');
    expect(only(out, 'failed')).toMatchObject({
      code: Code.FAILED_PRECONDITION,
      message: `request 1 was granted 'x' with token ${t}, which is no longer held`,
    });
    expect(d.machine.describeLock('x')).toBeUndefined();
  });

  test('past the dedupe window, a held grant is still recognised through the hold', () => {
    const d = new Driver({ limits: { dedupeWindow: 2 } });
    d.open('a');
    const t = tokenOf(d.lock('a', 1, 'x'));
    for (let i = 2; i < 6; i++) d.lock('a', i, `other${i}`);
    expect(only(d.lock('a', 1, 'x'), 'granted').token).toBe(t);
    expect(d.machine.invariantViolations()).toEqual([]);
  });

  test('outcomes are dropped with their session', () => {
    const d = new Driver();
    d.open('a');
    d.lock('a', 1, 'x');
    d.run({ type: 'closeSession', sessionId: 'a' });
    d.open('a');
    expect(ofType(d.lock('a', 1, 'x'), 'granted')).toHaveLength(1);
  });
});

describe('admin', () => {
  test('revoke takes the hold away with `lost` and grants the next waiter', () => {
    const d = new Driver();
    d.open('a');
    d.open('b');
    const t = tokenOf(d.lock('a', 1, 'x'));
    d.lock('b', 1, 'x');
    const out = d.run({ type: 'revoke', name: 'x', reason: 'stuck worker' });
    expect(out.status).toEqual({ code: Code.OK, message: "revoked 1 holds of 'x'" });
    expect(out.events[0]).toEqual({ type: 'lost', sessionId: 'a', name: 'x', token: t, reason: 'stuck worker', cause: 'revoked' });
    expect(out.events[1]).toMatchObject({ type: 'granted', sessionId: 'b' });
    expect(d.machine.getSession('a')?.holds).toEqual([]);
    expect(only(d.release('a', 2, 'x', t), 'failed').code).toBe(Code.FAILED_PRECONDITION);
  });

  test('revoke by token, of a stale token, of an unknown lock', () => {
    const d = new Driver();
    d.open('a');
    d.open('b');
    const ta = tokenOf(d.lock('a', 1, 's', { capacity: 2, mode: 'shared' }));
    const tb = tokenOf(d.lock('b', 1, 's', { capacity: 2, mode: 'shared' }));
    const out = d.run({ type: 'revoke', name: 's', token: tb, reason: '' });
    expect(out.events).toEqual([{ type: 'lost', sessionId: 'b', name: 's', token: tb, reason: 'revoked by an administrator', cause: 'revoked' }]);
    expect(d.machine.checkFence('s', ta).current).toBe(true);
    expect(d.run({ type: 'revoke', name: 's', token: tb, reason: '' }).status).toEqual({
      code: Code.FAILED_PRECONDITION,
      message: `token ${tb} is not a current hold of 's'`,
      errorCode: 'ERR_NOT_HOLDER',
    });
    expect(d.run({ type: 'revoke', name: 'nope', reason: '' }).status).toEqual({ code: Code.NOT_FOUND, message: "no lock named 'nope'", errorCode: 'ERR_NOT_FOUND' });
  });

  test('adminExpireSession expires a live session with lock-delay', () => {
    const d = new Driver();
    d.open('a');
    const t = tokenOf(d.lock('a', 1, 'x', { lockDelayMs: 100 }));
    const out = d.run({ type: 'adminExpireSession', sessionId: 'a' });
    const reason = 'session a expired by an administrator';
    expect(out.events).toEqual([
      { type: 'lost', sessionId: 'a', name: 'x', token: t, reason, cause: 'expired' },
      { type: 'sessionExpired', sessionId: 'a', reason },
    ]);
    expect(d.machine.describeLock('x')?.lockDelayUntil).toBe(d.clock + 100);
    expect(d.run({ type: 'adminExpireSession', sessionId: 'a' }).status.code).toBe(Code.NOT_FOUND);
  });
});
