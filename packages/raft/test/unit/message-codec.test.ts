/**
 * The transport's payload codec: round trips of every message type (exact integers, byte
 * payloads as Uint8Array), that the bytes are plain MessagePack, and validation of untrusted
 * input (non-arrays and garbage throw MessageDecodeError; invalid elements are reported and
 * dropped while the valid ones keep their order).
 */
import { Packr, unpack } from 'msgpackr';

import type { Message } from '../../src/core/types';
import {
  decodeMessages,
  encodeMessages,
  estimateMessageBytes,
  MessageDecodeError,
  validateMessage,
} from '../../src/transport/message-codec';

const packr = new Packr({ useRecords: false });

const samples: Message[] = [
  {
    type: 'app',
    from: 'a',
    to: 'b',
    term: Number.MAX_SAFE_INTEGER,
    index: 2 ** 33,
    logTerm: 1,
    commit: 0,
    entries: [
      { term: 1, index: 1, type: 'normal', data: new Uint8Array([9, 8, 7]) },
      { term: 1, index: 2, type: 'confChange', data: new Uint8Array(0) },
    ],
  },
  { type: 'appResp', from: 'b', to: 'a', term: 1, index: 2, reject: false, hintIndex: 0, hintTerm: 0 },
  { type: 'vote', from: 'a', to: 'b', term: 2, lastIndex: 2, lastTerm: 1, transfer: false },
  { type: 'preVote', from: 'a', to: 'b', term: 3, lastIndex: 2, lastTerm: 1, transfer: false },
  { type: 'voteResp', from: 'b', to: 'a', term: 2, reject: false },
  { type: 'preVoteResp', from: 'b', to: 'a', term: 3, reject: true },
  { type: 'heartbeat', from: 'a', to: 'b', term: 2, commit: 2, ctx: 'x' },
  { type: 'heartbeatResp', from: 'b', to: 'a', term: 2, ctx: 'x' },
  {
    type: 'snap',
    from: 'a',
    to: 'b',
    term: 2,
    meta: { index: 2, term: 1, confState: { voters: ['a', 'b'], learners: [] } },
    offset: 0,
    totalBytes: 4,
    data: new Uint8Array([1, 2, 3, 4]),
    done: true,
  },
  { type: 'snapResp', from: 'b', to: 'a', term: 2, snapIndex: 2, nextOffset: 4, reject: false, index: 2 },
  { type: 'timeoutNow', from: 'a', to: 'b', term: 2 },
];

function noInvalid(reason: string): never {
  throw new Error(`unexpected invalid message: ${reason}`);
}

describe('encode/decode', () => {
  test('every message type round-trips', () => {
    const decoded = decodeMessages(encodeMessages(samples), noInvalid);
    expect(decoded).toHaveLength(samples.length);
    decoded.forEach((message, i) => {
      const expected = samples[i]!;
      expect(message.type).toBe(expected.type);
      if (message.type === 'app' && expected.type === 'app') {
        expect(message.term).toBe(Number.MAX_SAFE_INTEGER);
        expect(message.index).toBe(2 ** 33);
        message.entries.forEach((entry, j) => {
          expect(entry.data).toBeInstanceOf(Uint8Array);
          expect(Array.from(entry.data)).toEqual(Array.from(expected.entries[j]!.data));
        });
      } else if (message.type === 'snap' && expected.type === 'snap') {
        expect(message.data).toBeInstanceOf(Uint8Array);
        expect(Array.from(message.data)).toEqual([1, 2, 3, 4]);
        expect(message.meta).toEqual(expected.meta);
      } else {
        expect(message).toEqual(expected);
      }
    });
  });

  test('the payload is plain MessagePack that any decoder reads', () => {
    const plain = unpack(encodeMessages([samples[6]!])) as unknown;
    expect(plain).toEqual([samples[6]]);
  });

  test('an empty batch round-trips', () => {
    expect(decodeMessages(encodeMessages([]), noInvalid)).toEqual([]);
  });
});

describe('validation', () => {
  test('garbage and non-arrays throw MessageDecodeError', () => {
    expect(() => decodeMessages(Buffer.from([0xc1]), noInvalid)).toThrow(MessageDecodeError);
    expect(() => decodeMessages(Buffer.alloc(0), noInvalid)).toThrow(MessageDecodeError);
    expect(() => decodeMessages(packr.pack({ type: 'heartbeat' }), noInvalid)).toThrow(/not an array/);
    expect(() => decodeMessages(packr.pack('text'), noInvalid)).toThrow(MessageDecodeError);
  });

  test('invalid elements are reported with their position and dropped', () => {
    const good = samples[6]!;
    const invalid: [string, unknown][] = [
      ['unknown message type', { ...good, type: 'nope' }],
      ['not an object', 42],
      ['not an object', [good]],
      ['from is', { ...good, from: 1 }],
      ['to is', { ...good, to: null }],
      ['term is', { ...good, term: 1.5 }],
      ['term is', { ...good, term: -1 }],
      ['term is', { ...good, term: 2 ** 53 }],
      ['term is', { ...good, term: '1' }],
      ['ctx is', { ...good, ctx: 1 }],
      ['entries is', { ...samples[0]!, entries: 'none' }],
      ['entries[0]', { ...samples[0]!, entries: [{ term: 1, index: 1, type: 'weird', data: new Uint8Array(0) }] }],
      ['entries[0]', { ...samples[0]!, entries: [{ term: 1, index: 1, type: 'normal', data: [1, 2] }] }],
      ['reject is', { ...samples[1]!, reject: 0 }],
      ['confState.voters', { ...samples[8]!, meta: { index: 1, term: 1, confState: { voters: [1], learners: [] } } }],
      ['data is', { ...samples[8]!, data: 'bytes' }],
    ];
    const reports: [string, number][] = [];
    const payload = packr.pack([good, ...invalid.map(([, value]) => value), good]);
    const decoded = decodeMessages(payload, (reason, position) => reports.push([reason, position]));

    expect(decoded).toEqual([good, good]);
    expect(reports.map(([, position]) => position)).toEqual(invalid.map((_, i) => i + 1));
    reports.forEach(([reason], i) => expect(reason).toContain(invalid[i]![0]));
  });

  test('validateMessage accepts every sample and tolerates unknown extra fields', () => {
    for (const message of samples) expect(validateMessage(message)).toBeNull();
    expect(validateMessage({ ...samples[6]!, addedLater: true })).toBeNull();
  });

  test('estimateMessageBytes grows with the byte payloads', () => {
    const small = estimateMessageBytes(samples[0]!);
    const big = estimateMessageBytes({
      ...(samples[0] as Extract<Message, { type: 'app' }>),
      entries: [{ term: 1, index: 1, type: 'normal', data: new Uint8Array(10_000) }],
    });
    expect(big - small).toBeGreaterThan(9_000);
  });
});
