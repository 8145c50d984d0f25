import type { CancelCommand, LockCommand, PutCommand, ReleaseCommand } from './commands';
import { emit, type MachineContext, observe, resourceOf } from './context';
import { answer, fail, failUnrecorded, holdOfRequest, replay, replayGrant } from './ledger';
import { dropWaiter, enqueue, grant, settle, waitEdges } from './lock-table';
import type { Session } from './model';
import { blockingEdges, canGrant, describeBusy, EMPTY_VALUE, newResource, queuePosition, removeHold, unitsFor } from './resources';
import { Code, ok, quote, type Status } from './status';
import { checkHold, checkName, checkRequestId, checkToken, sessionNotFound, validateLock } from './validate';
import { describeCycle, findCycle } from './wait-for-graph';

/** The requests of a session: lock, release, put (a fenced value) and cancel. */

/** A lock request answered without a grant or a place in a queue (for the lock metrics). */
function refused(m: MachineContext, result: Status, outcome: 'refused' | 'deadlock' = 'refused'): Status {
  observe(m, { type: 'lockAnswered', outcome, requestedAt: m.st.now, waited: false });
  return result;
}

export function lock(m: MachineContext, c: LockCommand): Status {
  const s = m.st.sessions.get(c.sessionId);
  if (s === undefined) return refused(m, failUnrecorded(m, c.sessionId, c.requestId, sessionNotFound(c.sessionId)));
  const badId = checkRequestId(c.requestId);
  if (badId !== undefined) return refused(m, failUnrecorded(m, s.id, c.requestId, badId));
  return replay(m, s, c.requestId) ?? checkLock(m, s, c) ?? grantOrQueue(m, s, c);
}

/**
 * What keeps a new lock request from being granted or queued, as its answer: invalid values,
 * another capacity, a hold or wait of the session on the same name, or the session's and the
 * cluster's limits. Undefined when it may go on.
 */
function checkLock(m: MachineContext, s: Session, c: LockCommand): Status | undefined {
  const { limits, st } = m;
  const invalid = validateLock(limits, c);
  if (invalid !== undefined) return refused(m, fail(m, s, c.requestId, 'ERR_INVALID_ARGUMENT', invalid));
  const capacity = Math.max(1, c.capacity);
  const name = c.name;
  const existing = st.resources.get(name);
  if (existing !== undefined && existing.capacity !== capacity) {
    return refused(m, fail(m, s, c.requestId, 'ERR_CAPACITY_MISMATCH', `capacity ${c.capacity} requested for ${quote(name)}, which has capacity ${existing.capacity}`));
  }
  const heldToken = s.holds.get(name);
  if (heldToken !== undefined) {
    const hold = existing?.holders.find((h) => h.token === heldToken);
    // The same request again after its outcome was forgotten: still the same grant.
    if (hold !== undefined && hold.requestId === c.requestId) return replayGrant(m, s, c.requestId, name, heldToken);
    return refused(m, fail(m, s, c.requestId, 'ERR_ALREADY_HELD', `session ${s.id} already holds ${quote(name)} (token ${heldToken})`));
  }
  const waiting = s.waiting.get(name);
  if (waiting !== undefined) {
    return refused(m, fail(m, s, c.requestId, 'ERR_ALREADY_WAITING', `session ${s.id} is already waiting for ${quote(name)} (request ${waiting.requestId})`));
  }
  if (s.holds.size + s.pending.size >= limits.maxHoldsPerSession) {
    return fail(m, s, c.requestId, 'ERR_TOO_MANY_HOLDS',
      `session ${s.id} has ${s.holds.size} holds and ${s.pending.size} queued requests; the limit is ${limits.maxHoldsPerSession} (max_holds_per_session)`);
  }
  if (existing === undefined && st.resources.size >= limits.maxResources) {
    return fail(m, s, c.requestId, 'ERR_TOO_MANY_LOCKS', `${quote(name)} would be resource ${st.resources.size + 1}; the limit is ${limits.maxResources} (max_resources)`);
  }
  return undefined;
}

/** A checked lock request: granted now, refused (try-only, full queue, deadlock), or queued. */
function grantOrQueue(m: MachineContext, s: Session, c: LockCommand): Status {
  const { st } = m;
  const capacity = Math.max(1, c.capacity);
  const permits = Math.max(1, c.permits);
  const name = c.name;
  const existing = st.resources.get(name);
  const units = unitsFor(capacity, c.mode, permits);
  const r = existing ?? newResource(name, capacity);
  const position = queuePosition(r.queue, c.priority);
  const req = { requestId: c.requestId, mode: c.mode, permits, units, lockDelayMs: c.lockDelayMs };
  if (position === 0 && canGrant(r, units, st.now)) {
    if (existing === undefined) st.resources.set(name, r);
    grant(m, r, s, req);
    observe(m, { type: 'lockAnswered', outcome: 'granted', requestedAt: st.now, waited: false });
    return ok(`granted ${quote(name)}`);
  }
  // Not grantable now, so the resource exists (a new one is always grantable).
  if (c.tryOnly) return refused(m, fail(m, s, c.requestId, 'ERR_LOCK_HELD', describeBusy(r, st.now)));
  if (r.queue.length >= m.limits.maxQueueLength) {
    return refused(m, fail(m, s, c.requestId, 'ERR_QUEUE_FULL', `the queue of ${quote(name)} is full (${r.queue.length} waiting; the limit is ${m.limits.maxQueueLength})`));
  }
  const cycle = findCycle(s.id, blockingEdges(r, units, s.id), (id) => waitEdges(m, id));
  if (cycle !== undefined) return refused(m, fail(m, s, c.requestId, 'ERR_DEADLOCK', describeCycle(cycle)), 'deadlock');

  enqueue(m, r, s, position, { ...req, priority: c.priority, waitTimeoutMs: c.waitTimeoutMs });
  observe(m, { type: 'lockQueued', requestedAt: st.now });
  emit(m, { type: 'queued', sessionId: s.id, requestId: c.requestId, name, position: position + 1 });
  return ok(`queued on ${quote(name)} at position ${position + 1}`);
}

