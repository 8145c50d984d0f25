import {
  checkAll,
  checkLinearizability,
  checkOperations,
  FencedMutexModel,
  type History,
  type LinOperation,
  type LockInput,
  lockProblem,
  prepareHistory,
  SemaphoreModel,
  type SequentialModel,
} from '../../src';
import { exclusive, HistoryBuilder, shared } from './builder';

function verdict(h: History, options: Parameters<typeof checkLinearizability>[1] = {}): boolean | 'unknown' {
  return checkLinearizability(h, options).linearizable;
}

describe('the WGL engine with a pluggable model', () => {
  // A read/write register, to show the engine knows nothing about locks.
  type RegisterOp = { w: number } | { r: number };
  const register: SequentialModel<number, RegisterOp> = {
    name: 'register',
    init: () => 0,
    step: (s, op) => ('w' in op ? op.w : op.r === s ? s : undefined),
    key: (s) => String(s),
    describe: (s) => `value ${s}`,
  };
  const op = (input: RegisterOp, call: number, ret: number): LinOperation<RegisterOp> => ({ input, call, ret });

  test('concurrent operations may take effect in either order; real-time order is respected', () => {
    expect(checkOperations(register, [op({ w: 1 }, 0, 10), op({ w: 2 }, 1, 9), op({ r: 1 }, 11, 12)]).ok).toBe(true);
    expect(checkOperations(register, [op({ w: 1 }, 0, 10), op({ w: 2 }, 1, 9), op({ r: 2 }, 11, 12)]).ok).toBe(true);
    const stale = checkOperations(register, [op({ w: 1 }, 0, 1), op({ w: 2 }, 2, 3), op({ r: 1 }, 4, 5)]);
    expect(stale.ok).toBe(false);
    if (stale.ok !== false) return;
    expect(stale.partial).toMatchObject({ linearizedCompleted: 2, completed: 3, blockedBy: 2, state: 'value 2', tail: [0, 1] });
  });

  test('an operation with unknown outcome may take effect late (even after later calls) or never', () => {
    // w2 timed out; a read after it sees 2 (it happened), another sees 1 later... not possible,
    // but a read that sees 0 long afterwards is fine (it never happened).
    expect(checkOperations(register, [op({ w: 2 }, 0, Infinity), op({ r: 2 }, 5, 6)]).ok).toBe(true);
    expect(checkOperations(register, [op({ w: 2 }, 0, Infinity), op({ r: 0 }, 5, 6)]).ok).toBe(true);
    expect(checkOperations(register, [op({ w: 2 }, 0, Infinity), op({ r: 0 }, 5, 6), op({ w: 1 }, 7, 8), op({ r: 2 }, 9, 10)]).ok).toBe(true);
    expect(checkOperations(register, [op({ w: 2 }, 0, Infinity), op({ r: 2 }, 5, 6), op({ r: 0 }, 7, 8)]).ok).toBe(false);
  });

  test('out of budget is unknown, never ok', () => {
    const ops = Array.from({ length: 30 }, (_, i) => op({ w: i }, 0, 100));
    const r = checkOperations(register, [...ops, op({ r: 999 }, 101, 102)], { maxSteps: 50 });
    expect(r).toMatchObject({ ok: 'unknown', reason: 'budget exhausted' });
  });

  test('memoization keeps a wide concurrent window cheap', () => {
    // 12 concurrent writes of 0 or 1 then an impossible read: 12! (479 million) orders without
    // the cache; with it, each (subset, value) pair is expanded once: 2^12 × 2 × a scan of ≤ 13.
    const ops = Array.from({ length: 12 }, (_, i) => op({ w: i % 2 }, 0, 100));
    const r = checkOperations(register, [...ops, op({ r: 7 }, 101, 102)]);
    expect(r.ok).toBe(false);
    expect(r.steps).toBeLessThan(2 ** 12 * 2 * 14);
  });
});

