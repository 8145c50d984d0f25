import type { MachineContext } from './context';
import type { FenceCheck, HoldRef, LockDescription, LockSummary, SessionView } from './events';
import type { MachineState, Resource, Session } from './model';
import { holdRefs, isOverdue, waitRefs } from './sessions';

/** Read-only views of the state for the server, lockctl and metrics; none of them changes the state. */

export function getSession(st: MachineState, sessionId: string): SessionView | undefined {
  const s = st.sessions.get(sessionId);
  return s === undefined ? undefined : sessionView(st, s);
}

/** Every session, in the order they were opened. */
export function listSessions(st: MachineState): SessionView[] {
  return [...st.sessions.values()].map((s) => sessionView(st, s));
}

/** What a session holds, in token order (for `opened` on resume); undefined if it does not exist. */
export function sessionHolds(st: MachineState, sessionId: string): HoldRef[] | undefined {
  const s = st.sessions.get(sessionId);
  return s === undefined ? undefined : holdRefs(s, st.resources);
}

/** Every resource whose name starts with `prefix`, sorted by name. */
export function listLocks(st: MachineState, prefix: string): LockSummary[] {
  const out: LockSummary[] = [];
  for (const r of st.resources.values()) if (r.name.startsWith(prefix)) out.push(summary(r));
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function describeLock(st: MachineState, name: string): LockDescription | undefined {
  const r = st.resources.get(name);
  if (r === undefined) return undefined;
  const clientName = (id: string): string => st.sessions.get(id)?.clientName ?? '';
  return {
    ...summary(r),
    holders: r.holders.map((h) => ({
      sessionId: h.sessionId,
      clientName: clientName(h.sessionId),
      requestId: h.requestId,
      token: h.token,
      mode: h.mode,
      permits: h.permits,
      grantedAt: h.grantedAt,
      grantIndex: h.grantIndex,
      lockDelayMs: h.lockDelayMs,
    })),
    queue: r.queue.map((w, i) => ({
      position: i + 1,
      sessionId: w.sessionId,
      clientName: clientName(w.sessionId),
      requestId: w.requestId,
      mode: w.mode,
      permits: w.permits,
      priority: w.priority,
      enqueuedAt: w.enqueuedAt,
      deadline: w.deadline,
    })),
  };
}

/**
 * lock.proto `CheckFence`: whether `token` is a current hold of `name`, and the newest token
 * granted on it. A resource is forgotten once idle (no holders, waiters, value or lock-delay),
 * and with it its latest token: for an unknown name the answer is {current: false, latestToken: 0}.
 * Tokens are globally increasing, so `lastToken` bounds every token ever granted.
 */
export function checkFence(st: MachineState, name: string, token: number): FenceCheck {
  const r = st.resources.get(name);
  if (r === undefined) return { current: false, latestToken: 0 };
  return { current: r.holders.some((h) => h.token === token), latestToken: r.latestToken };
}

/** Sessions whose deadline is at or before `now` (leader clock); lowers the scan's skip floor as it goes. */
export function overdueSessions(m: MachineContext, now: number): string[] {
  const ids: string[] = [];
  if (now < m.deadlineFloor) return ids;
  let floor = Infinity;
  for (const s of m.st.sessions.values()) {
    if (isOverdue(s, now)) ids.push(s.id);
    if (s.deadline < floor) floor = s.deadline;
  }
  m.deadlineFloor = floor;
  return ids;
}

/** The earliest session deadline, or undefined with no sessions. */
export function nextSessionDeadline(st: MachineState): number | undefined {
  let next: number | undefined;
  for (const s of st.sessions.values()) if (next === undefined || s.deadline < next) next = s.deadline;
  return next;
}

/** Queued requests now, and the machine time the longest-waiting one was queued (O(waiters)). */
export function waitStats(st: MachineState): { waiters: number; oldestEnqueuedAt: number | undefined } {
  let waiters = 0;
  let oldest: number | undefined;
  for (const r of st.resources.values()) {
    waiters += r.queue.length;
    for (const w of r.queue) if (oldest === undefined || w.enqueuedAt < oldest) oldest = w.enqueuedAt;
  }
  return { waiters, oldestEnqueuedAt: oldest };
}

function sessionView(st: MachineState, s: Session): SessionView {
  return {
    sessionId: s.id,
    clientName: s.clientName,
    ttlMs: s.ttlMs,
    openedAt: s.openedAt,
    lastRenewal: s.lastRenewal,
    deadline: s.deadline,
    holds: holdRefs(s, st.resources),
    waits: waitRefs(s, st.resources),
    ...(s.ownership === undefined ? {} : { ownership: s.ownership }),
  };
}

function summary(r: Resource): LockSummary {
  return {
    name: r.name,
    capacity: r.capacity,
    usedPermits: r.used,
    holderCount: r.holders.length,
    waiterCount: r.queue.length,
    latestToken: r.latestToken,
    valueBytes: r.value.byteLength,
    lockDelayUntil: r.lockDelayUntil,
  };
}