/**
 * What a release and a put check first: the session, the request id, a replay of an earlier
 * answer, then name and token. Returns the session to go on with, or the answer.
 */
function tokenRequest(m: MachineContext, c: { sessionId: string; requestId: number; name: string; token: number }): Session | Status {
  const s = m.st.sessions.get(c.sessionId);
  if (s === undefined) return failUnrecorded(m, c.sessionId, c.requestId, sessionNotFound(c.sessionId));
  const badId = checkRequestId(c.requestId);
  if (badId !== undefined) return failUnrecorded(m, s.id, c.requestId, badId);
  const replayed = replay(m, s, c.requestId);
  if (replayed !== undefined) return replayed;
  const invalid = checkName(m.limits, c.name) ?? checkToken(c.token);
  if (invalid !== undefined) return fail(m, s, c.requestId, 'ERR_INVALID_ARGUMENT', invalid);
  return s;
}

export function release(m: MachineContext, c: ReleaseCommand): Status {
  const s = tokenRequest(m, c);
  if ('code' in s) return s;
  const stale = checkHold(s, c.name, c.token);
  if (stale !== undefined) return fail(m, s, c.requestId, 'ERR_NOT_HOLDER', stale);

  const r = resourceOf(m, c.name);
  const hold = removeHold(r, c.token);
  if (hold !== undefined) observe(m, { type: 'holdEnded', ended: 'released', grantedAt: hold.grantedAt });
  s.holds.delete(c.name);
  answer(m, s, c.requestId, { kind: 'released', name: c.name, token: c.token });
  settle(m, r);
  return ok(`released ${quote(c.name)} (token ${c.token})`);
}

export function put(m: MachineContext, c: PutCommand): Status {
  const { limits } = m;
  const s = tokenRequest(m, c);
  if ('code' in s) return s;
  if (!(c.value instanceof Uint8Array)) return fail(m, s, c.requestId, 'ERR_INVALID_ARGUMENT', 'value is not bytes');
  if (c.value.byteLength > limits.maxValueBytes) {
    return fail(m, s, c.requestId, 'ERR_VALUE_TOO_LARGE', `value for ${quote(c.name)} is ${c.value.byteLength} bytes; the limit is ${limits.maxValueBytes}`);
  }
  const stale = checkHold(s, c.name, c.token);
  if (stale !== undefined) return fail(m, s, c.requestId, 'ERR_NOT_HOLDER', stale);

  const r = resourceOf(m, c.name);
  const grows = c.value.byteLength - r.value.byteLength;
  if (grows > 0 && m.valueBytes + grows > limits.maxTotalValueBytes) {
    return fail(
      m,
      s,
      c.requestId,
      'ERR_QUOTA',
      `value quota: values take ${m.valueBytes} bytes and ${quote(c.name)} would add ${grows}; the limit is ${limits.maxTotalValueBytes} (quota_value_bytes); free space with delete-value`,
    );
  }
  m.valueBytes += grows;
  // Copy: decoded values are views into the entry's bytes.
  r.value = c.value.byteLength === 0 ? EMPTY_VALUE : new Uint8Array(c.value);
  answer(m, s, c.requestId, { kind: 'valuePut', name: c.name, token: c.token });
  return ok(`value of ${quote(c.name)} set (${c.value.byteLength} bytes)`);
}

/**
 * Cancels a queued lock request (`requestId` is the lock's id): it leaves its queue and is
 * answered with `failed` CANCELLED. A request already answered is left alone (no event). An id
 * the session has never used is remembered as cancelled, so a lock request with that id that
 * arrives later fails the same way instead of being granted behind the client's back.
 */
export function cancel(m: MachineContext, c: CancelCommand): Status {
  const s = m.st.sessions.get(c.sessionId);
  if (s === undefined) return failUnrecorded(m, c.sessionId, c.requestId, sessionNotFound(c.sessionId));
  const badId = checkRequestId(c.requestId);
  if (badId !== undefined) return failUnrecorded(m, s.id, c.requestId, badId);
  const waiter = s.pending.get(c.requestId);
  if (waiter !== undefined) {
    const r = resourceOf(m, waiter.name);
    dropWaiter(r, s, waiter);
    observe(m, { type: 'lockAnswered', outcome: 'cancelled', requestedAt: waiter.enqueuedAt, waited: true });
    answer(m, s, c.requestId, { kind: 'failed', code: Code.CANCELLED, errorCode: 'ERR_CANCELLED', message: `request ${c.requestId} for ${quote(waiter.name)} was cancelled` });
    settle(m, r);
    return ok(`request ${c.requestId} cancelled`);
  }
  if (s.done.has(c.requestId) || holdOfRequest(m, s, c.requestId) !== undefined) {
    return ok(`request ${c.requestId} was already answered`);
  }
  answer(m, s, c.requestId, { kind: 'failed', code: Code.CANCELLED, errorCode: 'ERR_CANCELLED', message: `request ${c.requestId} was cancelled before it was queued` });
  return ok(`request ${c.requestId} cancelled before it arrived`);
}
