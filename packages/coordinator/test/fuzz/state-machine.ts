/**
 * Fuzz targets of the lock state machine: random command sequences (mostly plausible, with odd
 * field values, missing and extra fields, bad stamps, and undecodable entries mixed in) must
 * never make `apply` throw and must keep every invariant after every entry; random and mutated
 * snapshots must decode to a state or fail with SnapshotFormatError, and never crash `restore`.
 */
import fc from 'fast-check';
import { encodePlain } from '../../src/state/codec';
import { CorruptEntryError, LockStateMachine } from '../../src/state/lock-state-machine';
import { decodeSnapshot, SnapshotFormatError } from '../../src/state/snapshot';
import { hostileBytes, params } from '../../../raft/test/fuzz/mutate';

const SKEW = 200;

const weirdNumber = fc.constantFrom(-1, 1.5, 2 ** 31, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER, 2 ** 60, Number.NaN, Number.POSITIVE_INFINITY, -0);
/** Mostly `usual`, now and then a weird number. */
const mostly = (usual: fc.Arbitrary<number>): fc.Arbitrary<number> => fc.oneof({ weight: 12, arbitrary: usual }, { weight: 1, arbitrary: weirdNumber });
const small = (max: number): fc.Arbitrary<number> => mostly(fc.nat({ max }));
const sessionId = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('s0', 's1', 's2', 's3') },
  { weight: 1, arbitrary: fc.oneof(fc.constant(''), fc.string({ maxLength: 4 }), fc.constant('x'.repeat(300))) },
);
const name = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('r0', 'r1', 'r2') },
  { weight: 1, arbitrary: fc.oneof(fc.constant(''), fc.constant('\ud800a'), fc.constant('n'.repeat(600)), fc.string({ maxLength: 3 })) },
);
const requestId = small(6);
const token = small(120);

type Cmd = Record<string, unknown>;

/** Stands for a value over the 64 KiB limit (expanded when encoded, so counterexamples stay short). */
const BIG_VALUE = 'BIG_VALUE';
const encodeCmd = (c: Cmd): Uint8Array => encodePlain(c['value'] === BIG_VALUE ? { ...c, value: new Uint8Array(70_000) } : c);

const commandBody: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant('openSession'), sessionId, ttlMs: mostly(fc.constantFrom(1000, 3000, 10_000)), clientName: fc.constantFrom('', 'c', '\u00e9') }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('resumeSession'), sessionId }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('renew'), sessionIds: fc.array(sessionId, { maxLength: 5 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('expireSessions'), sessionIds: fc.array(sessionId, { maxLength: 5 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('closeSession'), sessionId }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('adminExpireSession'), sessionId }) },
  {
    weight: 8,
    arbitrary: fc.record({
      type: fc.constant('lock'), sessionId, requestId, name,
      capacity: mostly(fc.constantFrom(0, 1, 2, 3)),
      mode: fc.oneof({ weight: 12, arbitrary: fc.constantFrom('exclusive', 'shared') }, { weight: 1, arbitrary: fc.constantFrom('mode 7', 7) }),
      waitTimeoutMs: mostly(fc.constantFrom(0, 50, 2000)),
      tryOnly: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      lockDelayMs: mostly(fc.constantFrom(0, 0, 100)),
      permits: mostly(fc.constantFrom(0, 1, 2)),
      priority: mostly(fc.constantFrom(0, 1, -1)),
    }),
  },
  { weight: 5, arbitrary: fc.record({ type: fc.constant('release'), sessionId, requestId, name, token }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('cancel'), sessionId, requestId }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('put'), sessionId, requestId, name, token, value: fc.oneof(fc.uint8Array({ maxLength: 8 }), fc.constant(BIG_VALUE)) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('tick') }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('revoke'), name, token: fc.option(token, { nil: undefined }), reason: fc.constantFrom('', 'ops') }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constantFrom('nope', '', 'constructor') }) },
);

/** A command with, now and then, a field dropped, a field added, or a field of the wrong type. */
const command: fc.Arbitrary<Cmd> = fc
  .tuple(commandBody, fc.nat(), fc.oneof({ weight: 27, arbitrary: fc.constant('keep' as const) }, { weight: 1, arbitrary: fc.constantFrom('drop' as const, 'extra' as const, 'retype' as const) }))
  .map(([c, pick, how]) => {
    const keys = Object.keys(c).filter((k) => k !== 'type');
    const key = keys[pick % Math.max(1, keys.length)];
    if (how === 'keep' || key === undefined) return c;
    const out: Cmd = { ...c };
    if (how === 'drop') delete out[key];
    else if (how === 'extra') out['__proto__x'] = pick;
    else out[key] = typeof c[key] === 'string' ? pick : String(pick);
    return out;
  });

