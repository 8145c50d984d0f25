import type { MachineState, Resource, Session } from './model';
import { MsgpackWriter } from './msgpack-writer';
import { K } from './snapshot-keys';

/**
 * The snapshot bytes of snapshot.ts's format, written straight from the state: the same bytes as
 * Packr gives for the plain structure `plainSnapshot` builds (same fields, same order), without
 * building it. A snapshot of 50,000 sessions is taken on the leader's event loop, between
 * heartbeats, so a plain object per session and per outcome cost more than the election can wait.
 * Throws NotWritable for a value Packr would encode otherwise (the caller then uses Packr).
 */


export function writeSnapshot(state: MachineState, version: number): Uint8Array {
  // About 300 bytes per session (id, owner hash, a few outcomes); the writer grows when short.
  const w = new MsgpackWriter(4096 + state.sessions.size * 320 + state.resources.size * 160);
  w.map(8);
  field(w, K.v, version);
  field(w, K.index, state.index);
  field(w, K.term, state.term);
  field(w, K.now, state.now);
  field(w, K.lastToken, state.lastToken);
  field(w, K.nextSeq, state.nextSeq);
  w.key(K.sessions);
  w.array(state.sessions.size);
  for (const s of state.sessions.values()) writeSession(w, s);
  w.key(K.resources);
  w.array(state.resources.size);
  for (const r of state.resources.values()) writeResource(w, r);
  return w.bytes();
}

function field(w: MsgpackWriter, key: Uint8Array, v: unknown): void {
  w.key(key);
  w.value(v);
}

function writeSession(w: MsgpackWriter, s: Session): void {
  const ownership = s.ownership;
  w.map(ownership === undefined ? 7 : 9);
  field(w, K.id, s.id);
  field(w, K.clientName, s.clientName);
  field(w, K.ttlMs, s.ttlMs);
  field(w, K.openedAt, s.openedAt);
  field(w, K.lastRenewal, s.lastRenewal);
  field(w, K.deadline, s.deadline);
  w.key(K.done);
  w.array(s.done.size);
  for (const [requestId, o] of s.done) {
    if (o.kind === 'failed') {
      w.array(5);
      w.value(requestId);
      w.value(o.kind);
      w.value(o.code);
      w.value(o.message);
      w.value(o.errorCode);
    } else {
      w.array(4);
      w.value(requestId);
      w.value(o.kind);
      w.value(o.name);
      w.value(o.token);
    }
  }
  if (ownership !== undefined) {
    field(w, K.secretHash, ownership.secretHash);
    field(w, K.owner, ownership.owner);
  }
}

function writeResource(w: MsgpackWriter, r: Resource): void {
  w.map(7);
  field(w, K.name, r.name);
  field(w, K.capacity, r.capacity);
  field(w, K.value, r.value);
  field(w, K.latestToken, r.latestToken);
  field(w, K.lockDelayUntil, r.lockDelayUntil);
  w.key(K.holders);
  w.array(r.holders.length);
  for (const h of r.holders) {
    w.map(9);
    field(w, K.sessionId, h.sessionId);
    field(w, K.requestId, h.requestId);
    field(w, K.token, h.token);
    field(w, K.mode, h.mode);
    field(w, K.permits, h.permits);
    field(w, K.units, h.units);
    field(w, K.grantedAt, h.grantedAt);
    field(w, K.grantIndex, h.grantIndex);
    field(w, K.lockDelayMs, h.lockDelayMs);
  }
  w.key(K.queue);
  w.array(r.queue.length);
  for (const q of r.queue) {
    w.map(10);
    field(w, K.seq, q.seq);
    field(w, K.sessionId, q.sessionId);
    field(w, K.requestId, q.requestId);
    field(w, K.mode, q.mode);
    field(w, K.permits, q.permits);
    field(w, K.units, q.units);
    field(w, K.priority, q.priority);
    field(w, K.enqueuedAt, q.enqueuedAt);
    field(w, K.deadline, q.deadline);
    field(w, K.lockDelayMs, q.lockDelayMs);
  }
}
