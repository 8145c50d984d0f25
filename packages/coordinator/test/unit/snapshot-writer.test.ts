/**
 * The snapshot is written straight from the state (snapshot-write.ts) instead of through Packr,
 * and must give the very same bytes: replicas compare snapshot hashes, and older and newer nodes
 * exchange snapshots. Packr's encoding of `plainSnapshot` is the reference here.
 */
import fc from 'fast-check';
import { encodePlain } from '../../src/state/codec';
import { emptyState, type Hold, type MachineState, type Waiter } from '../../src/state/model';
import { newSession } from '../../src/state/sessions';
import { decodeSnapshot, encodeSnapshot, plainSnapshot, SNAPSHOT_VERSION } from '../../src/state/snapshot';
import { writeSnapshot } from '../../src/state/snapshot-write';
import { plans, runPlan } from '../fuzz/state-machine';
import { hex } from './harness';
import { steps, runChecked } from './scenario';

function packrBytes(state: MachineState): string {
  return hex(encodePlain(plainSnapshot(state)));
}

/** Integers and strings at every header boundary Packr distinguishes, and bytes of every bin size. */
const NUMBERS = [
  0, 1, 0x1f, 0x20, 0x3f, 0x40, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, -0, -1,
  -0x20, -0x21, -0x80, -0x81, -0x8000, -0x8001, -(2 ** 31), -(2 ** 31) - 1, 1.5, -2.25, Number.NaN, Number.POSITIVE_INFINITY,
];
const STRINGS = [
  '',
  'a',
  'x'.repeat(31),
  'x'.repeat(32),
  'x'.repeat(63),
  'x'.repeat(64),
  'x'.repeat(255),
  'x'.repeat(256),
  'x'.repeat(0x10000),
  'é'.repeat(16), // 16 characters, 32 bytes: the header outgrows the guess made from the length
  'é'.repeat(100),
  '€'.repeat(90),
  '€'.repeat(30000),
  '😀'.repeat(20),
  '😀'.repeat(40),
  '\ud800a', // a lone surrogate, short (encoded in JS) and long (encoded by Buffer)
  '\udc00'.repeat(70),
  'ñame/ключ/名前',
];
const VALUE_SIZES = [0, 1, 255, 256, 0xffff, 0x10000];

function at<T>(xs: readonly T[], i: number): T {
  return xs[i % xs.length] as T;
}

/** A state that puts every boundary value into every kind of field. */
function boundaryState(): MachineState {
  const st = emptyState();
  st.index = 2 ** 40;
  st.term = 0x80;
  st.now = 1.5;
  st.lastToken = -1;
  st.nextSeq = 0x10000;
  for (let i = 0; i < 40; i++) {
    const ownership = i % 3 === 0 ? undefined : { secretHash: at(STRINGS, i + 1), owner: at(STRINGS, i + 2) };
    const s = newSession(`${at(STRINGS, i)}#${i}`, at(STRINGS, i + 3), at(NUMBERS, i), at(NUMBERS, i + 1), ownership);
    s.lastRenewal = at(NUMBERS, i + 2);
    s.deadline = at(NUMBERS, i + 3);
    for (let k = 0; k < i % 20; k++) {
      const n = at(NUMBERS, i + k);
      s.done.set(n, k % 4 === 0 ? { kind: 'failed', code: 9, message: at(STRINGS, k), errorCode: 'ERR_FAILED_PRECONDITION' } : { kind: 'granted', name: at(STRINGS, k + i), token: n });
    }
    st.sessions.set(s.id, s);
  }
  for (let i = 0; i < 20; i++) {
    const holders: Hold[] = [];
    const queue: Waiter[] = [];
    for (let k = 0; k < (i === 0 ? 17 : i % 3); k++) {
      holders.push({ sessionId: at(STRINGS, k), requestId: at(NUMBERS, k), token: at(NUMBERS, k + 1), mode: 'shared', permits: at(NUMBERS, k + 2), units: at(NUMBERS, k + 3), grantedAt: at(NUMBERS, k + 4), grantIndex: at(NUMBERS, k + 5), lockDelayMs: at(NUMBERS, k + 6) });
    }
    for (let k = 0; k < i % 4; k++) {
      queue.push({ seq: at(NUMBERS, k), sessionId: at(STRINGS, k), requestId: at(NUMBERS, k + 1), name: 'ignored', mode: 'exclusive', permits: at(NUMBERS, k + 2), units: 1, priority: at(NUMBERS, k + 3), enqueuedAt: at(NUMBERS, k + 4), deadline: at(NUMBERS, k + 5), lockDelayMs: at(NUMBERS, k + 6) });
    }
    const name = `${at(STRINGS, i + 5)}/${i}`;
    const value = new Uint8Array(at(VALUE_SIZES, i)).map((_, j) => j & 0xff);
    st.resources.set(name, { name, capacity: at(NUMBERS, i), holders, queue, used: 0, value, latestToken: at(NUMBERS, i + 1), lockDelayUntil: at(NUMBERS, i + 2) });
  }
  return st;
}

describe('snapshot bytes written without Packr', () => {
  test('every header boundary of numbers, strings, bytes, lists and maps is written as Packr writes it', () => {
    const st = boundaryState();
    expect(hex(writeSnapshot(st, SNAPSHOT_VERSION))).toBe(packrBytes(st));
    expect(hex(encodeSnapshot(st))).toBe(packrBytes(st));
  });

  test('lists of 16 and of 65,536 entries take their list16 and list32 headers', () => {
    const st = emptyState();
    for (let i = 0; i < 0x10000; i++) st.sessions.set(`s${i}`, newSession(`s${i}`, 'c', 10_000, i));
    expect(hex(encodeSnapshot(st))).toBe(packrBytes(st));
    const sixteen = emptyState();
    for (let i = 0; i < 16; i++) sixteen.sessions.set(`s${i}`, newSession(`s${i}`, 'c', 10_000, i));
    expect(hex(encodeSnapshot(sixteen))).toBe(packrBytes(sixteen));
  });

  test('random machines (fuzzed commands, odd field values) give the same bytes as Packr', () => {
    fc.assert(
      fc.property(plans, (plan) => {
        const st = decodeSnapshot(runPlan(plan).snapshot());
        expect(hex(encodeSnapshot(st))).toBe(packrBytes(st));
      }),
      { numRuns: 150 },
    );
    fc.assert(
      fc.property(steps, (plan) => {
        const st = decodeSnapshot(runChecked(plan).machine.snapshot());
        expect(hex(encodeSnapshot(st))).toBe(packrBytes(st));
      }),
      { numRuns: 150 },
    );
  });

  test('a field holding something the writer does not write (undefined, a boolean) falls back to Packr', () => {
    const st = boundaryState();
    const s = [...st.sessions.values()][1];
    if (s === undefined) throw new Error('no session');
    (s as { lastRenewal: unknown }).lastRenewal = undefined;
    (s as { deadline: unknown }).deadline = true;
    expect(() => writeSnapshot(st, SNAPSHOT_VERSION)).toThrow(/undefined/);
    expect(hex(encodeSnapshot(st))).toBe(packrBytes(st));
  });
});
