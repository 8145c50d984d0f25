/**
 * The short fixed-seed run of the decoder fuzz targets (test/fuzz/decoders.ts) that `pnpm test`
 * includes; `pnpm fuzz` runs the same targets with 10,000 cases each.
 */
import { fuzzLogRecordDecoder, fuzzPeerDecoder } from '../fuzz/decoders';

test('peer message decoder: random and mutated payloads give messages or MessageDecodeError', () => {
  fuzzPeerDecoder(400, 9001);
});

test('log record decoder: random and mutated records give an entry or a StorageError naming the key', () => {
  fuzzLogRecordDecoder(400, 9002);
});
