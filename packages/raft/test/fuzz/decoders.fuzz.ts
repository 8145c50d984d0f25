/** `pnpm fuzz`: the decoder targets at full size (FUZZ_RUNS, default 10,000 each; FUZZ_SEED replays). */
import { fuzzLogRecordDecoder, fuzzPeerDecoder } from './decoders';
import { fuzzRuns } from './mutate';

jest.setTimeout(600_000);

test(`peer message decoder, ${fuzzRuns()} cases`, () => {
  fuzzPeerDecoder(fuzzRuns());
});

test(`log record decoder, ${fuzzRuns()} cases`, () => {
  fuzzLogRecordDecoder(fuzzRuns());
});
