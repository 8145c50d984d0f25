import type { LockMode } from './commands';
import { emptyState, type Hold, type MachineState, type Outcome, type Resource, type Session, type Waiter } from './model';
import { K } from './snapshot-keys';
import { EMPTY_VALUE } from './resources';
import { newSession } from './sessions';
import { linkSessions, outcome } from './snapshot-parts';

/**
 * The fast way to decode a snapshot: read the bytes `writeSnapshot` writes (the canonical layout:
 * every map a map16 with its keys in the written order, integers in the forms Packr writes,
 * ASCII or valid UTF-8 strings) straight into the state, without Packr's plain objects. A
 * follower installs a leader's snapshot on its event loop, between heartbeats.
 * Anything else, including anything the reference decoder (snapshot.ts) would refuse, gives null:
 * the caller then decodes with the reference decoder, which accepts or refuses it with its message.
 * So for canonical bytes both give the same state, and for other bytes this changes nothing.
 */
export function tryReadSnapshot(data: Uint8Array, version: number): MachineState | null {
  try {
    return readSnapshot(new Reader(data), version);
  } catch {
    return null;
  }
}

/** Bytes off the canonical layout: not an error, a reason to use the reference decoder. */
class OffLayout extends Error {}
const OFF = new OffLayout('off the canonical layout');

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

class Reader {
  pos = 0;
  private readonly view: DataView;
  /** The same bytes as a Buffer, whose latin1 slices make flat strings of ASCII bytes in one native call. */
  private readonly latin1: Buffer;

  constructor(private readonly b: Uint8Array) {
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.latin1 = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  }

  done(): boolean {
    return this.pos === this.b.length;
  }

  private byte(): number {
    const v = this.b[this.pos++];
    if (v === undefined) throw OFF;
    return v;
  }

  private need(n: number): void {
    if (this.pos + n > this.b.length) throw OFF;
  }

  /** A map16 header of exactly `size` entries. */
  map(size: number): void {
    if (this.byte() !== 0xde || this.byte() !== size >> 8 || this.byte() !== (size & 0xff)) throw OFF;
  }

  /** A map16 header of one of two sizes; answers which. */
  mapOf(a: number, b: number): number {
    if (this.byte() !== 0xde) throw OFF;
    const size = (this.byte() << 8) | this.byte();
    if (size !== a && size !== b) throw OFF;
    return size;
  }

  array(): number {
    const t = this.byte();
    if ((t & 0xf0) === 0x90) return t & 0x0f;
    if (t === 0xdc) return (this.byte() << 8) | this.byte();
    if (t === 0xdd) {
      this.need(4);
      const n = this.view.getUint32(this.pos);
      this.pos += 4;
      return n;
    }
    throw OFF;
  }

  key(encoded: Uint8Array): void {
    const b = this.b;
    const n = encoded.length;
    this.need(n);
    for (let i = 0; i < n; i++) if (b[this.pos + i] !== encoded[i]) throw OFF;
    this.pos += n;
  }

  /** A number in one of the forms Packr writes. */
  number(): number {
    const t = this.byte();
    if (t < 0x80) return t;
    if (t >= 0xe0) return t - 0x100;
    const p = this.pos;
    let v: number;
    switch (t) {
      case 0xcc:
        return this.byte();
      case 0xcd:
        this.need(2);
        v = this.view.getUint16(p);
        break;
      case 0xce:
        this.need(4);
        v = this.view.getUint32(p);
        break;
      case 0xd0:
        this.need(1);
        v = this.view.getInt8(p);
        break;
      case 0xd1:
        this.need(2);
        v = this.view.getInt16(p);
        break;
      case 0xd2:
        this.need(4);
        v = this.view.getInt32(p);
        break;
      case 0xcb:
        this.need(8);
        v = this.view.getFloat64(p);
        break;
      default:
        throw OFF;
    }
    this.pos = p + (t === 0xcb ? 8 : t === 0xd0 ? 1 : t === 0xcd || t === 0xd1 ? 2 : 4);
    return v;
  }

  int(): number {
    const v = this.number();
    if (!Number.isSafeInteger(v)) throw OFF;
    return v;
  }

  isString(): boolean {
    const t = this.b[this.pos];
    return t !== undefined && ((t & 0xe0) === 0xa0 || t === 0xd9 || t === 0xda || t === 0xdb);
  }

  string(): string {
    const t = this.byte();
    let n: number;
    if ((t & 0xe0) === 0xa0) n = t & 0x1f;
    else if (t === 0xd9) n = this.byte();
    else if (t === 0xda) n = (this.byte() << 8) | this.byte();
    else if (t === 0xdb) {
      this.need(4);
      n = this.view.getUint32(this.pos);
      this.pos += 4;
    } else throw OFF;
    this.need(n);
    const b = this.b;
    const start = this.pos;
    const end = start + n;
    this.pos = end;
    let i = start;
    while (i < end && (b[i] as number) < 0x80) i++;
    if (i === end) return this.latin1.toString('latin1', start, end);
    // Valid UTF-8 decodes the same everywhere; invalid bytes or a leading BOM are left to the reference decoder.
    const s = utf8.decode(b.subarray(start, end));
    if (s.charCodeAt(0) === 0xfeff) throw OFF;
    return s;
  }

  /** Scalars of an outcome: a string or a number. */
  scalar(): string | number {
    return this.isString() ? this.string() : this.number();
  }

