/**
 * The short fixed-seed run of the state machine fuzz targets (test/fuzz/state-machine.ts) that
 * `pnpm test` includes; `pnpm fuzz` runs the same targets with 10,000 cases each.
 */
import { fuzzSnapshotDecoder, fuzzStateMachine } from '../fuzz/state-machine';

test('random command sequences: apply never throws and every invariant holds after every entry', () => {
  fuzzStateMachine(300, 7001);
});

test('snapshot decoder: random and mutated snapshots decode or fail with SnapshotFormatError', () => {
  fuzzSnapshotDecoder(300, 7002);
});
