import { checkAll, type History, type ViolationKind } from '../../src';
import { doubleHolder, duplicateToken, resurrectAfterRelease, shiftWindow, swapTokens } from './mutate';
import { rng, type SimOptions, simulate } from './sim';

/** A different workload per seed: mutexes and semaphores, calm and faulty, drained or cut off. */
function options(seed: number, operations = 300): SimOptions {
  const random = rng(seed * 7919);
  const resources = 1 + Math.floor(random() * 4);
  const faulty = random() < 0.7;
  const p = faulty ? 0.02 + random() * 0.06 : 0;
  return {
    seed,
    clients: 2 + Math.floor(random() * 10),
    capacities: Array.from({ length: resources }, () => (random() < 0.6 ? 1 : 2 + Math.floor(random() * 3))),
    operations,
    latency: [0.05, 0.5 + random() * 8],
    pLostRequest: p,
    pLostResponse: p,
    pCrashHolding: p,
    pPartitionHolding: p,
    pWaitTimeout: faulty ? 0.1 : 0,
    pStaleFence: 0.15,
    drain: random() < 0.5,
  };
}

const SEEDS = Array.from({ length: 150 }, (_, i) => i + 1);

describe('histories of a correct lock service (seeded simulation)', () => {
  test('every checker passes on every seed', () => {
    const failures: string[] = [];
    let unknownGrants = 0;
    let infos = 0;
    for (const seed of SEEDS) {
      const { history, hiddenGrants } = simulate(options(seed));
      unknownGrants += hiddenGrants;
      const r = checkAll(history);
      infos += r.counts.byFunction.acquire.info + r.counts.byFunction.release.info;
      if (r.ok !== true) failures.push(`seed ${seed}: ${r.ok} ${JSON.stringify(r.counts.violationsByKind)} ${r.warnings.join('; ')}`);
    }
    expect(failures).toEqual([]);
    // The simulation did exercise the hard cases.
    expect(unknownGrants).toBeGreaterThan(20);
    expect(infos).toBeGreaterThan(100);
  });
});

describe('mutated histories fail', () => {
  const cases: [string, (h: History, seed: number) => History | undefined, ViolationKind[]][] = [
    ['swapping two tokens in real-time order', swapTokens, ['tokenOrder', 'notLinearizable']],
    ['granting one token twice', duplicateToken, ['duplicateToken', 'notLinearizable']],
    ['a second exclusive holder inside a hold', doubleHolder, ['exclusiveOverlap', 'notLinearizable']],
    ['stretching a window over the next one', shiftWindow, ['exclusiveOverlap']],
    ['a check that sees a released hold', resurrectAfterRelease, ['releaseNotHonoured', 'notLinearizable']],
  ];
  test.each(cases)('%s', (_name, mutate, kinds) => {
    let mutated = 0;
    const missed: string[] = [];
    for (const seed of SEEDS.slice(0, 60)) {
      const { history } = simulate(options(seed, 150));
      const bad = mutate(history, seed);
      if (bad === undefined) continue;
      mutated++;
      const r = checkAll(bad);
      const found = Object.keys(r.counts.violationsByKind);
      const absent = kinds.filter((k) => !found.includes(k));
      if (r.ok !== false || absent.length > 0) missed.push(`seed ${seed}: ok=${r.ok}, found ${found.join(',') || 'nothing'}, missing ${absent.join(',')}`);
    }
    expect(missed).toEqual([]);
    expect(mutated).toBeGreaterThan(40);
  });
});
