/**
 * Snapshots are read straight into the state (snapshot-read.ts) when their bytes have the layout
 * the writer gives, and by Packr plus field checks (the reference decoder) otherwise. Both must
 * give the same state, down to the order of every Map, and the same refusals.
 */
import fc from 'fast-check';
import { encodePlain } from '../../src/state/codec';
import type { MachineState } from '../../src/state/model';
import { decodeSnapshot, decodeSnapshotWithPackr, plainSnapshot, SNAPSHOT_VERSION } from '../../src/state/snapshot';
import { tryReadSnapshot } from '../../src/state/snapshot-read';
import { hostileBytes } from '../../../raft/test/fuzz/mutate';
import { plans, runPlan } from '../fuzz/state-machine';
import { Driver, tokenOf } from './harness';
import { runChecked, steps } from './scenario';

/** Every Map as its list of entries, in its order, so that equality also checks orders. */
function ordered(v: unknown): unknown {
  if (v instanceof Map) return { map: [...v.entries()].map(([k, x]) => [k, ordered(x)]) };
  if (v instanceof Uint8Array) return { bytes: [...v], type: v.constructor.name };
  if (Array.isArray(v)) return v.map(ordered);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, ordered(x)]));
  return v;
}

function decodedBy(decode: (b: Uint8Array) => MachineState, bytes: Uint8Array): unknown {
  try {
    return { state: ordered(decode(bytes)) };
  } catch (e) {
    return { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}

const validSnapshot = plans.map((plan) => runPlan(plan).snapshot());

function busyDriver(): Driver {
  const d = new Driver();
  d.open('a', 1000);
  d.open('b');
  d.open('ключ-😀');
  const t = tokenOf(d.lock('a', 1, 'x', { lockDelayMs: 3000 }));
  d.put('a', 2, 'x', t, 'value');
  d.lock('b', 1, 'x', { waitTimeoutMs: 10_000, priority: 2 });
  d.lock('ключ-😀', 1, 'x');
  d.lock('ключ-😀', 2, 'sem/名前', { capacity: 3, mode: 'shared', permits: 2 });
  d.lock('b', 3, 'sem/名前', { capacity: 3, mode: 'shared', permits: 1 });
  d.cancel('ключ-😀', 77);
  d.release('a', 4, 'x', 999);
  return d;
}

describe('snapshot read straight into the state', () => {
  test('a machine snapshot is read by the fast reader, to the state the reference decoder gives', () => {
    const bytes = busyDriver().machine.snapshot();
    const fast = tryReadSnapshot(bytes, SNAPSHOT_VERSION);
    expect(fast).not.toBeNull();
    expect(ordered(fast)).toEqual(ordered(decodeSnapshotWithPackr(bytes)));
  });

  test('random machines: the fast reader takes their snapshots and agrees with the reference decoder', () => {
    const check = (bytes: Uint8Array): void => {
      const fast = tryReadSnapshot(bytes, SNAPSHOT_VERSION);
      expect(fast).not.toBeNull();
      expect(ordered(fast)).toEqual(ordered(decodeSnapshotWithPackr(bytes)));
    };
    fc.assert(
      fc.property(plans, (plan) => check(runPlan(plan).snapshot())),
      { numRuns: 150 },
    );
    fc.assert(
      fc.property(steps, (plan) => check(runChecked(plan).machine.snapshot())),
      { numRuns: 150 },
    );
  });

  test('random and mutated bytes: decodeSnapshot gives what the reference decoder gives, state or refusal', () => {
    fc.assert(
      fc.property(hostileBytes(validSnapshot), (bytes) => {
        expect(decodedBy(decodeSnapshot, bytes)).toEqual(decodedBy(decodeSnapshotWithPackr, bytes));
      }),
      { numRuns: 600 },
    );
  });

  test('bytes off the written layout go to the reference decoder: other key order, an extra key, a legacy outcome', () => {
    const st = decodeSnapshot(busyDriver().machine.snapshot());
    const plain = plainSnapshot(st);
    const extraKey = encodePlain({ ...plain, extra: 1 });
    const swapped = encodePlain(Object.fromEntries(Object.entries(plain).reverse()));
    for (const bytes of [extraKey, swapped]) {
      expect(tryReadSnapshot(bytes, SNAPSHOT_VERSION)).toBeNull();
      expect(decodedBy(decodeSnapshot, bytes)).toEqual(decodedBy(decodeSnapshotWithPackr, bytes));
    }
    expect(decodedBy(decodeSnapshot, swapped)).toEqual({ state: ordered(st) });
    expect(decodedBy(decodeSnapshot, extraKey)).toEqual({ state: ordered(st) });
    // A failure remembered before error codes (4 fields): both decoders give it the code of its status.
    const legacy = { ...plain, sessions: plain.sessions.map((s) => ({ ...s, done: s.done.map((o) => (o[1] === 'failed' ? o.slice(0, 4) : o)) })) };
    const legacyBytes = encodePlain(legacy);
    expect(tryReadSnapshot(legacyBytes, SNAPSHOT_VERSION)).not.toBeNull();
    expect(ordered(decodeSnapshot(legacyBytes))).toEqual(ordered(decodeSnapshotWithPackr(legacyBytes)));
  });
});
