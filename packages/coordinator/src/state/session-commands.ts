import type { OpenSessionCommand, ResumeSessionCommand } from './commands';
import { emit, type MachineContext } from './context';
import { endSession, expireOverdue } from './lock-table';
import { holdRefs, isOverdue, mayResume, newSession, ownershipOf, renewSession, waitRefs } from './sessions';
import { ok, refusal, type Status } from './status';
import { checkText, sessionNotFound } from './validate';

/** The session commands: open, resume, renew, expire, close, and an administrator's expiry. */

export function openSession(m: MachineContext, c: OpenSessionCommand): Status {
  const { limits, st } = m;
  const bad =
    checkText('session_id', c.sessionId, limits.maxSessionIdBytes, false) ?? checkText('client_name', c.clientName, limits.maxClientNameBytes, true);
  if (bad !== undefined) return refusal('ERR_INVALID_ARGUMENT', bad);
  if (!Number.isSafeInteger(c.ttlMs) || c.ttlMs < 1 || c.ttlMs > limits.maxTtlMs) {
    return refusal('ERR_INVALID_ARGUMENT', `ttl_ms ${c.ttlMs} is out of bounds (1 to ${limits.maxTtlMs})`);
  }
  if (st.sessions.has(c.sessionId)) return refusal('ERR_SESSION_EXISTS', `session ${c.sessionId} already exists`);
  if (st.sessions.size >= limits.maxSessions) {
    return refusal('ERR_TOO_MANY_SESSIONS', `the cluster has ${st.sessions.size} sessions open; the limit is ${limits.maxSessions} (max_sessions)`);
  }
  const s = newSession(c.sessionId, c.clientName, c.ttlMs, st.now, ownershipOf(c));
  st.sessions.set(s.id, s);
  if (s.deadline < m.deadlineFloor) m.deadlineFloor = s.deadline;
  emit(m, { type: 'sessionOpened', sessionId: s.id, ttlMs: s.ttlMs, resumed: false, holds: [], queued: [], deadline: s.deadline });
  return ok(`session ${s.id} opened`);
}

export function resumeSession(m: MachineContext, c: ResumeSessionCommand): Status {
  const s = m.st.sessions.get(c.sessionId);
  if (s === undefined || !mayResume(s.ownership, c)) return sessionNotFound(c.sessionId);
  renewSession(s, m.st.now);
  emit(m, {
    type: 'sessionOpened',
    sessionId: c.sessionId,
    ttlMs: s.ttlMs,
    resumed: true,
    holds: holdRefs(s, m.st.resources),
    queued: waitRefs(s, m.st.resources),
    deadline: s.deadline,
  });
  return ok(`session ${c.sessionId} resumed`);
}

export function renew(m: MachineContext, sessionIds: readonly string[]): Status {
  const renewed: string[] = [];
  const notFound: string[] = [];
  for (const id of distinct(sessionIds)) {
    const s = m.st.sessions.get(id);
    if (s === undefined) notFound.push(id);
    else {
      renewSession(s, m.st.now);
      renewed.push(id);
    }
  }
  emit(m, { type: 'renewed', sessionIds: renewed, notFound });
  return ok(`renewed ${renewed.length} sessions, ${notFound.length} not found`);
}

/**
 * `ids` without repeats, in order of first appearance. The leader proposes its renew batches
 * sorted and distinct, so the common case is a check of the order, without hashing each id into
 * a set on every member.
 */
function distinct(ids: readonly string[]): Iterable<string> {
  for (let i = 1; i < ids.length; i++) if ((ids[i - 1] as string) >= (ids[i] as string)) return new Set(ids);
  return ids;
}

/** Expires the candidates whose deadline has passed at `now`; a renewal applied earlier wins. */
export function expireSessions(m: MachineContext, sessionIds: readonly string[]): Status {
  let expired = 0;
  let alive = 0;
  let missing = 0;
  for (const id of new Set(sessionIds)) {
    const s = m.st.sessions.get(id);
    if (s === undefined) missing++;
    else if (!isOverdue(s, m.st.now)) alive++;
    else {
      expired++;
      expireOverdue(m, s);
    }
  }
  return ok(`expired ${expired} sessions; ${alive} renewed in time, ${missing} not found`);
}

export function closeSession(m: MachineContext, sessionId: string): Status {
  const s = m.st.sessions.get(sessionId);
  if (s === undefined) return sessionNotFound(sessionId);
  endSession(m, s, 'closed', `session ${sessionId} closed`);
  return ok(`session ${sessionId} closed`);
}

export function adminExpireSession(m: MachineContext, sessionId: string): Status {
  const s = m.st.sessions.get(sessionId);
  if (s === undefined) return sessionNotFound(sessionId);
  endSession(m, s, 'expired', `session ${sessionId} expired by an administrator`, 'admin');
  return ok(`session ${sessionId} expired`);
}
