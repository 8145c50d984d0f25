import { LockStateMachine } from '../../src/state';
import { Code } from '../../src/state/status';
import { Driver, hex, only, tokenOf } from './harness';

/**
 * The bounded-resource limits of the replicated machine (issue 9, section 3): sessions,
 * holds+waits per session, resources, and the total fenced-value bytes (a quota like etcd's).
 * They decide answers, so they live in the deterministic machine: same log, same limits, same
 * answers on every replica.
 */
describe('resource limits of the state machine', () => {
  test('sessions: the one beyond max_sessions is refused with RESOURCE_EXHAUSTED naming the limit', () => {
    const d = new Driver({ limits: { maxSessions: 2 } });
    expect(d.open('a').status.code).toBe(Code.OK);
    expect(d.open('b').status.code).toBe(Code.OK);
    const refused = d.open('c');
    expect(refused.status.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(refused.status.message).toContain('the limit is 2 (max_sessions)');
    expect(d.machine.getSession('c')).toBeUndefined();
    // A closed session frees its place.
    d.run({ type: 'closeSession', sessionId: 'a' });
    expect(d.open('c').status.code).toBe(Code.OK);
  });

  test('holds plus queued requests per session are bounded', () => {
    const d = new Driver({ limits: { maxHoldsPerSession: 2 } });
    d.open('a');
    d.open('b');
    tokenOf(d.lock('a', 1, 'x'));
    d.lock('b', 1, 'x'); // b waits
    tokenOf(d.lock('b', 2, 'y')); // b: one wait + one hold = 2
    const refused = d.lock('b', 3, 'z');
    expect(only(refused, 'failed')).toMatchObject({ requestId: 3, code: Code.RESOURCE_EXHAUSTED });
    expect(only(refused, 'failed').message).toContain('1 holds and 1 queued requests; the limit is 2 (max_holds_per_session)');
    // A resend of an answered request is still answered the same, not refused anew.
    expect(only(d.lock('b', 2, 'y'), 'granted').requestId).toBe(2);
    expect(d.machine.invariantViolations()).toEqual([]);
  });

  test('resources: a request that would create one more than max_resources is refused; existing ones still work', () => {
    const d = new Driver({ limits: { maxResources: 2 } });
    d.open('a');
    d.open('b');
    tokenOf(d.lock('a', 1, 'r1'));
    tokenOf(d.lock('a', 2, 'r2'));
    const refused = d.lock('a', 3, 'r3');
    expect(only(refused, 'failed')).toMatchObject({ code: Code.RESOURCE_EXHAUSTED });
    expect(only(refused, 'failed').message).toContain('the limit is 2 (max_resources)');
    expect(only(d.lock('b', 1, 'r1'), 'queued').position).toBe(1); // an existing resource still queues
  });

  test('value quota: at the quota new values are refused while releases, reads, keepalives and shrinking puts go on; delete-value frees space', () => {
    const d = new Driver({ limits: { maxTotalValueBytes: 100 } });
    d.open('a');
    d.open('b');
    const t1 = tokenOf(d.lock('a', 1, 'v1'));
    expect(only(d.put('a', 2, 'v1', t1, new Uint8Array(60)), 'valuePut').token).toBe(t1);
    const t2 = tokenOf(d.lock('a', 3, 'v2'));
    const refused = d.put('a', 4, 'v2', t2, new Uint8Array(41));
    expect(only(refused, 'failed')).toMatchObject({ requestId: 4, code: Code.RESOURCE_EXHAUSTED });
    expect(only(refused, 'failed').message).toContain('values take 60 bytes');
    expect(only(refused, 'failed').message).toContain('the limit is 100 (quota_value_bytes)');
    expect(d.machine.totalValueBytes).toBe(60);
    // Exactly up to the quota is fine; shrinking a value at the quota is fine too.
    only(d.put('a', 5, 'v2', t2, new Uint8Array(40)), 'valuePut');
    expect(d.machine.totalValueBytes).toBe(100);
    only(d.put('a', 6, 'v1', t1, new Uint8Array(10)), 'valuePut');
    expect(d.machine.totalValueBytes).toBe(50);
    // Releases and keepalives go on at the quota.
    only(d.put('a', 7, 'v1', t1, new Uint8Array(60)), 'valuePut');
    expect(d.machine.totalValueBytes).toBe(100);
    only(d.release('a', 8, 'v1', t1), 'released');
    expect(d.run({ type: 'renew', sessionIds: ['a', 'b'] }).status.code).toBe(Code.OK);
    expect(d.machine.describeLock('v1')?.valueBytes).toBe(60); // the value outlives the hold

    // The operator frees space: the idle resource goes with its value.
    const del = d.run({ type: 'deleteValue', name: 'v1' });
    expect(only(del, 'valueDeleted')).toMatchObject({ name: 'v1', bytes: 60, resourceDeleted: true });
    expect(d.machine.describeLock('v1')).toBeUndefined();
    expect(d.machine.totalValueBytes).toBe(40);
    // A held resource keeps its hold; only the value goes.
    const held = d.run({ type: 'deleteValue', name: 'v2' });
    expect(only(held, 'valueDeleted')).toMatchObject({ bytes: 40, resourceDeleted: false });
    expect(d.machine.describeLock('v2')?.holders).toHaveLength(1);
    expect(d.machine.totalValueBytes).toBe(0);
    expect(d.run({ type: 'deleteValue', name: 'nope' }).status.code).toBe(Code.NOT_FOUND);
    only(d.put('a', 9, 'v2', t2, new Uint8Array(100)), 'valuePut');
    expect(d.machine.invariantViolations()).toEqual([]);
  });

  test('the value total is rebuilt on restore, and the snapshot format is unchanged (no new field)', () => {
    const d = new Driver({ limits: { maxTotalValueBytes: 100 } });
    d.open('a');
    const t = tokenOf(d.lock('a', 1, 'v'));
    only(d.put('a', 2, 'v', t, new Uint8Array(70)), 'valuePut');
    const copy = new LockStateMachine({ limits: { maxTotalValueBytes: 100 } });
    copy.restore(d.machine.snapshot());
    expect(copy.totalValueBytes).toBe(70);
    expect(hex(copy.snapshot())).toBe(hex(d.machine.snapshot()));
    expect(copy.invariantViolations()).toEqual([]);
  });
});
