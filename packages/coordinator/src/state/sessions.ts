import type { SessionClaim } from './commands';
import type { HoldRef, WaitRef } from './events';
import type { Resource, Session, SessionOwnership } from './model';

export function newSession(id: string, clientName: string, ttlMs: number, now: number, ownership?: SessionOwnership): Session {
  return {
    id,
    clientName,
    ttlMs,
    openedAt: now,
    lastRenewal: now,
    deadline: now + ttlMs,
    holds: new Map(),
    pending: new Map(),
    waiting: new Map(),
    done: new Map(),
    ...(ownership === undefined ? {} : { ownership }),
  };
}

/** The ownership an open records: none when the opener's entry carried no secret hash (older entries). */
export function ownershipOf(claim: SessionClaim): SessionOwnership | undefined {
  return claim.secretHash === undefined ? undefined : { secretHash: claim.secretHash, owner: claim.owner ?? '' };
}

/**
 * Whether a resume's claim matches the session's owner: the same secret hash and, when both the
 * session was opened and is resumed with authorization on, the same identity. A session without
 * ownership (opened before sessions had owners) may be resumed by its id alone, as before.
 */
export function mayResume(ownership: SessionOwnership | undefined, claim: SessionClaim): boolean {
  if (ownership === undefined) return true;
  if (claim.secretHash !== ownership.secretHash) return false;
  return ownership.owner === '' || claim.owner === undefined || claim.owner === ownership.owner;
}

/** A keepalive applied at `now`. The deadline never moves earlier (a skew shift may have pushed it past now + TTL). */
export function renewSession(session: Session, now: number): void {
  session.lastRenewal = now;
  session.deadline = Math.max(session.deadline, now + session.ttlMs);
}

/** Whether the session's lease has run out at `now` (a deadline equal to now has run out). */
export function isOverdue(session: Session, now: number): boolean {
  return session.deadline <= now;
}

/** The session's holds in token order. */
export function holdRefs(session: Session, resources: ReadonlyMap<string, Resource>): HoldRef[] {
  const refs: HoldRef[] = [];
  for (const [name, token] of session.holds) {
    const hold = resources.get(name)?.holders.find((h) => h.token === token);
    if (hold !== undefined) refs.push({ name, token, mode: hold.mode, permits: hold.permits, requestId: hold.requestId });
  }
  return refs;
}

/** The session's queued requests in the order they were made, with their current positions. */
export function waitRefs(session: Session, resources: ReadonlyMap<string, Resource>): WaitRef[] {
  const refs: WaitRef[] = [];
  for (const waiter of session.pending.values()) {
    const queue = resources.get(waiter.name)?.queue ?? [];
    refs.push({ requestId: waiter.requestId, name: waiter.name, position: queue.indexOf(waiter) + 1 });
  }
  return refs;
}
