import { checkAll, formatOperation, formatReport, prepareHistory } from '../../src';
import { HistoryBuilder, shared } from './builder';

describe('checkAll and formatReport', () => {
  const good = new HistoryBuilder()
    .hold('w1', 'orders', 3, [0, 1, 10, 11])
    .fence('w1', 'orders', [2, 3], 3, true, 3)
    .hold('w2', 'orders', 5, [4, 12, 20, 21])
    .hold('w3', 'pool', 1, [0, 2, 30, 31], shared(1, 2)) // concurrent with w1's grant of 3: any order
    .hold('w4', 'pool', 2, [0, 3, 30, 31], shared(1, 2))
    .acquireFailed('w5', 'pool', [4, 9], shared(1, 2))
    .build();

  test('counts operations, grants and resources; a clean history is ok', () => {
    const r = checkAll(good);
    expect(r.ok).toBe(true);
    expect(r.violations).toEqual([]);
    expect(r.counts).toMatchObject({
      events: 20,
      operations: 10,
      grants: 4,
      resources: 2,
      validityWindows: 4,
      violations: 0,
      byFunction: { acquire: { ok: 4, fail: 1, info: 0 }, release: { ok: 4, fail: 0, info: 0 }, checkFence: { ok: 1, fail: 0, info: 0 } },
    });
    expect(r.resources.map((x) => [x.resource, x.capacity, x.grants, x.firstToken, x.lastToken, x.linearizability, x.model])).toEqual([
      ['orders', 1, 2, 3, 5, 'ok', 'FencedMutexModel'],
      ['pool', 2, 2, 1, 2, 'ok', 'SemaphoreModel'],
    ]);
    const text = formatReport(r);
    expect(text.split('\n')[0]).toBe('chaos-check: OK');
    expect(text).toContain('grants per resource:');
    expect(text).toMatch(/orders\s+1\s+5\s+2\s+2\/0\s+3\.\.5\s+ok\s+FencedMutexModel/);
    expect(text).not.toContain('violations:');
  });

  test('a broken history lists each violation with the history around it', () => {
    const bad = new HistoryBuilder()
      .hold('w1', 'orders', 3, [0, 1, 10, 11])
      .hold('w2', 'orders', 5, [2, 4, 20, 21]) // while w1 still holds
      .hold('w3', 'orders', 4, [22, 23, 30, 31]) // token going backwards
      .fence('w9', 'orders', [32, 33], 4, true, 4) // after w3's release was acknowledged
      .build();
    const r = checkAll(bad, { contextLimit: 10 });
    expect(r.ok).toBe(false);
    expect(r.counts.violationsByKind).toEqual({ exclusiveOverlap: 1, tokenOrder: 1, releaseNotHonoured: 1, notLinearizable: 1 });
    expect(r.counts.violations).toBe(4);
    expect(r.violations.map((v) => v.from)).toEqual([...r.violations.map((v) => v.from)].sort((a, b) => a - b));
    const text = formatReport(r);
    expect(text.split('\n')[0]).toBe('chaos-check: VIOLATIONS FOUND');
    expect(text).toContain('violations: 4 (');
    expect(text).toContain('[exclusiveOverlap] orders +4.0 .. +10.0');
    expect(text).toContain('window: w1 token 3 valid +1.0 .. +10.0 (release)');
    expect(text).toContain('      +2.0 →       +4.0  w2         acquire exclusive → ok token 5');
    expect(text).toContain('[notLinearizable] orders');
  });

  test('an undecided search makes the verdict unknown and says so', () => {
    const r = checkAll(good, { linearizability: { maxSteps: 1 } });
    expect(r.ok).toBe('unknown');
    expect(formatReport(r).split('\n')[0]).toBe('chaos-check: UNDECIDED (no violation found, but a search ran out of budget)');
    expect(r.warnings.join('\n')).toContain('linearizability undecided (search budget exhausted) on orders');
  });

  test('operations print with their outcome and error', () => {
    const h = prepareHistory(new HistoryBuilder().acquireFailed('w5', 'pool', [4, 9], shared(1, 2)).acquireUnknown('w6', 'r', 5).build());
    expect(h.operations.map((op) => formatOperation(op))).toEqual([
      '         4 →          9  w5         acquire shared 1/2 → fail (DEADLINE_EXCEEDED)',
      '         5 →          …  w6         acquire exclusive → no reply',
    ]);
  });
});
