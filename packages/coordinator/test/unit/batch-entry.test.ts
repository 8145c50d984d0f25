import { type ApplyOutput, type BatchableCommand, Code, decodeCommand, encodeCommand, type LockCommand } from '../../src/state';
import { Driver, hex } from './harness';

const lock = (sessionId: string, requestId: number, name: string, extra: Partial<LockCommand> = {}): BatchableCommand => ({
  type: 'lock', stamp: 0, sessionId, requestId, name, capacity: 0, mode: 'exclusive', waitTimeoutMs: 0, tryOnly: false, lockDelayMs: 0, permits: 0, priority: 0, ...extra,
});

/**
 * Two identical machines with sessions a, b, c and d, where `b` waits for `busy` (held by a) with
 * a 50 ms timeout and c and d wait in shared mode for `sem` (capacity 2, held exclusively by a).
 */
function setUp(): Driver {
  const d = new Driver();
  for (const s of ['a', 'b', 'c', 'd']) d.open(s);
  d.lock('a', 1, 'busy');
  d.lock('a', 2, 'sem', { capacity: 2 });
  d.lock('b', 1, 'busy', { waitTimeoutMs: 50 });
  d.lock('c', 1, 'sem', { capacity: 2, mode: 'shared' });
  d.lock('d', 1, 'sem', { capacity: 2, mode: 'shared' });
  return d;
}

/** Requests that exercise every path a batch meets: grants, queueing, handoffs, replays, failures, timers. */
function requests(d: Driver): BatchableCommand[] {
  const busyToken = d.machine.describeLock('busy')?.latestToken ?? 0;
  const semToken = d.machine.describeLock('sem')?.holders[0]?.token ?? 0;
  const stamp = d.clock;
  const list: BatchableCommand[] = [
    lock('c', 2, 'free-1'),
    lock('d', 2, 'free-2'),
    lock('d', 3, 'busy'), // queued behind b
    { type: 'release', stamp, sessionId: 'a', requestId: 3, name: 'sem', token: semToken }, // admits c and d together
    { type: 'put', stamp, sessionId: 'a', requestId: 4, name: 'busy', token: busyToken, value: new Uint8Array([7, 7]) },
    { type: 'release', stamp, sessionId: 'b', requestId: 2, name: 'busy', token: busyToken }, // not the holder
    lock('c', 2, 'free-1'), // a resend: the same grant again
    { type: 'cancel', stamp, sessionId: 'd', requestId: 3 },
    { type: 'cancel', stamp, sessionId: 'd', requestId: 9 }, // before its lock arrives
    lock('d', 9, 'free-3'), // fails: cancelled before it was queued
    lock('nobody', 1, 'free-4'), // no such session
    { type: 'release', stamp, sessionId: 'a', requestId: 5, name: 'busy', token: busyToken }, // b timed out first: free
  ];
  return list.map((c) => ({ ...c, stamp }));
}

const comparable = (outs: readonly ApplyOutput[]): unknown => ({
  events: outs.flatMap((o) => o.events),
  observations: outs.flatMap((o) => o.observations ?? []),
  now: outs[outs.length - 1]?.now,
});

describe('batch entry', () => {
  test('applies exactly like its requests applied one by one at its index: same events, observations and snapshot bytes', () => {
    const batched = setUp();
    const single = setUp();
    // b's wait timeout falls due with this entry: both must fire it before the first request.
    batched.advance(60);
    single.advance(60);
    const subs = requests(batched);
    expect(requests(single)).toEqual(subs);

    const out = batched.run({ type: 'batch', commands: subs });
    const index = batched.index;
    const outs = subs.map((c) => single.machine.applyCommand(c, { index, term: single.term }));

    expect(out.status.code).toBe(Code.OK);
    expect(out.index).toBe(index);
    expect(comparable([out])).toEqual(comparable(outs));
    expect(hex(batched.machine.snapshot())).toBe(hex(single.machine.snapshot()));

    // The batch did what the requests ask for, so the comparison above compares something.
    const types = out.events.map((e) => `${e.type}:${'sessionId' in e ? e.sessionId : ''}`);
    expect(types).toEqual([
      'failed:b', // the timeout, before any request
      'granted:c', 'granted:d', 'queued:d', 'released:a', 'granted:c', 'granted:d', 'valuePut:a', 'failed:b', 'granted:c',
      'failed:d', 'failed:d', 'failed:d', 'failed:nobody', 'released:a',
    ]);
    // Tokens of the grants made by this one entry: unique, strictly increasing, from its index on.
    const fresh = out.events.filter((e) => e.type === 'granted').map((e) => e.token);
    const firstGrants = [fresh[0], fresh[1], fresh[2], fresh[3]];
    expect(firstGrants[0]).toBe(index);
    expect(firstGrants).toEqual([index, index + 1, index + 2, index + 3]);
    expect(fresh[4]).toBe(fresh[0]); // the resend's replayed grant
    expect(batched.machine.describeLock('sem')?.holders.map((h) => h.grantIndex)).toEqual([index, index]);

    // Afterwards the machines stay equal on the next entry, too.
    const next = batched.lock('a', 6, 'free-1');
    single.index = batched.index - 1;
    expect(single.lock('a', 6, 'free-1').events).toEqual(next.events);
    expect(hex(batched.machine.snapshot())).toBe(hex(single.machine.snapshot()));
  });

  test('a batch round-trips through the codec; it holds only stream requests, at least one', () => {
    const sub = lock('a', 1, 'x');
    const decoded = decodeCommand(encodeCommand({ type: 'batch', stamp: 3, commands: [sub, { type: 'cancel', stamp: 3, sessionId: 'a', requestId: 1 }] }));
    expect(decoded).toEqual({ ok: true, command: { type: 'batch', stamp: 3, commands: [sub, { type: 'cancel', stamp: 3, sessionId: 'a', requestId: 1 }] } });

    const refused = (commands: unknown): string => {
      const r = decodeCommand(encodeCommand({ type: 'batch', stamp: 3, commands } as never));
      return r.ok ? 'accepted' : r.message;
    };
    expect(refused([])).toBe('field commands must be a non-empty list');
    expect(refused([{ type: 'openSession', stamp: 3, sessionId: 's', ttlMs: 1000, clientName: '' }])).toBe('commands[0]: a openSession command cannot be batched');
    expect(refused([sub, { type: 'batch', stamp: 3, commands: [sub] }])).toBe('commands[1]: a batch command cannot be batched');
    expect(refused([sub, { type: 'lock', stamp: 3 }])).toBe('commands[1]: field sessionId must be a string, got undefined');
  });
});
