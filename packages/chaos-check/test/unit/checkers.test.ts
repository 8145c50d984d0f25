import { checkCapacity, checkReleases, checkTokens } from '../../src';
import { exclusive, HistoryBuilder, shared } from './builder';

describe('checkCapacity: judged by the workers’ validity windows', () => {
  test('holds one after another pass, also when a release and the next grant share an instant', () => {
    const h = new HistoryBuilder().hold('a', 'r', 1, [0, 1, 10, 11]).grant('b', 'r', [2, 10], 2).valid('b', 'r', 2, 10, 20).build();
    expect(checkCapacity(h)).toEqual({ ok: true, violations: [], violationCount: 0, violationsByKind: {} });
  });

  test('two overlapping exclusive windows are reported with both windows and the history around them', () => {
    const h = new HistoryBuilder().hold('a', 'r', 1, [0, 1, 10, 11]).hold('b', 'r', 2, [2, 8, 15, 16]).hold('c', 'other', 3, [0, 9, 30, 31]).build();
    const r = checkCapacity(h);
    expect(r.ok).toBe(false);
    expect(r.violations).toHaveLength(1);
    const v = r.violations[0]!;
    expect(v.kind).toBe('exclusiveOverlap');
    expect(v.resources).toEqual(['r']);
    expect([v.from, v.to]).toEqual([8, 10]);
    expect(v.windows.map((w) => w.process)).toEqual(['a', 'b']);
    expect(v.message).toContain('b token 2');
    expect(v.context.map((op) => `${op.process} ${op.f}`)).toEqual(['a acquire', 'b acquire', 'a release']);
  });

  test('semaphores: permits add up to the capacity, one more is too many, an exclusive hold overlaps nothing', () => {
    const ok = new HistoryBuilder()
      .hold('a', 's', 1, [0, 1, 20, 21], shared(1, 3))
      .hold('b', 's', 2, [0, 2, 20, 21], shared(2, 3))
      .hold('c', 's', 3, [20, 22, 30, 31], exclusive(3))
      .build();
    expect(checkCapacity(ok).ok).toBe(true);

    const over = new HistoryBuilder()
      .hold('a', 's', 1, [0, 1, 20, 21], shared(1, 3))
      .hold('b', 's', 2, [0, 2, 20, 21], shared(2, 3))
      .hold('c', 's', 3, [0, 3, 20, 21], shared(1, 3))
      .build();
    const r = checkCapacity(over);
    expect(r.violations.map((v) => [v.kind, v.from])).toEqual([['capacityExceeded', 3]]);
    expect(r.violations[0]!.message).toContain('4 permits held at +3.0 with capacity 3');

    const excl = new HistoryBuilder().hold('a', 's', 1, [0, 1, 20, 21], shared(1, 3)).hold('c', 's', 3, [0, 5, 30, 31], exclusive(3)).build();
    expect(checkCapacity(excl).violations.map((v) => v.kind)).toEqual(['exclusiveOverlap']);
  });

  test('mode and capacity come from the grant when the validity record leaves them out; empty windows are ignored', () => {
    const h = new HistoryBuilder()
      .grant('a', 's', [0, 1], 1, shared(1, 2))
      .valid('a', 's', 1, 1, 10)
      .grant('b', 's', [0, 2], 2, shared(1, 2))
      .valid('b', 's', 2, 2, 10)
      .grant('c', 's', [0, 9], 3, shared(1, 2))
      .valid('c', 's', 3, 9, 9) // the lease had run out before the grant arrived
      .build();
    expect(checkCapacity(h).ok).toBe(true);
  });
});

describe('checkTokens', () => {
  test('tokens increase in real-time order; concurrent grants may return in either order', () => {
    const h = new HistoryBuilder()
      .grant('a', 'r', [0, 1], 10)
      .grant('b', 'r', [2, 6], 30) // concurrent with c
      .grant('c', 'r', [3, 5], 20)
      .grant('d', 'r', [7, 8], 40)
      .build();
    expect(checkTokens(h).ok).toBe(true);
  });

  test('a token going backwards is reported against the higher token that had already returned', () => {
    const h = new HistoryBuilder().grant('a', 'r', [0, 1], 10).grant('b', 'r', [2, 3], 30).grant('c', 'r', [4, 5], 20).build();
    const r = checkTokens(h);
    expect(r.violations.map((v) => v.kind)).toEqual(['tokenOrder']);
    expect(r.violations[0]!.message).toBe(
      'c was granted r with token 20 (invoked at +4.0) after b\'s grant of r with the higher token 30 had returned (at +3.0)',
    );
  });

  test('tokens are unique and ordered cluster-wide unless the scope is one resource', () => {
    const h = new HistoryBuilder().grant('a', 'x', [0, 1], 10).grant('b', 'y', [2, 3], 5).grant('c', 'z', [4, 5], 10).build();
    expect(checkTokens(h).violations.map((v) => v.kind).sort()).toEqual(['duplicateToken', 'tokenOrder']);
    expect(checkTokens(h, { scope: 'resource' }).violations.map((v) => v.kind)).toEqual(['duplicateToken']);
  });

  test('violations past the cap are counted, not detailed', () => {
    const b = new HistoryBuilder().grant('a', 'r', [0, 1], 1000);
    for (let i = 0; i < 10; i++) b.grant(`p${i}`, 'r', [2 + 2 * i, 3 + 2 * i], i + 1);
    const r = checkTokens(b.build(), { maxViolations: 3 });
    expect(r.violationCount).toBe(10);
    expect(r.violations).toHaveLength(3);
    expect(r.violationsByKind).toEqual({ tokenOrder: 10 });
  });
});

describe('checkReleases', () => {
  test('a checkFence racing the release may still see the hold; one invoked after the ack may not', () => {
    const racing = new HistoryBuilder().hold('a', 'r', 1, [0, 1, 10, 20]).fence('b', 'r', [15, 25], 1, true, 1).build();
    expect(checkReleases(racing).ok).toBe(true);

    const late = new HistoryBuilder().hold('a', 'r', 1, [0, 1, 10, 20]).fence('b', 'r', [21, 25], 1, true, 1).fence('c', 'r', [30, 31], 1, true, 1).build();
    const r = checkReleases(late);
    expect(r.violations.map((v) => v.kind)).toEqual(['releaseNotHonoured']);
    expect(r.violations[0]!.message).toContain("b's checkFence invoked at +21.0 says it is still current (and 1 later checks agree)");
  });

  test('a released token granted again, and a release of a token never granted, are reported', () => {
    const h = new HistoryBuilder().hold('a', 'r', 1, [0, 1, 10, 20]).grant('b', 'r', [21, 22], 1).release('c', 'r', [30, 31], 99).build();
    expect(checkReleases(h).violations.map((v) => v.kind)).toEqual(['releaseNotHonoured', 'releaseOfUnknownHold']);
  });
});