describe('fenced mutex histories', () => {
  test('holds one after another with checks in between are linearizable', () => {
    const h = new HistoryBuilder()
      .hold('a', 'r', 3, [0, 1, 10, 12])
      .fence('c', 'r', [2, 3], 3, true, 3)
      .grant('b', 'r', [5, 13], 7) // waited for a
      .fence('c', 'r', [14, 15], 3, false, 7)
      .fence('b', 'r', [14, 16], 7, true, 7)
      .release('b', 'r', [20, 21], 7)
      .fence('c', 'r', [30, 31], 7, false, 0) // idle and forgotten
      .build();
    expect(verdict(h)).toBe(true);
    expect(verdict(h, { forgetsIdle: false })).toBe(false);
  });

  test('two overlapping holders are not linearizable', () => {
    const h = new HistoryBuilder().hold('a', 'r', 3, [0, 1, 10, 12]).hold('b', 'r', 4, [2, 3, 11, 13]).build();
    const r = checkLinearizability(h);
    expect(r.linearizable).toBe(false);
    expect(r.violations).toHaveLength(1);
    const v = r.violations[0]!;
    expect(v.kind).toBe('notLinearizable');
    expect(v.message).toContain('r (FencedMutexModel): no linearization');
    expect(v.message).toContain('b acquire exclusive → token 4 [+2.0, +3.0] cannot take effect in state: held by token 3; latest token 3');
    expect(v.context.length).toBeGreaterThan(0);
  });

  test('a token going backwards is not linearizable', () => {
    const h = new HistoryBuilder().hold('a', 'r', 5, [0, 1, 2, 3]).hold('b', 'r', 4, [4, 5, 6, 7]).build();
    expect(verdict(h)).toBe(false);
  });

  test('a checkFence saying current after the release was acknowledged is not linearizable', () => {
    const h = new HistoryBuilder().hold('a', 'r', 5, [0, 1, 2, 3]).fence('b', 'r', [4, 5], 5, true, 5).build();
    expect(verdict(h)).toBe(false);
  });

  test('a latest token the cluster never granted is not linearizable', () => {
    const h = new HistoryBuilder().hold('a', 'r', 5, [0, 1, 10, 11]).fence('b', 'r', [4, 5], 5, true, 6).build();
    expect(verdict(h)).toBe(false);
  });

  test('a grant while the model still has another holder fails even though the validity windows do not overlap', () => {
    // a's lease signal fired at 20, so its window ended before b's began; but a's release was
    // acknowledged at 40, so the coordinator still had a as holder when it granted b.
    const h = new HistoryBuilder()
      .grant('a', 'r', [0, 5], 10)
      .valid('a', 'r', 10, 5, 20, 'signal')
      .grant('b', 'r', [25, 30], 12)
      .valid('b', 'r', 12, 30, 50)
      .release('a', 'r', [35, 40], 10)
      .release('b', 'r', [50, 51], 12)
      .build();
    const all = checkAll(h);
    expect(all.checkers.capacity.ok).toBe(true);
    expect(all.checkers.linearizability?.linearizable).toBe(false);
    expect(all.ok).toBe(false);
  });
});

describe('holds that end without a release', () => {
  const crashed = (validUntil: number): History =>
    new HistoryBuilder()
      .grant('a', 'r', [0, 1], 3)
      .valid('a', 'r', 3, 1, validUntil, Number.isFinite(validUntil) ? 'crash' : 'open')
      .grant('b', 'r', [10, 100], 9)
      .valid('b', 'r', 9, 100, 110)
      .release('b', 'r', [110, 111], 9)
      .build();

  test('a crashed holder’s hold may expire after its window ended, not before', () => {
    expect(verdict(crashed(50))).toBe(true);
    // b's grant returned at 100, before a stopped trusting its hold at 105.
    expect(verdict(crashed(105))).toBe(false);
    // a never stopped trusting it.
    expect(verdict(crashed(Infinity))).toBe(false);
    expect(verdict(crashed(Infinity), { leaseExpiry: 'anytime' })).toBe(true);
  });

  test('a grant without a validity record may expire at any time', () => {
    const h = new HistoryBuilder().grant('a', 'r', [0, 1], 3).grant('b', 'r', [10, 11], 9).build();
    expect(verdict(h)).toBe(true);
    expect(checkAll(h).warnings[0]).toContain('2 grants have no validity record');
  });
});

