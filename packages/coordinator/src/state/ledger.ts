import { emit, type MachineContext, resourceOf } from './context';
import type { Outcome, Session } from './model';
import { type Failure, type MachineErrorCode, ok, quote, refusal, type Status } from './status';

/**
 * The ledger of answers: each session remembers the outcome of its finished requests (up to
 * `dedupeWindow`, oldest forgotten first), so that a request resent with the same id gets its
 * first answer again instead of running twice.
 */

/** Remembers a finished request's outcome, forgetting the oldest ones beyond `window`. */
export function remember(session: Session, requestId: number, outcome: Outcome, window: number): void {
  session.done.set(requestId, outcome);
  while (session.done.size > window) {
    const oldest = session.done.keys().next();
    if (oldest.done === true) break;
    session.done.delete(oldest.value);
  }
}

/** Records a finished request's outcome (for resends) and emits the matching event. */
export function answer(m: MachineContext, s: Session, requestId: number, outcome: Outcome): void {
  remember(s, requestId, outcome, m.limits.dedupeWindow);
  emitOutcome(m, s, requestId, outcome);
}

function emitOutcome(m: MachineContext, s: Session, requestId: number, o: Outcome): void {
  switch (o.kind) {
    case 'failed':
      emit(m, { type: 'failed', sessionId: s.id, requestId, code: o.code, message: o.message, errorCode: o.errorCode });
      return;
    case 'released':
      emit(m, { type: 'released', sessionId: s.id, requestId, name: o.name, token: o.token });
      return;
    case 'valuePut':
      emit(m, { type: 'valuePut', sessionId: s.id, requestId, name: o.name, token: o.token });
      return;
    case 'granted':
      replayGrant(m, s, requestId, o.name, o.token);
      return;
  }
}

/** Fails a request of a known session: the failure is remembered, answered, and returned. */
export function fail(m: MachineContext, s: Session, requestId: number, errorCode: MachineErrorCode, message: string): Status {
  const failure = refusal(errorCode, message);
  answer(m, s, requestId, { kind: 'failed', code: failure.code, message, errorCode });
  return failure;
}

/** A failure that cannot be remembered (no session, or no usable request id). */
export function failUnrecorded(m: MachineContext, sessionId: string, requestId: number, result: Failure): Status {
  emit(m, { type: 'failed', sessionId, requestId, code: result.code, message: result.message, errorCode: result.errorCode });
  return result;
}

/**
 * The answer to a request id the session has used before, or undefined for a new one: a queued
 * request gets `queued` with its current position; a finished one gets its first answer again.
 */
export function replay(m: MachineContext, s: Session, requestId: number): Status | undefined {
  const waiter = s.pending.get(requestId);
  if (waiter !== undefined) {
    const position = resourceOf(m, waiter.name).queue.indexOf(waiter) + 1;
    emit(m, { type: 'queued', sessionId: s.id, requestId, name: waiter.name, position });
    return ok(`request ${requestId} is queued on ${quote(waiter.name)} at position ${position}`);
  }
  const outcome = s.done.get(requestId);
  if (outcome === undefined) return undefined;
  if (outcome.kind === 'granted') return replayGrant(m, s, requestId, outcome.name, outcome.token);
  emitOutcome(m, s, requestId, outcome);
  return outcome.kind === 'failed' ? refusal(outcome.errorCode, outcome.message) : ok(`request ${requestId} answered before`);
}

/**
 * A grant answered again: `granted` with the same token (and the current value) while the hold
 * lasts. Once it has ended the first answer would mislead, so the resend fails instead: never
 * a second grant.
 */
export function replayGrant(m: MachineContext, s: Session, requestId: number, name: string, token: number): Status {
  const r = m.st.resources.get(name);
  const hold = s.holds.get(name) === token ? r?.holders.find((h) => h.token === token) : undefined;
  if (r === undefined || hold === undefined) {
    const message = `request ${requestId} was granted ${quote(name)} with token ${token}, which is no longer held`;
    const stale = refusal('ERR_STALE_TOKEN', message);
    emit(m, { type: 'failed', sessionId: s.id, requestId, code: stale.code, message, errorCode: stale.errorCode });
    return stale;
  }
  emit(m, { type: 'granted', sessionId: s.id, requestId, name, token, mode: hold.mode, permits: hold.permits, value: r.value });
  return ok(`granted ${quote(name)}`);
}

/** The token of the session's current hold that `requestId` was granted, if any (its outcome may be forgotten). */
export function holdOfRequest(m: MachineContext, s: Session, requestId: number): number | undefined {
  for (const [name, token] of s.holds) {
    if (m.st.resources.get(name)?.holders.find((h) => h.token === token)?.requestId === requestId) return token;
  }
  return undefined;
}
