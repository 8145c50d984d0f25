/**
 * The WGL search with all its shortcuts (token chaining, dead and deadline drops, pinned
 * expiries, credits for unknown acquires, memoization over finished sets) against a plain
 * exhaustive search over the unreduced problem, on many small random histories, valid and
 * corrupted.
 */
import {
  checkLinearizability,
  defaultLockModel,
  type History,
  type HistoryEvent,
  type LockInput,
  type PreparedHistory,
  prepareHistory,
} from '../../src';
import { doubleHolder, duplicateToken, resurrectAfterRelease, swapTokens } from './mutate';
import { rng, simulate } from './sim';

interface RefOp {
  readonly input: LockInput;
  readonly call: number;
  readonly ret: number; // Infinity: optional
}

/** Every unknown outcome as it is: unknown acquires hold until an expiry that nothing bounds. */
function referenceProblem(h: PreparedHistory, resource: string): RefOp[] {
  const recorded = h.byResource.get(resource) ?? [];
  const released = new Set<number>();
  for (const op of recorded) if (op.f === 'release' && op.outcome === 'ok') released.add(op.token);
  const ops: RefOp[] = [];
  for (const op of recorded) {
    if (op.f === 'acquire') {
      if (op.grant !== undefined) {
        const g = op.grant;
        ops.push({ input: { kind: 'acquire', ref: op.id, token: g.token, mode: g.mode, permits: g.permits, capacity: g.capacity }, call: op.start, ret: op.end });
        if (!released.has(g.token)) {
          const v = h.history.validity.find((x) => x.resource === resource && x.token === g.token && x.process === op.process);
          const from = v === undefined ? op.start : v.validUntil;
          if (Number.isFinite(from)) ops.push({ input: { kind: 'expire', ref: op.id, token: g.token }, call: from, ret: Infinity });
        }
      } else if (op.outcome === 'info') {
        const r = op.request ?? { mode: 'shared' as const, permits: 1, capacity: 1 };
        ops.push({ input: { kind: 'acquire', ref: op.id, token: undefined, mode: r.mode, permits: r.permits, capacity: r.capacity }, call: op.start, ret: Infinity });
        ops.push({ input: { kind: 'expire', ref: op.id, token: undefined }, call: op.start, ret: Infinity });
      }
    } else if (op.f === 'release') {
      if (op.outcome !== 'fail') ops.push({ input: { kind: 'release', token: op.token }, call: op.start, ret: op.outcome === 'ok' ? op.end : Infinity });
    } else if (op.result !== undefined) {
      ops.push({ input: { kind: 'checkFence', token: op.token, current: op.result.current, latestToken: op.result.latestToken }, call: op.start, ret: op.end });
    }
  }
  return ops;
}

/** Depth-first over every order that respects real time, skipping unknown ops at will. */
function exhaustive(h: PreparedHistory, resource: string): boolean {
  const ops = referenceProblem(h, resource);
  const model = defaultLockModel(h.byResource.get(resource) ?? []);
  const required = ops.map((op) => Number.isFinite(op.ret));
  const dead = new Set<string>();
  const go = (done: bigint, state: ReturnType<typeof model.init>): boolean => {
    if (ops.every((_, i) => !required[i] || (done >> BigInt(i)) & 1n)) return true;
    const key = `${done}|${model.key(state)}`;
    if (dead.has(key)) return false;
    for (let i = 0; i < ops.length; i++) {
      if ((done >> BigInt(i)) & 1n) continue;
      // i may go next only if no pending completed op returned before i was called.
      if (ops.some((o, j) => j !== i && required[j] && !((done >> BigInt(j)) & 1n) && o.ret < ops[i]!.call)) continue;
      const after = model.step(state, ops[i]!.input);
      if (after !== undefined && go(done | (1n << BigInt(i)), after)) return true;
    }
    dead.add(key);
    return false;
  };
  return go(0n, model.init());
}

/** Small random corruptions of a valid history: a wrong fence answer, a shifted token. */
function perturb(h: History, seed: number): History {
  const random = rng(seed);
  const events = h.events.map((e): HistoryEvent => {
    if (random() > 0.08) return e;
    if (e.f === 'checkFence' && e.type === 'ok') {
      return random() < 0.5 ? { ...e, value: { ...e.value, current: !e.value.current } } : { ...e, value: { ...e.value, latestToken: e.value.latestToken + 1 } };
    }
    if (e.f === 'acquire' && e.type === 'ok') return { ...e, value: { ...e.value, token: e.value.token - 2 } };
    return e;
  });
  return { events, validity: h.validity };
}

test('the optimised search and a plain exhaustive one agree on small histories', () => {
  const tally = { linearizable: 0, not: 0 };
  const disagreements: string[] = [];
  for (let seed = 1; seed <= 400; seed++) {
    const random = rng(seed * 31);
    const { history } = simulate({
      seed,
      clients: 2 + Math.floor(random() * 3),
      capacities: [random() < 0.5 ? 1 : 2],
      operations: 8 + Math.floor(random() * 8),
      pLostRequest: 0.1,
      pLostResponse: 0.15,
      pCrashHolding: 0.15,
      pPartitionHolding: 0.1,
      pWaitTimeout: 0.1,
      pStaleFence: 0.3,
      drain: random() < 0.5,
    });
    const variants: [string, History | undefined][] = [
      ['valid', history],
      ['perturbed', perturb(history, seed)],
      ['swapped', swapTokens(history, seed)],
      ['duplicated', duplicateToken(history, seed)],
      ['double holder', doubleHolder(history, seed)],
      ['resurrected', resurrectAfterRelease(history, seed)],
    ];
    for (const [name, h] of variants) {
      if (h === undefined) continue;
      const p = prepareHistory(h);
      const fast = checkLinearizability(p);
      for (const r of fast.resources) {
        if (r.ok === 'unknown') {
          disagreements.push(`seed ${seed} ${name} ${r.resource}: unknown`);
          continue;
        }
        const slow = exhaustive(p, r.resource);
        tally[slow ? 'linearizable' : 'not']++;
        if (slow !== r.ok) disagreements.push(`seed ${seed} ${name} ${r.resource}: search says ${r.ok}, exhaustive says ${slow}`);
      }
    }
  }
  expect(disagreements).toEqual([]);
  // Both verdicts are well represented.
  expect(tally.linearizable).toBeGreaterThan(300);
  expect(tally.not).toBeGreaterThan(300);
});
