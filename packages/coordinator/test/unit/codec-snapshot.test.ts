import { Code, CorruptEntryError, decodeCommand, encodeCommand, LockStateMachine, SnapshotFormatError } from '../../src/state';
import { Driver, hex, only, tokenOf } from './harness';

describe('codec', () => {
  test('commands round-trip through msgpack', () => {
    const cmd = {
      type: 'put' as const,
      stamp: 5,
      sessionId: 's',
      requestId: 2 ** 40,
      name: 'n',
      token: 2 ** 50,
      value: new Uint8Array([1, 2, 3]),
    };
    const decoded = decodeCommand(encodeCommand(cmd));
    expect(decoded.ok).toBe(true);
    if (decoded.ok) expect({ ...decoded.command, value: [...(decoded.command as typeof cmd).value] }).toEqual({ ...cmd, value: [1, 2, 3] });
  });

  test('lock options missing from the data take their zero values', () => {
    const { Packr } = jest.requireActual<typeof import('msgpackr')>('msgpackr');
    const data = new Packr({ useRecords: false }).pack({ type: 'lock', stamp: 1, sessionId: 's', requestId: 1, name: 'x' });
    expect(decodeCommand(data)).toEqual({
      ok: true,
      command: {
        type: 'lock',
        stamp: 1,
        sessionId: 's',
        requestId: 1,
        name: 'x',
        capacity: 0,
        mode: 'exclusive',
        waitTimeoutMs: 0,
        tryOnly: false,
        lockDelayMs: 0,
        permits: 0,
        priority: 0,
      },
    });
  });

  test('bad data is reported, not thrown', () => {
    expect(decodeCommand(new Uint8Array([0x01, 0x02]))).toMatchObject({ ok: false });
    expect(decodeCommand(encodeCommand({ type: 'tick', stamp: -1 }))).toEqual({ ok: false, message: 'stamp -1 is not a non-negative integer' });
    const bogus = encodeCommand({ type: 'nope', stamp: 1 } as never);
    expect(decodeCommand(bogus)).toEqual({ ok: false, message: "unknown command type 'nope'" });
    const wrong = encodeCommand({ type: 'renew', stamp: 1, sessionIds: 'x' } as never);
    expect(decodeCommand(wrong)).toEqual({ ok: false, message: 'field sessionIds must be a list of strings' });
  });

  test('an entry that is no valid command answers INVALID_ARGUMENT and changes nothing but the term', () => {
    const m = new LockStateMachine();
    const before = m.snapshot();
    const out = m.apply({ term: 0, index: 1, type: 'normal', data: encodeCommand({ type: 'nope', stamp: 1 } as never) });
    expect(out.status.code).toBe(Code.INVALID_ARGUMENT);
    expect(out.status.message).toMatch(/^entry 1: /);
    expect(m.apply({ term: 0, index: 2, type: 'normal', data: new Uint8Array([1]) }).events).toEqual([]);
    expect(m.listSessions()).toEqual([]);
    expect(m.now).toBe(0);
    expect(before.length).toBeGreaterThan(0);
  });

  test('an entry that is not MessagePack stops the replica: it is neither applied nor skipped', () => {
    const m = new LockStateMachine();
    m.apply({ term: 1, index: 1, type: 'normal', data: encodeCommand({ type: 'tick', stamp: 1 }) });
    const before = m.snapshot();
    expect(() => m.apply({ term: 1, index: 2, type: 'normal', data: new Uint8Array([0xc1, 0xc1]) })).toThrow(CorruptEntryError);
    expect(() => m.apply({ term: 1, index: 2, type: 'normal', data: new Uint8Array([0xc1, 0xc1]) })).toThrow(/entry 2 \(term 1\) does not decode/);
    expect(Buffer.from(m.snapshot()).equals(Buffer.from(before))).toBe(true);
  });
});

