/** `pnpm fuzz`: the state machine targets at full size (FUZZ_RUNS, default 10,000 each; FUZZ_SEED replays). */
import { fuzzRuns } from '../../../raft/test/fuzz/mutate';
import { fuzzSnapshotDecoder, fuzzStateMachine } from './state-machine';

jest.setTimeout(1_200_000);

test(`lock state machine, ${fuzzRuns()} random command sequences`, () => {
  fuzzStateMachine(fuzzRuns());
});

test(`snapshot decoder, ${fuzzRuns()} cases`, () => {
  fuzzSnapshotDecoder(fuzzRuns());
});
