import { checkAll, checkLiveness, formatReport } from '../../src';
import { HistoryBuilder } from './builder';

describe('checkLiveness: a grant within the bound after every request', () => {
  test('requests served in time, by their own grant or someone else’s, pass', () => {
    const h = new HistoryBuilder()
      .hold('a', 'r', 1, [0, 1, 50, 51])
      .acquireFailed('b', 'r', [10, 40]) // timed out, but c was granted r within the bound
      .hold('c', 'r', 2, [45, 60, 70, 71])
      .build();
    expect(checkLiveness(h, { boundMs: 100 })).toEqual({ ok: true, violations: [], violationCount: 0, violationsByKind: {} });
  });

  test('a resource nobody is granted after a request is reported once, from the first stalled request', () => {
    const h = new HistoryBuilder()
      .hold('a', 'r', 1, [0, 1, 5, 6])
      .acquireFailed('b', 'r', [10, 90])
      .acquireFailed('c', 'r', [20, 100])
      .acquireFailed('b', 'r', [95, 180])
      .hold('c', 'r', 7, [300, 310, 320, 321])
      .hold('a', 'other', 3, [400, 401, 500, 501]) // the history runs on past the bound
      .build();
    const r = checkLiveness(h, { boundMs: 100 });
    expect(r.violationsByKind).toEqual({ resourceStuck: 1 });
    const v = r.violations[0]!;
    expect(v.message).toBe('r: b asked for it at +10.0 and nobody was granted it until +310.0 (300 ms); 4 requests in that time (bound 100 ms)');
    expect([v.from, v.to]).toEqual([10, 310]);
  });

  test('never granted again is reported; requests too close to the end are not judged', () => {
    const stuck = new HistoryBuilder().hold('a', 'r', 1, [0, 1, 5, 6]).acquireUnknown('b', 'r', 10).hold('a', 'other', 3, [400, 401, 500, 501]).build();
    expect(checkLiveness(stuck, { boundMs: 100 }).violations[0]?.message).toContain('nobody was granted it for the rest of the run');
    expect(checkLiveness(stuck, { boundMs: 100, endTime: 105 }).ok).toBe(true);
  });

  test('checkAll runs it when asked, and the report names it', () => {
    const h = new HistoryBuilder().hold('a', 'r', 1, [0, 1, 5, 6]).acquireUnknown('b', 'r', 10).hold('a', 'other', 3, [400, 401, 500, 501]).build();
    expect(checkAll(h).checkers.liveness).toBeUndefined();
    const r = checkAll(h, { liveness: { boundMs: 100 } });
    expect(r.counts.violationsByKind).toEqual({ resourceStuck: 1 });
    expect(formatReport(r)).toMatch(/every resource granted again in time\s+1 violations/);
  });
});