describe('operations with unknown outcome, both ways', () => {
  test('a release that timed out may have taken effect: a later grant needs it', () => {
    const h = new HistoryBuilder()
      .grant('a', 'r', [0, 1], 3)
      .valid('a', 'r', 3, 1, 10)
      .release('a', 'r', [10, 40], 3, 'info')
      .hold('b', 'r', 5, [20, 25, 30, 31])
      .build();
    expect(verdict(h)).toBe(true);
  });

  test('a release that timed out may not have taken effect: a later check still sees the hold', () => {
    const h = new HistoryBuilder()
      .grant('a', 'r', [0, 1], 3)
      .valid('a', 'r', 3, 1, 10)
      .release('a', 'r', [10, undefined], 3, 'info')
      .fence('c', 'r', [20, 21], 3, true, 3)
      .build();
    expect(verdict(h)).toBe(true);
  });

  test('but not both at once', () => {
    const h = new HistoryBuilder()
      .grant('a', 'r', [0, 1], 3)
      .valid('a', 'r', 3, 1, 10, 'release')
      .release('a', 'r', [10, 40], 3, 'info')
      .hold('b', 'r', 5, [20, 25, 60, 61])
      .fence('c', 'r', [30, 31], 3, true, 5)
      .build();
    expect(verdict(h)).toBe(false);
  });

  test('an acquire that timed out may never have happened', () => {
    const h = new HistoryBuilder().acquireUnknown('a', 'r', 0, 50).hold('b', 'r', 5, [10, 11, 20, 21]).fence('c', 'r', [30, 31], 5, false, 5).build();
    expect(verdict(h)).toBe(true);
    expect(lockProblem(prepareHistory(h), 'r').operations.some((op) => op.input.kind === 'acquire' && op.input.token === undefined)).toBe(false);
  });

  test('an acquire that timed out may have been granted a token only a checkFence reveals', () => {
    const h = new HistoryBuilder()
      .hold('b', 'r', 5, [0, 1, 2, 3])
      .acquireUnknown('a', 'r', 10, 50)
      .fence('c', 'r', [20, 21], 5, false, 8) // a got token 8
      .fence('c', 'r', [22, 23], 8, true, 8) // and still holds it
      .hold('d', 'r', 11, [24, 60, 70, 71]) // granted once a's session expired
      .build();
    expect(verdict(h)).toBe(true);
    expect(lockProblem(prepareHistory(h), 'r').operations.filter((op) => op.input.kind === 'expire')).toHaveLength(1);
    // The unknown grant cannot have had a token at or below an earlier one.
    const below = new HistoryBuilder().hold('b', 'r', 5, [0, 1, 2, 3]).acquireUnknown('a', 'r', 10, 50).fence('c', 'r', [20, 21], 5, false, 4).build();
    expect(verdict(below)).toBe(false);
    // Nor may a known grant that follows it reuse it.
    const reuse = new HistoryBuilder()
      .hold('b', 'r', 5, [0, 1, 2, 3])
      .acquireUnknown('a', 'r', 10, 50)
      .fence('c', 'r', [20, 21], 5, false, 8)
      .hold('d', 'r', 8, [24, 60, 70, 71])
      .build();
    expect(verdict(reuse)).toBe(false);
  });

  test('a latest token nobody was seen to get is explained by an earlier acquire of unknown outcome, one token each', () => {
    const base = (): HistoryBuilder => new HistoryBuilder().hold('b', 'r', 5, [0, 1, 2, 3]);
    const seen = base().acquireUnknown('a', 'r', 10, 50).fence('c', 'r', [20, 21], 5, false, 8).hold('d', 'r', 11, [22, 23, 24, 25]).build();
    expect(verdict(seen)).toBe(true);
    expect(lockProblem(prepareHistory(seen), 'r').operations.map((op) => op.input.kind)).toContain('unknownAcquire');
    // Nobody could have been granted 8 while b still held the mutex.
    const whileHeld = new HistoryBuilder().hold('b', 'r', 5, [0, 1, 30, 31]).acquireUnknown('a', 'r', 10, 50).fence('c', 'r', [20, 21], 5, true, 8).build();
    expect(verdict(whileHeld)).toBe(false);
    // The acquire came too late to explain it.
    const late = base().fence('c', 'r', [20, 21], 5, false, 8).acquireUnknown('a', 'r', 25, 50).build();
    expect(verdict(late)).toBe(false);
    // Two unseen tokens need two such acquires.
    const two = base().acquireUnknown('a', 'r', 10, 50).fence('c', 'r', [20, 21], 5, false, 8).fence('c', 'r', [30, 31], 5, false, 9);
    expect(verdict(two.build())).toBe(false);
    expect(verdict(two.acquireUnknown('e', 'r', 25, 60).build())).toBe(true);
  });

  test('a crashed holder’s hold may outlive its window: a check may still see it, a conflicting grant may not come before that', () => {
    const h = (grantAt: readonly [number, number]): History =>
      new HistoryBuilder()
        .grant('a', 'r', [0, 1], 3)
        .valid('a', 'r', 3, 1, 10, 'crash')
        .fence('c', 'r', [20, 21], 3, true, 3)
        .hold('b', 'r', 9, [grantAt[0], grantAt[1], 50, 51])
        .build();
    expect(verdict(h([15, 30]))).toBe(true);
    expect(verdict(h([15, 18]))).toBe(false);
  });

  test('failed operations took no effect', () => {
    const h = new HistoryBuilder()
      .grant('a', 'r', [0, 1], 3)
      .valid('a', 'r', 3, 1, 10)
      .release('a', 'r', [10, 11], 3, 'fail')
      .acquireFailed('b', 'r', [12, 13])
      .fence('c', 'r', [20, 21], 3, true, 3)
      .build();
    expect(verdict(h)).toBe(true);
    const h2 = new HistoryBuilder().grant('a', 'r', [0, 1], 3).valid('a', 'r', 3, 1, Infinity, 'open').release('a', 'r', [10, 11], 3, 'fail').hold('b', 'r', 5, [12, 13, 14, 15]).build();
    expect(verdict(h2)).toBe(false);
  });
});