type Step =
  | { k: 'cmd'; dt: number; newTerm: boolean; stamp: 'now' | number | string; cmd: Cmd }
  | { k: 'bytes'; dt: number; bytes: Uint8Array }
  | { k: 'expireOverdue'; dt: number }
  | { k: 'tickAtTimer' };

const dt = fc.constantFrom(0, 0, 10, 100, 1000, 4000);
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 20,
    arbitrary: fc.record({
      k: fc.constant('cmd' as const), dt, newTerm: fc.boolean(),
      stamp: fc.oneof({ weight: 20, arbitrary: fc.constant('now' as const) }, { weight: 1, arbitrary: fc.oneof(weirdNumber, fc.constant('x')) }),
      cmd: command,
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('bytes' as const), dt, bytes: hostileBytes(command.map((c) => encodeCmd({ ...c, stamp: 1 }))) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('expireOverdue' as const), dt }) },
  { weight: 2, arbitrary: fc.constant({ k: 'tickAtTimer' as const }) },
);

export const plans = fc.array(step, { minLength: 1, maxLength: 80, size: 'max' });

/** Runs a plan on a fresh machine, checking invariants after every entry; returns the machine. */
export function runPlan(plan: readonly Step[]): LockStateMachine {
  const m = new LockStateMachine({ maxClockSkewMs: SKEW });
  let now = 1_000_000;
  let term = 1;
  let index = 0;
  const entry = (data: Uint8Array): void => {
    index++;
    const before = m.snapshot();
    let out;
    try {
      out = m.apply({ index, term, type: 'normal', data });
    } catch (e) {
      // Bytes that are not MessagePack at all stop a real node (the entry passed its checksum, so
      // this is a bug or corruption): the machine must refuse them whole, changing nothing.
      if (!(e instanceof CorruptEntryError)) throw e;
      expect(Buffer.from(m.snapshot()).equals(Buffer.from(before))).toBe(true);
      index--;
      return;
    }
    expect(typeof out.status.code).toBe('number');
    const v = m.invariantViolations();
    if (v.length > 0) throw new Error(`invariants broken after entry ${index}: ${v.join('; ')}`);
  };
  for (const s of plan) {
    if (s.k !== 'tickAtTimer') now += s.dt;
    switch (s.k) {
      case 'cmd':
        if (s.newTerm) term++;
        entry(encodeCmd({ ...s.cmd, stamp: s.stamp === 'now' ? now : s.stamp }));
        break;
      case 'bytes':
        entry(s.bytes);
        break;
      case 'expireOverdue':
        entry(encodePlain({ type: 'expireSessions', sessionIds: m.overdueSessions(now), stamp: now }));
        break;
      case 'tickAtTimer': {
        const at = m.nextTimerAt();
        if (at !== undefined) now = Math.max(now, at);
        entry(encodePlain({ type: 'tick', stamp: now }));
        break;
      }
    }
  }
  return m;
}

/** Random command sequences: apply never throws, invariants hold after every entry, snapshots round-trip. */
export function fuzzStateMachine(runs: number, seed?: number): void {
  fc.assert(
    fc.property(plans, (plan) => {
      const m = runPlan(plan);
      const snap = m.snapshot();
      const twin = new LockStateMachine({ maxClockSkewMs: SKEW });
      twin.restore(snap);
      expect(twin.invariantViolations()).toEqual([]);
      expect(Buffer.from(twin.snapshot()).equals(Buffer.from(snap))).toBe(true);
    }),
    params(runs, seed),
  );
}

const validSnapshot = fc.array(step, { minLength: 1, maxLength: 40, size: 'max' }).map((plan) => runPlan(plan).snapshot());

/** Random and mutated snapshots: a state or SnapshotFormatError, from decode and from restore. */
export function fuzzSnapshotDecoder(runs: number, seed?: number): void {
  fc.assert(
    fc.property(hostileBytes(validSnapshot), (bytes) => {
      try {
        decodeSnapshot(bytes);
      } catch (e) {
        if (e instanceof SnapshotFormatError && e.message !== '') return;
        throw e;
      }
      const m = new LockStateMachine({ maxClockSkewMs: SKEW });
      try {
        m.restore(bytes);
      } catch (e) {
        if (e instanceof SnapshotFormatError) return;
        throw e;
      }
    }),
    params(runs, seed),
  );
}
