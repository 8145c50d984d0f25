import { decodePlain, encodePlain } from './codec';
import type { LockMode } from './commands';
import { emptyState, type Hold, type MachineState, type Resource, type Session, type Waiter } from './model';
import { EMPTY_VALUE } from './resources';
import { NotWritable } from './msgpack-writer';
import { newSession } from './sessions';
import { writeSnapshot } from './snapshot-write';
import { linkSessions, outcome, SnapshotFormatError } from './snapshot-parts';
import { tryReadSnapshot } from './snapshot-read';

export { SnapshotFormatError } from './snapshot-parts';

/**
 * Snapshot format, version 1: msgpack of one plain structure whose objects are always built
 * field by field in the order below, with no Maps and no undefined, so that equal states give
 * equal bytes. Sessions and resources are listed in their Map order and restored in it, so a
 * restored machine iterates exactly like the one that took the snapshot. What can be derived is
 * left out and rebuilt: a session's holds (from the holders, in token order = grant order), its
 * queued requests (from the queues, in seq order = enqueue order) and the timer heap.
 */
export const SNAPSHOT_VERSION = 1;

interface PlainHold {
  sessionId: string;
  requestId: number;
  token: number;
  mode: LockMode;
  permits: number;
  units: number;
  grantedAt: number;
  grantIndex: number;
  lockDelayMs: number;
}

interface PlainWaiter {
  seq: number;
  sessionId: string;
  requestId: number;
  mode: LockMode;
  permits: number;
  units: number;
  priority: number;
  enqueuedAt: number;
  deadline: number;
  lockDelayMs: number;
}

interface PlainResource {
  name: string;
  capacity: number;
  value: Uint8Array;
  latestToken: number;
  lockDelayUntil: number;
  holders: PlainHold[];
  queue: PlainWaiter[];
}

/**
 * [requestId, 'granted' | 'released' | 'valuePut', name, token] or
 * [requestId, 'failed', code, message, errorCode] (snapshots taken before error codes have no errorCode).
 */
type PlainOutcome = [number, string, string | number, number | string] | [number, 'failed', number, string, string];

interface PlainSession {
  id: string;
  clientName: string;
  ttlMs: number;
  openedAt: number;
  lastRenewal: number;
  deadline: number;
  done: PlainOutcome[];
  /** Issue 11; left out for sessions without an owner, so their snapshots stay as before. */
  secretHash?: string;
  owner?: string;
}

export interface PlainSnapshot {
  v: number;
  index: number;
  term: number;
  now: number;
  lastToken: number;
  nextSeq: number;
  sessions: PlainSession[];
  resources: PlainResource[];
}

export function encodeSnapshot(state: MachineState): Uint8Array {
  try {
    return writeSnapshot(state, SNAPSHOT_VERSION);
  } catch (err) {
    if (!(err instanceof NotWritable)) throw err;
    return encodePlain(plainSnapshot(state));
  }
}

/**
 * The plain structure whose Packr encoding is the snapshot: `writeSnapshot` writes the same bytes
 * without building it, and falls back to it for a value it does not write like Packr.
 */
export function plainSnapshot(state: MachineState): PlainSnapshot {
  return {
    v: SNAPSHOT_VERSION,
    index: state.index,
    term: state.term,
    now: state.now,
    lastToken: state.lastToken,
    nextSeq: state.nextSeq,
    sessions: [...state.sessions.values()].map(plainSession),
    resources: [...state.resources.values()].map(plainResource),
  };
}

function plainSession(s: Session): PlainSession {
  const done: PlainOutcome[] = [];
  for (const [requestId, o] of s.done) {
    done.push(o.kind === 'failed' ? [requestId, o.kind, o.code, o.message, o.errorCode] : [requestId, o.kind, o.name, o.token]);
  }
  return {
    id: s.id,
    clientName: s.clientName,
    ttlMs: s.ttlMs,
    openedAt: s.openedAt,
    lastRenewal: s.lastRenewal,
    deadline: s.deadline,
    done,
    ...(s.ownership === undefined ? {} : { secretHash: s.ownership.secretHash, owner: s.ownership.owner }),
  };
}

function plainResource(r: Resource): PlainResource {
  return {
    name: r.name,
    capacity: r.capacity,
    value: r.value,
    latestToken: r.latestToken,
    lockDelayUntil: r.lockDelayUntil,
    holders: r.holders.map((h) => ({
      sessionId: h.sessionId,
      requestId: h.requestId,
      token: h.token,
      mode: h.mode,
      permits: h.permits,
      units: h.units,
      grantedAt: h.grantedAt,
      grantIndex: h.grantIndex,
      lockDelayMs: h.lockDelayMs,
    })),
    queue: r.queue.map((w) => ({
      seq: w.seq,
      sessionId: w.sessionId,
      requestId: w.requestId,
      mode: w.mode,
      permits: w.permits,
      units: w.units,
      priority: w.priority,
      enqueuedAt: w.enqueuedAt,
      deadline: w.deadline,
      lockDelayMs: w.lockDelayMs,
    })),
  };
}

type Obj = Record<string, unknown>;