describe('semaphores', () => {
  test('shared holders up to the capacity, an exclusive hold alone', () => {
    const h = new HistoryBuilder()
      .hold('a', 's', 1, [0, 1, 20, 21], shared(1, 3))
      .hold('b', 's', 2, [0, 2, 20, 21], shared(2, 3))
      .hold('c', 's', 4, [3, 25, 30, 31], exclusive(3)) // waited for both
      .fence('d', 's', [5, 6], 2, true, 2)
      .hold('e', 's', 6, [26, 32, 40, 41], shared(1, 3))
      .build();
    const r = checkLinearizability(h);
    expect(r.linearizable).toBe(true);
    expect(r.resources.map((x) => x.model)).toEqual(['SemaphoreModel']);
    expect(new SemaphoreModel().describe(new SemaphoreModel().init())).toBe('free; latest token 0');
  });

  test('more permits than the capacity, or an exclusive beside a shared hold, are not linearizable', () => {
    const over = new HistoryBuilder()
      .hold('a', 's', 1, [0, 1, 20, 21], shared(2, 3))
      .hold('b', 's', 2, [0, 2, 20, 21], shared(2, 3))
      .build();
    expect(verdict(over)).toBe(false);
    const excl = new HistoryBuilder().hold('a', 's', 1, [0, 1, 20, 21], shared(1, 3)).hold('b', 's', 2, [0, 2, 20, 21], exclusive(3)).build();
    expect(verdict(excl)).toBe(false);
  });

  test('a capacity that changes while the resource is held is not linearizable; once idle it may', () => {
    const live = new HistoryBuilder().hold('a', 's', 1, [0, 1, 20, 21], shared(1, 3)).hold('b', 's', 2, [0, 2, 20, 21], shared(1, 2)).build();
    expect(verdict(live)).toBe(false);
    const idle = new HistoryBuilder().hold('a', 's', 1, [0, 1, 20, 21], shared(1, 3)).hold('b', 's', 2, [30, 31, 40, 41], shared(1, 2)).build();
    expect(verdict(idle)).toBe(true);
  });
});

