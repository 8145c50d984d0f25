/**
 * The deterministic simulator over many seeds: 3- and 5-node clusters under message loss,
 * duplication, delay and reordering, partitions, crashes that keep only synced writes,
 * membership changes and leadership transfers. Every step is checked for election safety, log
 * matching, leader completeness and state machine safety; after healing, a new proposal must
 * commit within bounded simulated time. A failure names the command that replays it.
 *
 * SIM_SEEDS / SIM_FIRST_SEED narrow the run for local work; the count is printed, and under CI
 * (CI set) fewer than the README's 320 seeds fail the run instead of passing quietly.
 */
import { runSeed } from '../../src/sim/sim-cluster';

const DEFAULT_SEEDS = 320;

function seedsFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return n;
}

const SEEDS = seedsFromEnv('SIM_SEEDS', DEFAULT_SEEDS);
const FIRST = seedsFromEnv('SIM_FIRST_SEED', 1);
const UNDER_CI = process.env['CI'] !== undefined && process.env['CI'] !== '' && process.env['CI'] !== 'false' && process.env['CI'] !== '0';

describe('raft simulator', () => {
  const chunk = 40;
  const totals = { seeds: 0, elections: 0, committed: 0, crashes: 0, partitions: 0, transfers: 0 };

  it(`runs ${DEFAULT_SEEDS} seeds (fewer only outside CI)`, () => {
    process.stdout.write(`raft simulator: ${SEEDS} seeds from ${FIRST}${SEEDS < DEFAULT_SEEDS ? ` (SIM_SEEDS narrows the default ${DEFAULT_SEEDS})` : ''}\n`);
    if (UNDER_CI) expect(SEEDS).toBeGreaterThanOrEqual(DEFAULT_SEEDS);
  });

  for (let lo = FIRST; lo < FIRST + SEEDS; lo += chunk) {
    const hi = Math.min(lo + chunk, FIRST + SEEDS);
    it(`seeds ${lo}..${hi - 1} keep every safety invariant and recover after healing`, () => {
      let committed = 0;
      let faults = 0;
      for (let seed = lo; seed < hi; seed++) {
        const res = runSeed(seed, seed % 2 === 0 ? 3 : 5);
        if (!res.ok) throw new Error(`${res.error}\nreplay: ${res.replay}`);
        const s = (k: string): number => res.stats[k] ?? 0;
        totals.seeds++;
        totals.elections += s('elections');
        totals.committed += s('committed');
        totals.crashes += s('crashes');
        totals.partitions += s('partitions');
        totals.transfers += s('transfers');
        committed += s('committed');
        faults += s('crashes') + s('partitions') + s('transfers');
      }
      // The runs did real work under real faults, not a quiet cluster that trivially keeps its invariants.
      expect(committed).toBeGreaterThan((hi - lo) * 20);
      expect(faults).toBeGreaterThan(0);
    });
  }

  it('every seed ran, and crashes, partitions and leadership transfers all happened over the run', () => {
    process.stdout.write(`raft simulator totals: ${JSON.stringify(totals)}\n`);
    expect(totals.seeds).toBe(SEEDS);
    expect(totals.crashes).toBeGreaterThan(0);
    expect(totals.partitions).toBeGreaterThan(0);
    expect(totals.transfers).toBeGreaterThan(0);
  });
});
