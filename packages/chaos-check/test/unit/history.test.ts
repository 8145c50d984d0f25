import { deriveValidity, type HistoryEvent, historySlice, prepareHistory } from '../../src';
import { HistoryBuilder } from './builder';

describe('pairing events into operations', () => {
  test('a completion belongs to its process’s outstanding invoke; unanswered invokes are unknown', () => {
    const h = new HistoryBuilder().grant('a', 'r', [0, 5], 3).acquireUnknown('b', 'r', 1).fence('c', 'r', [2, 3], 3, false, 0).build();
    const p = prepareHistory(h);
    expect(p.operations.map((op) => [op.process, op.f, op.outcome, op.start, op.end])).toEqual([
      ['a', 'acquire', 'ok', 0, 5],
      ['b', 'acquire', 'info', 1, Infinity],
      ['c', 'checkFence', 'ok', 2, 3],
    ]);
    expect(p.grants.map((g) => g.grant.token)).toEqual([3]);
    expect(p.problems).toEqual([]);
    expect(prepareHistory(h)).toBe(p); // cached per history object
  });

  test('events are ordered by time whatever order they were written in, and ids pair concurrent operations of one process', () => {
    const events: HistoryEvent[] = [
      { process: 'a', resource: 'y', time: 4, id: 2, f: 'acquire', type: 'ok', value: { mode: 'exclusive', permits: 1, capacity: 1, token: 9 } },
      { process: 'a', resource: 'x', time: 0, id: 1, f: 'acquire', type: 'invoke', value: { mode: 'exclusive', permits: 0, capacity: 0 } },
      { process: 'a', resource: 'y', time: 1, id: 2, f: 'acquire', type: 'invoke' },
      { process: 'a', resource: 'x', time: 6, id: 1, f: 'acquire', type: 'ok', value: { mode: 'exclusive', permits: 0, capacity: 0, token: 10 } },
    ];
    const p = prepareHistory({ events, validity: [] });
    expect(p.problems).toEqual([]);
    expect(p.operations.map((op) => [op.resource, op.start, op.end])).toEqual([
      ['x', 0, 6],
      ['y', 1, 4],
    ]);
    // lock.proto's zeros mean one.
    expect(p.grants.find((g) => g.resource === 'x')?.grant).toEqual({ mode: 'exclusive', permits: 1, capacity: 1, token: 10 });
    expect(p.startTime).toBe(0);
    expect(p.endTime).toBe(6);
  });

  test('recording defects are reported, not guessed at', () => {
    const events: HistoryEvent[] = [
      { process: 'a', resource: 'r', time: 0, f: 'release', type: 'ok' },
      { process: 'b', resource: 'r', time: 1, f: 'acquire', type: 'invoke' },
      { process: 'b', resource: 'r', time: 2, f: 'checkFence', type: 'invoke', value: { token: 1 } },
      { process: 'c', resource: 'r', time: 3, f: 'acquire', type: 'invoke' },
      { process: 'c', resource: 'q', time: 4, f: 'acquire', type: 'fail' },
    ];
    const p = prepareHistory({ events, validity: [] });
    expect(p.problems.map((x) => x.message)).toEqual([
      'a: release ok without an invoke',
      'b invoked checkFence while its acquire (invoked at +1.0) had not completed; that one is treated as unknown (info)',
      'c: acquire fail on q answers an invoke of acquire on r; both are treated as unknown',
    ]);
    expect(p.operations.every((op) => op.outcome === 'info')).toBe(true);
  });
});

describe('deriveValidity', () => {
  test('a window ends at the first of release invoke, lease signal, crash and end of history', () => {
    const h = new HistoryBuilder()
      .grant('a', 'r', [0, 1], 1)
      .release('a', 'r', [5, 6], 1)
      .grant('b', 'r', [6, 7], 2)
      .grant('c', 's', [0, 2], 3)
      .grant('d', 't', [0, 3], 4)
      .grant('e', 'u', [0, 4], 5)
      .build();
    const v = deriveValidity(h.events, { leaseLost: [{ resource: 's', token: 3, time: 9 }], crashes: [{ process: 'd', time: 8 }], endTime: 20 });
    expect(v.map((x) => [x.process, x.token, x.grantedAt, x.validUntil, x.end])).toEqual([
      ['a', 1, 1, 5, 'release'],
      ['c', 3, 2, 9, 'signal'],
      ['d', 4, 3, 8, 'crash'],
      ['e', 5, 4, 20, 'open'],
      ['b', 2, 7, 20, 'open'],
    ]);
    expect(deriveValidity(h.events).find((x) => x.process === 'e')?.validUntil).toBe(Infinity);
  });
});

describe('historySlice', () => {
  test('keeps the operations overlapping the window on the named resources, the edges when there are too many', () => {
    const b = new HistoryBuilder();
    for (let i = 0; i < 10; i++) b.fence(`p${i}`, 'r', [i * 10, i * 10 + 5], 1, false, 0);
    b.fence('other', 's', [30, 35], 1, false, 0);
    const p = prepareHistory(b.build());
    expect(historySlice(p, ['r'], 33, 61, 10).operations.map((op) => op.process)).toEqual(['p3', 'p4', 'p5', 'p6']);
    const capped = historySlice(p, ['r'], 0, 100, 4);
    expect(capped.operations.map((op) => op.process)).toEqual(['p0', 'p1', 'p8', 'p9']);
    expect(capped.omitted).toBe(6);
  });
});
