/** `pnpm fuzz`: the live-node Acquire frame target at full size (FUZZ_RUNS, default 10,000; FUZZ_SEED replays). */
import { fuzzLiveNode } from './live-node';

jest.setTimeout(3_600_000);

const runs = Number(process.env['FUZZ_RUNS'] ?? 10_000);

it(`live node, ${runs} cases of random and mutated AcquireRequest frames`, async () => {
  await fuzzLiveNode(runs, undefined, true);
});
