/**
 * Fuzz targets of the Raft layer's decoders of untrusted bytes: the peer message decoder (what
 * another node, or anyone who reaches the peer port, sends) and the LevelStorage log record
 * decoder (what the disk gives back). Each case must end in a value or the decoder's own clean
 * error (MessageDecodeError / StorageError), never another exception, a crash or a hang.
 */
import fc from 'fast-check';
import type { Entry, Message } from '../../src/core/types';
import { decodeLogRecord, encodeLogRecord } from '../../src/storage/level-storage';
import { StorageError } from '../../src/storage/storage';
import { decodeMessages, encodeMessages, MessageDecodeError, validateMessage } from '../../src/transport/message-codec';
import { hostileBytes, params } from './mutate';

const id = fc.constantFrom('a', 'b', 'c', '', 'n1');
const idx = fc.oneof(fc.nat({ max: 1000 }), fc.constantFrom(0, 2 ** 32, Number.MAX_SAFE_INTEGER));
const entry: fc.Arbitrary<Entry> = fc.record({
  term: idx,
  index: idx,
  type: fc.constantFrom('normal' as const, 'confChange' as const),
  data: fc.uint8Array({ maxLength: 40 }),
});

const message: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ type: fc.constant('app' as const), from: id, to: id, term: idx, index: idx, logTerm: idx, commit: idx, entries: fc.array(entry, { maxLength: 3 }) }),
  fc.record({ type: fc.constant('appResp' as const), from: id, to: id, term: idx, index: idx, reject: fc.boolean(), hintIndex: idx, hintTerm: idx }),
  fc.record({ type: fc.constantFrom('vote' as const, 'preVote' as const), from: id, to: id, term: idx, lastIndex: idx, lastTerm: idx, transfer: fc.boolean() }),
  fc.record({ type: fc.constantFrom('voteResp' as const, 'preVoteResp' as const), from: id, to: id, term: idx, reject: fc.boolean() }),
  fc.record({ type: fc.constant('heartbeat' as const), from: id, to: id, term: idx, commit: idx, ctx: fc.string({ maxLength: 4 }) }),
  fc.record({ type: fc.constant('heartbeatResp' as const), from: id, to: id, term: idx, ctx: fc.string({ maxLength: 4 }) }),
  fc.record({
    type: fc.constant('snap' as const), from: id, to: id, term: idx,
    meta: fc.record({ index: idx, term: idx, confState: fc.record({ voters: fc.array(id, { maxLength: 3 }), learners: fc.array(id, { maxLength: 2 }) }) }),
    offset: idx, totalBytes: idx, data: fc.uint8Array({ maxLength: 40 }), done: fc.boolean(),
  }),
  fc.record({ type: fc.constant('snapResp' as const), from: id, to: id, term: idx, snapIndex: idx, nextOffset: idx, reject: fc.boolean(), index: idx }),
  fc.record({ type: fc.constant('timeoutNow' as const), from: id, to: id, term: idx }),
);

const validPayload = fc.array(message, { minLength: 1, maxLength: 4 }).map((ms) => new Uint8Array(encodeMessages(ms)));

/** Random and mutated peer payloads: a batch of valid messages (in order) or MessageDecodeError. */
export function fuzzPeerDecoder(runs: number, seed?: number): void {
  fc.assert(
    fc.property(hostileBytes(validPayload), (bytes) => {
      let decoded: Message[];
      try {
        decoded = decodeMessages(bytes, () => undefined);
      } catch (e) {
        if (e instanceof MessageDecodeError && e.message !== '') return;
        throw e;
      }
      // What the decoder lets through must pass its own validation (it reached RawNode.step).
      for (const m of decoded) expect(validateMessage(m)).toBeNull();
    }),
    params(runs, seed),
  );
}

const validRecord = entry.map((e) => encodeLogRecord(e));

/** Random and mutated stored log records: a well-formed Entry or a StorageError naming the key. */
export function fuzzLogRecordDecoder(runs: number, seed?: number): void {
  fc.assert(
    fc.property(hostileBytes(validRecord), (bytes) => {
      let e: Entry;
      try {
        e = decodeLogRecord(bytes, 'log/fuzz');
      } catch (err) {
        if (err instanceof StorageError && err.message.includes('log/fuzz')) return;
        throw err;
      }
      expect(Number.isSafeInteger(e.index) && e.index >= 0).toBe(true);
      expect(Number.isSafeInteger(e.term) && e.term >= 0).toBe(true);
      expect(['normal', 'confChange']).toContain(e.type);
      expect(e.data).toBeInstanceOf(Uint8Array);
    }),
    params(runs, seed),
  );
}