function obj(v: unknown, what: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SnapshotFormatError(`${what} is not a map`);
  return v as Obj;
}
function arr(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new SnapshotFormatError(`${what} is not a list`);
  return v;
}
function int(o: Obj, key: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new SnapshotFormatError(`field ${key} is not an integer`);
  return v;
}
function text(o: Obj, key: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new SnapshotFormatError(`field ${key} is not a string`);
  return v;
}
function lockMode(o: Obj): LockMode {
  const v = o['mode'];
  if (v !== 'exclusive' && v !== 'shared') throw new SnapshotFormatError(`field mode is ${String(v)}`);
  return v;
}

/** Rebuilds the state from `encodeSnapshot` bytes (taken on any replica). */
export function decodeSnapshot(data: Uint8Array): MachineState {
  return tryReadSnapshot(data, SNAPSHOT_VERSION) ?? decodeSnapshotWithPackr(data);
}

/**
 * The reference decoder: Packr, then a check of every field. `tryReadSnapshot` reads canonical
 * bytes to the same state faster, and leaves every other input to this one.
 */
export function decodeSnapshotWithPackr(data: Uint8Array): MachineState {
  let decoded: unknown;
  try {
    decoded = decodePlain(data);
  } catch (err) {
    throw new SnapshotFormatError(`undecodable snapshot: ${err instanceof Error ? err.message : String(err)}`);
  }
  const top = obj(decoded, 'snapshot');
  if (top['v'] !== SNAPSHOT_VERSION) throw new SnapshotFormatError(`snapshot version ${String(top['v'])} is not ${SNAPSHOT_VERSION}`);
  const state = emptyState();
  state.index = int(top, 'index');
  state.term = int(top, 'term');
  state.now = int(top, 'now');
  state.lastToken = int(top, 'lastToken');
  state.nextSeq = int(top, 'nextSeq');

  for (const raw of arr(top['sessions'], 'sessions')) {
    const s = decodeSession(raw);
    state.sessions.set(s.id, s);
  }

  const holds: { name: string; hold: Hold }[] = [];
  const waiters: Waiter[] = [];
  for (const raw of arr(top['resources'], 'resources')) {
    const r = decodeResource(raw);
    for (const hold of r.holders) holds.push({ name: r.name, hold });
    waiters.push(...r.queue);
    state.resources.set(r.name, r);
  }

  linkSessions(state, holds, waiters);
  return state;
}

/** A session with its remembered outcomes (its holds and waits come from the resources). */
function decodeSession(raw: unknown): Session {
  const p = obj(raw, 'session');
  const ownership = p['secretHash'] === undefined ? undefined : { secretHash: text(p, 'secretHash'), owner: text(p, 'owner') };
  const s = newSession(text(p, 'id'), text(p, 'clientName'), int(p, 'ttlMs'), int(p, 'openedAt'), ownership);
  s.lastRenewal = int(p, 'lastRenewal');
  s.deadline = int(p, 'deadline');
  for (const rawOutcome of arr(p['done'], 'done')) {
    const [requestId, kind, a, b, errorCode] = arr(rawOutcome, 'outcome');
    if (typeof requestId !== 'number') throw new SnapshotFormatError('outcome request id is not a number');
    s.done.set(requestId, outcome(kind, a, b, errorCode));
  }
  return s;
}

function decodeResource(raw: unknown): Resource {
  const p = obj(raw, 'resource');
  const value = p['value'];
  if (!(value instanceof Uint8Array)) throw new SnapshotFormatError('field value is not bytes');
  const r: Resource = {
    name: text(p, 'name'),
    capacity: int(p, 'capacity'),
    holders: [],
    queue: [],
    used: 0,
    value: value.length === 0 ? EMPTY_VALUE : new Uint8Array(value),
    latestToken: int(p, 'latestToken'),
    lockDelayUntil: int(p, 'lockDelayUntil'),
  };
  for (const rawHold of arr(p['holders'], 'holders')) {
    const hold = decodeHold(rawHold);
    r.holders.push(hold);
    r.used += hold.units;
  }
  for (const rawWaiter of arr(p['queue'], 'queue')) r.queue.push(decodeWaiter(rawWaiter, r.name));
  return r;
}

function decodeHold(raw: unknown): Hold {
  const h = obj(raw, 'holder');
  return {
    sessionId: text(h, 'sessionId'),
    requestId: int(h, 'requestId'),
    token: int(h, 'token'),
    mode: lockMode(h),
    permits: int(h, 'permits'),
    units: int(h, 'units'),
    grantedAt: int(h, 'grantedAt'),
    grantIndex: int(h, 'grantIndex'),
    lockDelayMs: int(h, 'lockDelayMs'),
  };
}

function decodeWaiter(raw: unknown, name: string): Waiter {
  const w = obj(raw, 'waiter');
  return {
    seq: int(w, 'seq'),
    sessionId: text(w, 'sessionId'),
    requestId: int(w, 'requestId'),
    name,
    mode: lockMode(w),
    permits: int(w, 'permits'),
    units: int(w, 'units'),
    priority: int(w, 'priority'),
    enqueuedAt: int(w, 'enqueuedAt'),
    deadline: int(w, 'deadline'),
    lockDelayMs: int(w, 'lockDelayMs'),
  };
}