describe('snapshot and restore', () => {
  function busyDriver(): Driver {
    const d = new Driver();
    d.open('a', 1000);
    d.open('b');
    d.open('c');
    const t = tokenOf(d.lock('a', 1, 'x', { lockDelayMs: 3000 }));
    d.put('a', 2, 'x', t, 'value');
    d.lock('b', 1, 'x', { waitTimeoutMs: 10_000, priority: 2 });
    d.lock('c', 1, 'x');
    d.lock('c', 2, 'sem', { capacity: 3, mode: 'shared', permits: 2 });
    d.cancel('c', 77);
    d.advance(1000).run({ type: 'expireSessions', sessionIds: ['a'] });
    return d;
  }

  test('restore(snapshot()) reproduces the state and its answers', () => {
    const d = busyDriver();
    const bytes = d.machine.snapshot();
    const copy = new LockStateMachine();
    copy.restore(bytes);
    expect(hex(copy.snapshot())).toBe(hex(bytes));
    expect(copy.invariantViolations()).toEqual([]);
    expect(copy.describeLock('x')).toEqual(d.machine.describeLock('x'));
    expect(copy.listSessions()).toEqual(d.machine.listSessions());
    expect(copy.nextTimerAt()).toBe(d.machine.nextTimerAt());
    expect([copy.now, copy.term, copy.appliedIndex, copy.lastToken]).toEqual([
      d.machine.now,
      d.machine.term,
      d.machine.appliedIndex,
      d.machine.lastToken,
    ]);
    // Timers survive: the lock-delay ends and b is granted, with the stored value, on both.
    d.advance(3000);
    const entry = { term: d.term, index: d.index + 1, type: 'normal', data: encodeCommand({ type: 'tick', stamp: d.clock }) };
    const a = d.machine.apply(entry);
    const b = copy.apply(entry);
    expect(b).toEqual(a);
    expect(only(a, 'granted')).toMatchObject({ sessionId: 'b', value: new Uint8Array(Buffer.from('value')) });
    expect(hex(copy.snapshot())).toBe(hex(d.machine.snapshot()));
    // Remembered outcomes survive too: the early cancel of request 77 still fails that id.
    const resent = copy.applyCommand(
      { type: 'lock', stamp: 0, sessionId: 'c', requestId: 77, name: 'y', capacity: 0, mode: 'exclusive', waitTimeoutMs: 0, tryOnly: false, lockDelayMs: 0, permits: 0, priority: 0 },
      { index: entry.index + 1, term: d.term },
    );
    expect(only(resent, 'failed').code).toBe(Code.CANCELLED);
  });

  test('a restored session keeps its holds in grant order and its waits in enqueue order', () => {
    const d = new Driver();
    for (const s of ['a', 'b']) d.open(s);
    d.lock('b', 1, 'p');
    d.lock('b', 2, 'q');
    d.lock('a', 1, 'x');
    d.lock('a', 2, 'y');
    d.lock('a', 3, 'q');
    d.lock('a', 4, 'p');
    const copy = new LockStateMachine();
    copy.restore(d.machine.snapshot());
    expect(copy.getSession('a')?.holds.map((h) => h.name)).toEqual(['x', 'y']);
    expect(copy.getSession('a')?.waits.map((w) => w.name)).toEqual(['q', 'p']);
    const entry = { term: d.term, index: d.index + 1, type: 'normal', data: encodeCommand({ type: 'closeSession', stamp: d.clock, sessionId: 'a' }) };
    expect(copy.apply(entry)).toEqual(d.machine.apply(entry));
  });

  test('snapshot does not change the state; restore refuses foreign bytes', () => {
    const d = busyDriver();
    expect(hex(d.machine.snapshot())).toBe(hex(d.machine.snapshot()));
    const m = new LockStateMachine();
    expect(() => m.restore(encodeCommand({ type: 'tick', stamp: 1 }))).toThrow(SnapshotFormatError);
    expect(() => m.restore(new Uint8Array([0xc1]))).toThrow(SnapshotFormatError);
  });
});