describe('per-resource partitioning', () => {
  test('each resource is its own problem: holds of different resources never conflict', () => {
    const h = new HistoryBuilder().hold('a', 'x', 5, [0, 1, 20, 21]).hold('b', 'y', 3, [0, 2, 20, 21]).hold('c', 'z', 4, [0, 3, 20, 21], shared(1, 2)).build();
    const r = checkLinearizability(h);
    expect(r.linearizable).toBe(true);
    expect(r.resources.map((x) => [x.resource, x.model, x.ok])).toEqual([
      ['x', 'FencedMutexModel', true],
      ['y', 'FencedMutexModel', true],
      ['z', 'SemaphoreModel', true],
    ]);
  });

  test('a violation names only its resource', () => {
    const h = new HistoryBuilder()
      .hold('a', 'x', 5, [0, 1, 20, 21])
      .hold('b', 'y', 3, [0, 2, 20, 21])
      .hold('c', 'y', 4, [0, 3, 20, 21])
      .build();
    const r = checkLinearizability(h);
    expect(r.resources.map((x) => [x.resource, x.ok])).toEqual([
      ['x', true],
      ['y', false],
    ]);
    expect(r.violations.map((v) => v.resources)).toEqual([['y']]);
  });

  test('a resource that runs out of budget is unknown, and so is the whole verdict', () => {
    const b = new HistoryBuilder();
    for (let i = 0; i < 12; i++) b.hold(`p${i}`, 'r', i + 1, [0, 50 + i, 100 + i, 200], shared(1, 12));
    const r = checkLinearizability(b.build(), { maxSteps: 10 });
    expect(r.linearizable).toBe('unknown');
    expect(r.ok).toBe(true); // no violation found...
    expect(checkAll(b.build(), { linearizability: { maxSteps: 10 } }).ok).toBe('unknown'); // ...but not ok
  });
});

describe('models directly', () => {
  test('the mutex model rejects what a mutex must reject', () => {
    const m = new FencedMutexModel();
    const acq = (ref: number, token: number): LockInput => ({ kind: 'acquire', ref, token, mode: 'exclusive', permits: 1, capacity: 1 });
    const s1 = m.step(m.init(), acq(0, 5))!;
    expect(m.describe(s1)).toBe('held by token 5; latest token 5');
    expect(m.step(s1, acq(1, 6))).toBeUndefined();
    expect(m.step(s1, { kind: 'release', token: 4 })).toBeUndefined();
    const s2 = m.step(s1, { kind: 'expire', ref: 0, token: 5 })!;
    expect(m.step(s2, acq(1, 5))).toBeUndefined();
    expect(m.step(s2, { kind: 'checkFence', token: 5, current: false, latestToken: 5 })).toBe(s2);
    expect(m.key(m.step(s2, acq(1, 6))!)).not.toBe(m.key(s1));
  });
});
