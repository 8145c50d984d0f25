/**
 * Backoff: exponential ceilings with full jitter (every delay uniform in [0, ceiling]), the cap,
 * and giving up after the time budget or the attempt limit.
 */
import { Backoff, backoffCeilingMs, DEFAULT_BACKOFF, resolveBackoff } from '../../src/backoff';
import { ManualClock } from '../../src/clock';

describe('backoffCeilingMs', () => {
  it('doubles from initialMs and is capped at maxMs', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => backoffCeilingMs(n, 50, 2000))).toEqual([50, 100, 200, 400, 800, 1600, 2000]);
    expect(backoffCeilingMs(5000, 50, 2000)).toBe(2000); // 2^5000 overflows to Infinity, still capped
  });
});

describe('Backoff (full jitter)', () => {
  it('draws each delay from [0, ceiling]: random 0 gives 0, random just below 1 gives the ceiling', () => {
    const clock = new ManualClock();
    const low = new Backoff({ initialMs: 50, maxMs: 2000 }, () => clock.now(), () => 0);
    const high = new Backoff({ initialMs: 50, maxMs: 2000 }, () => clock.now(), () => 0.999999);
    const lows = Array.from({ length: 8 }, () => low.next());
    const highs = Array.from({ length: 8 }, () => high.next());
    expect(lows).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(highs).toEqual([50, 100, 200, 400, 800, 1600, 2000, 2000]);
  });

  it('stays within bounds for arbitrary random values', () => {
    const clock = new ManualClock();
    let seed = 42;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const b = new Backoff({ initialMs: 10, maxMs: 300, budgetMs: 1e9 }, () => clock.now(), rnd);
    for (let n = 0; n < 200; n++) {
      const d = b.next();
      expect(d).toBeDefined();
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(backoffCeilingMs(n, 10, 300));
      expect(Number.isInteger(d)).toBe(true);
    }
  });

  it('gives up once the budget has elapsed, and clips the last delay to the budget', () => {
    const clock = new ManualClock();
    const b = new Backoff({ initialMs: 100, maxMs: 1000, budgetMs: 1500 }, () => clock.now(), () => 0.999999);
    expect(b.next()).toBe(100);
    clock.advance(1200);
    expect(b.next()).toBe(200);
    clock.advance(200);
    expect(b.next()).toBe(100); // ceiling 400, but only 100 ms of budget left
    clock.advance(100);
    expect(b.next()).toBeUndefined();
    expect(b.elapsedMs()).toBe(1500);
  });

  it('gives up after maxAttempts delays', () => {
    const b = new Backoff({ maxAttempts: 3 }, () => 0, () => 0.5);
    expect([b.next(), b.next(), b.next(), b.next()].map((d) => d !== undefined)).toEqual([true, true, true, false]);
  });

  it('starts over after reset()', () => {
    const clock = new ManualClock();
    const b = new Backoff({ initialMs: 50, maxMs: 2000, budgetMs: 100 }, () => clock.now(), () => 0.999999);
    b.next();
    clock.advance(500);
    expect(b.next()).toBeUndefined();
    b.reset();
    expect(b.next()).toBe(50);
    expect(b.attempts).toBe(1);
  });

  it('has documented defaults and rejects nonsense options, naming them', () => {
    expect(DEFAULT_BACKOFF).toEqual({ initialMs: 50, maxMs: 2000, budgetMs: 30_000, maxAttempts: Number.POSITIVE_INFINITY });
    expect(() => resolveBackoff({ initialMs: -1 })).toThrow(/backoff.initialMs/);
    expect(() => resolveBackoff({ initialMs: 500, maxMs: 100 })).toThrow(/maxMs \(100\) must be >= backoff.initialMs \(500\)/);
    expect(() => resolveBackoff({ maxAttempts: 0 })).toThrow(/maxAttempts/);
  });
});
