/**
 * The short fixed-seed run of the live-node Acquire frame fuzz target (fuzz/acquire-frames.ts)
 * that `pnpm test` includes; `pnpm fuzz` runs it with 10,000 cases (fuzz/acquire.fuzz.ts).
 */
import { lockFrame, runCase } from './fuzz/acquire-frames';
import { fuzzLiveNode, withLiveNode } from './fuzz/live-node';

jest.setTimeout(300_000);

it('random and mutated AcquireRequest frames: each answered or ended with a clear status; the node and a bystander session go on', async () => {
  await fuzzLiveNode(150, 4242);
});

// Found by this fuzzer: a lock with a mode outside the enum (here 7) is never answered; the
// request is logged, the machine refuses the entry's shape, and no answer reaches the session.
// Issue 9 §2 (another branch) refuses unknown enum values with INVALID_ARGUMENT before they are
// logged. Once that is merged this starts to pass: make it a plain `it` and run the fuzzer with
// unknown enums (fuzzLiveNode's third argument, here and in fuzz/acquire.fuzz.ts).
it.failing('a lock with an unknown mode value gets an answer (fails until issue 9 §2 is merged)', async () => {
  await withLiveNode(async (node) => {
    await runCase(node, { open: true, frames: [lockFrame({ requestId: 1, name: 'fz/a', mode: 7 })] }, 5000);
  });
});