  binary(): Uint8Array {
    const t = this.byte();
    let n: number;
    if (t === 0xc4) n = this.byte();
    else if (t === 0xc5) n = (this.byte() << 8) | this.byte();
    else if (t === 0xc6) {
      this.need(4);
      n = this.view.getUint32(this.pos);
      this.pos += 4;
    } else throw OFF;
    this.need(n);
    if (n === 0) return EMPTY_VALUE;
    // A copy, as the reference decoder keeps: the state must not hold on to the snapshot's buffer.
    const v = new Uint8Array(this.b.subarray(this.pos, this.pos + n));
    this.pos += n;
    return v;
  }

  mode(): LockMode {
    const m = this.string();
    if (m !== 'exclusive' && m !== 'shared') throw OFF;
    return m;
  }
}


function readSnapshot(r: Reader, version: number): MachineState {
  r.map(8);
  r.key(K.v);
  if (r.int() !== version) throw OFF;
  const state = emptyState();
  r.key(K.index);
  state.index = r.int();
  r.key(K.term);
  state.term = r.int();
  r.key(K.now);
  state.now = r.int();
  r.key(K.lastToken);
  state.lastToken = r.int();
  r.key(K.nextSeq);
  state.nextSeq = r.int();
  r.key(K.sessions);
  for (let n = r.array(); n > 0; n--) {
    const s = readSession(r);
    state.sessions.set(s.id, s);
  }
  r.key(K.resources);
  const holds: { name: string; hold: Hold }[] = [];
  const waiters: Waiter[] = [];
  for (let n = r.array(); n > 0; n--) {
    const res = readResource(r);
    for (const hold of res.holders) holds.push({ name: res.name, hold });
    for (const w of res.queue) waiters.push(w);
    state.resources.set(res.name, res);
  }
  if (!r.done()) throw OFF;
  linkSessions(state, holds, waiters);
  return state;
}

function readSession(r: Reader): Session {
  const size = r.mapOf(7, 9);
  r.key(K.id);
  const id = r.string();
  r.key(K.clientName);
  const clientName = r.string();
  r.key(K.ttlMs);
  const ttlMs = r.int();
  r.key(K.openedAt);
  const openedAt = r.int();
  r.key(K.lastRenewal);
  const lastRenewal = r.int();
  r.key(K.deadline);
  const deadline = r.int();
  r.key(K.done);
  // The outcomes come before the ownership the session is made with: kept until then.
  const doneIds: number[] = [];
  const doneOutcomes: Outcome[] = [];
  for (let n = r.array(); n > 0; n--) {
    const len = r.array();
    if (len !== 4 && len !== 5) throw OFF;
    doneIds.push(r.number());
    const kind = r.scalar();
    const a = r.scalar();
    const b = r.scalar();
    doneOutcomes.push(outcome(kind, a, b, len === 5 ? r.scalar() : undefined));
  }
  let ownership: { secretHash: string; owner: string } | undefined;
  if (size === 9) {
    r.key(K.secretHash);
    const secretHash = r.string();
    r.key(K.owner);
    ownership = { secretHash, owner: r.string() };
  }
  const s = newSession(id, clientName, ttlMs, openedAt, ownership);
  s.lastRenewal = lastRenewal;
  s.deadline = deadline;
  for (let i = 0; i < doneIds.length; i++) s.done.set(doneIds[i] as number, doneOutcomes[i] as Outcome);
  return s;
}

function readResource(r: Reader): Resource {
  r.map(7);
  r.key(K.name);
  const name = r.string();
  r.key(K.capacity);
  const capacity = r.int();
  r.key(K.value);
  const value = r.binary();
  r.key(K.latestToken);
  const latestToken = r.int();
  r.key(K.lockDelayUntil);
  const lockDelayUntil = r.int();
  const res: Resource = { name, capacity, holders: [], queue: [], used: 0, value, latestToken, lockDelayUntil };
  r.key(K.holders);
  for (let n = r.array(); n > 0; n--) {
    const hold = readHold(r);
    res.holders.push(hold);
    res.used += hold.units;
  }
  r.key(K.queue);
  for (let n = r.array(); n > 0; n--) res.queue.push(readWaiter(r, name));
  return res;
}

function readHold(r: Reader): Hold {
  r.map(9);
  r.key(K.sessionId);
  const sessionId = r.string();
  r.key(K.requestId);
  const requestId = r.int();
  r.key(K.token);
  const token = r.int();
  r.key(K.mode);
  const mode = r.mode();
  r.key(K.permits);
  const permits = r.int();
  r.key(K.units);
  const units = r.int();
  r.key(K.grantedAt);
  const grantedAt = r.int();
  r.key(K.grantIndex);
  const grantIndex = r.int();
  r.key(K.lockDelayMs);
  return { sessionId, requestId, token, mode, permits, units, grantedAt, grantIndex, lockDelayMs: r.int() };
}

function readWaiter(r: Reader, name: string): Waiter {
  r.map(10);
  r.key(K.seq);
  const seq = r.int();
  r.key(K.sessionId);
  const sessionId = r.string();
  r.key(K.requestId);
  const requestId = r.int();
  r.key(K.mode);
  const mode = r.mode();
  r.key(K.permits);
  const permits = r.int();
  r.key(K.units);
  const units = r.int();
  r.key(K.priority);
  const priority = r.int();
  r.key(K.enqueuedAt);
  const enqueuedAt = r.int();
  r.key(K.deadline);
  const deadline = r.int();
  r.key(K.lockDelayMs);
  return { seq, sessionId, requestId, name, mode, permits, units, priority, enqueuedAt, deadline, lockDelayMs: r.int() };
}
