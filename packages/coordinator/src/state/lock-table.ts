import type { LockMode } from './commands';
import { emit, type MachineContext, observe, resourceOf, sessionOf } from './context';
import type { HoldRef } from './events';
import { remember } from './ledger';
import type { Resource, Session, Waiter } from './model';
import { blockingEdges, canGrant, isIdle, removeHold, removeWaiter } from './resources';
import { isOverdue } from './sessions';
import { Code, quote } from './status';
import type { WaitEdge } from './wait-for-graph';

/**
 * The lock table: queues and grants across resources and sessions. A grant, a queued request
 * and a hold are each recorded on both sides (the resource and the session); these functions
 * keep the two sides in step. Fencing tokens are handed out here (see LockStateMachine).
 */

/** What a grant or a queued request asks for. */
export interface LockRequest {
  readonly requestId: number;
  readonly mode: LockMode;
  readonly permits: number;
  readonly units: number;
  readonly lockDelayMs: number;
}

function nextToken(m: MachineContext): number {
  m.st.lastToken = Math.max(m.st.index, m.st.lastToken + 1);
  return m.st.lastToken;
}

export function grant(m: MachineContext, r: Resource, s: Session, req: LockRequest): void {
  const token = nextToken(m);
  r.holders.push({
    sessionId: s.id,
    requestId: req.requestId,
    token,
    mode: req.mode,
    permits: req.permits,
    units: req.units,
    grantedAt: m.st.now,
    grantIndex: m.st.index,
    lockDelayMs: req.lockDelayMs,
  });
  r.used += req.units;
  r.latestToken = token;
  s.holds.set(r.name, token);
  remember(s, req.requestId, { kind: 'granted', name: r.name, token }, m.limits.dedupeWindow);
  emit(m, { type: 'granted', sessionId: s.id, requestId: req.requestId, name: r.name, token, mode: req.mode, permits: req.permits, value: r.value });
}

/** Queues a request at `position` of `r`'s queue (and on its session), with its wait timeout if any. */
export function enqueue(m: MachineContext, r: Resource, s: Session, position: number, req: LockRequest & { priority: number; waitTimeoutMs: number }): void {
  const waiter: Waiter = {
    seq: m.st.nextSeq++,
    sessionId: s.id,
    requestId: req.requestId,
    name: r.name,
    mode: req.mode,
    permits: req.permits,
    units: req.units,
    priority: req.priority,
    enqueuedAt: m.st.now,
    deadline: req.waitTimeoutMs > 0 ? m.st.now + req.waitTimeoutMs : 0,
    lockDelayMs: req.lockDelayMs,
  };
  r.queue.splice(position, 0, waiter);
  s.pending.set(waiter.requestId, waiter);
  s.waiting.set(r.name, waiter);
  if (waiter.deadline > 0) m.timers.push({ at: waiter.deadline, kind: 'wait', waiter });
}

/**
 * Grants from the head of the queue while the head fits, then drops the resource if idle.
 * A head whose session is overdue (its deadline passed with no renewal applied) is not granted:
 * its client can no longer trust a grant, and the next waiter would wait for the expiry plus
 * any lock-delay. The session expires here, as the leader's sweep would have it a moment later,
 * and the queue moves on.
 */
export function settle(m: MachineContext, r: Resource): void {
  for (let head = r.queue[0]; head !== undefined && canGrant(r, head.units, m.st.now); head = r.queue[0]) {
    const s = sessionOf(m, head.sessionId);
    if (isOverdue(s, m.st.now)) {
      expireOverdue(m, s); // leaves this queue (and settles it again)
      continue;
    }
    dropWaiter(r, s, head);
    grant(m, r, s, head);
    observe(m, { type: 'lockAnswered', outcome: 'granted', requestedAt: head.enqueuedAt, waited: true });
  }
  if (isIdle(r, m.st.now) && m.st.resources.get(r.name) === r) m.st.resources.delete(r.name);
}

export function dropWaiter(r: Resource, s: Session, w: Waiter): void {
  removeWaiter(r, w);
  s.pending.delete(w.requestId);
  if (s.waiting.get(w.name) === w) s.waiting.delete(w.name);
}

export function startLockDelay(m: MachineContext, r: Resource, ms: number): void {
  if (ms <= 0) return;
  const until = m.st.now + ms;
  if (until <= r.lockDelayUntil) return;
  r.lockDelayUntil = until;
  m.timers.push({ at: until, kind: 'delay', name: r.name });
}

/** Wait-for edges of a session: for each of its queued requests, the holders that alone block it. */
export function waitEdges(m: MachineContext, sessionId: string): WaitEdge[] {
  const s = m.st.sessions.get(sessionId);
  if (s === undefined) return [];
  const edges: WaitEdge[] = [];
  for (const w of s.pending.values()) edges.push(...blockingEdges(resourceOf(m, w.name), w.units, sessionId));
  return edges;
}

export function expireOverdue(m: MachineContext, s: Session): void {
  const silentMs = m.st.now - s.lastRenewal;
  endSession(m, s, 'expired', `session ${s.id} expired: no keepalive for ${silentMs} ms (ttl ${s.ttlMs} ms)`, 'ttl');
}

/**
 * Ends a session in one step: its holds end (by expiry: holders get `lost` and lock-delays
 * start; by close: plain releases), its queued requests fail with CANCELLED, it and its
 * remembered outcomes are dropped, and then each resource it touched grants to its next waiters.
 */
export function endSession(m: MachineContext, s: Session, how: 'expired' | 'closed', reason: string, cause: 'ttl' | 'admin' = 'ttl'): void {
  const touched = new Set<Resource>();
  const released = endHolds(m, s, how, reason, touched);
  for (const w of [...s.pending.values()]) {
    const r = resourceOf(m, w.name);
    dropWaiter(r, s, w);
    observe(m, { type: 'lockAnswered', outcome: 'session_ended', requestedAt: w.enqueuedAt, waited: true });
    emit(m, {
      type: 'failed',
      sessionId: s.id,
      requestId: w.requestId,
      code: Code.CANCELLED,
      errorCode: 'ERR_CANCELLED',
      message: `request ${w.requestId} for ${quote(w.name)} ended with its session: ${reason}`,
    });
    touched.add(r);
  }
  m.st.sessions.delete(s.id);
  if (how === 'expired') observe(m, { type: 'sessionExpired', cause });
  emit(m, how === 'expired' ? { type: 'sessionExpired', sessionId: s.id, reason } : { type: 'sessionClosed', sessionId: s.id, released });
  for (const r of touched) settle(m, r);
}

/** The holds part of `endSession`: what was released, in token order; adds each resource to `touched`. */
function endHolds(m: MachineContext, s: Session, how: 'expired' | 'closed', reason: string, touched: Set<Resource>): HoldRef[] {
  const released: HoldRef[] = [];
  for (const [name, token] of s.holds) {
    const r = resourceOf(m, name);
    const hold = removeHold(r, token);
    if (hold === undefined) throw new Error(`invariant: session ${s.id} holds ${name} with token ${token} but the resource has no such holder`);
    released.push({ name, token, mode: hold.mode, permits: hold.permits, requestId: hold.requestId });
    observe(m, { type: 'holdEnded', ended: how === 'expired' ? 'session_expired' : 'released', grantedAt: hold.grantedAt });
    if (how === 'expired') {
      startLockDelay(m, r, hold.lockDelayMs);
      emit(m, { type: 'lost', sessionId: s.id, name, token, reason, cause: 'expired' });
    }
    touched.add(r);
  }
  s.holds.clear();
  return released;
}
