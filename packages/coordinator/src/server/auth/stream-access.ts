import type { SessionClaim } from '../../state/commands';
import type { SessionView } from '../../state/events';
import { mayResume } from '../../state/sessions';
import { quote } from '../../state/status';
import type { AuditTrail } from '../audit-log';
import { statusError, type StatusError } from '../errors';
import type { AcquireRequest } from '../proto';
import { PERMISSION_DENIED, type AcquireRefusal } from '../validate';
import { ANONYMOUS, type Authorizer } from './authorizer';
import type { CallerCall } from './identity';
import { hashSessionSecret, newSessionSecret } from './session-secret';

/**
 * What an Acquire stream asks of authorization and session ownership (issue 11 §3, §4). The
 * stream's caller was authenticated, and allowed LockService, before its handler ran
 * (service-guard.ts); this answers the per-message questions.
 */
export interface StreamAccess {
  /** PERMISSION_DENIED under the request's id for a lock, release or put of a name the caller may not use. */
  requestRefusal(call: CallerCall, req: AcquireRequest): AcquireRefusal | undefined;
  /** A new session's secret (for `opened`) and what is replicated of it: its hash and the owner. */
  newSession(call: CallerCall): { readonly secret: string; readonly replicated: SessionClaim };
  /**
   * A resume checked against the session as this leader has applied it: the claim to replicate,
   * or a refusal. A session this node does not know is left to the machine, which checks the
   * same claim (and answers NOT_FOUND for an unknown id anyway).
   */
  resume(call: CallerCall, sessionId: string, secret: string, session: SessionView | undefined): { readonly replicated: SessionClaim } | { readonly refusal: StatusError };
}

/** Identities of authenticated calls, set by the service guard before a handler runs. */
export const callIdentities = new WeakMap<object, string>();

/** The identity the guard found for `call`, 'anonymous' when authorization is off. */
export function identityOf(call: object): string {
  return callIdentities.get(call) ?? ANONYMOUS;
}

/** Same words and code (ERR_SESSION_NOT_FOUND) as the machine's answer for an unknown id, so a refusal tells a guesser nothing. */
function sessionNotFound(sessionId: string): StatusError {
  return statusError('ERR_SESSION_NOT_FOUND', `session ${quote(sessionId)} not found (unknown, closed or expired)`);
}

export function createStreamAccess(auth: Authorizer | undefined, audit: AuditTrail): StreamAccess {
  const owner = (call: CallerCall): SessionClaim => (auth === undefined ? {} : { owner: identityOf(call) });
  return {
    requestRefusal(call, req) {
      if (auth === undefined) return undefined;
      const target = req.msg === 'lock' ? req.lock : req.msg === 'release' ? req.release : req.msg === 'put' ? req.put : undefined;
      if (target == null) return undefined;
      const identity = identityOf(call);
      const denied = auth.authorize(identity, { kind: 'lock', action: req.msg ?? 'lock', lockName: target.name });
      if (denied === undefined) return undefined;
      audit.record({ action: 'authorize', identity, remote: call.getPeer(), target: { method: `Acquire.${req.msg ?? ''}`, lock: target.name }, outcome: 'denied', detail: denied.reason });
      return { code: PERMISSION_DENIED, errorCode: 'ERR_PERMISSION_DENIED', field: `${req.msg ?? ''}.name`, message: denied.reason, requestId: target.requestId };
    },
    newSession(call) {
      const secret = newSessionSecret();
      return { secret, replicated: { secretHash: hashSessionSecret(secret), ...owner(call) } };
    },
    resume(call, sessionId, secret, session) {
      const claim: SessionClaim = { secretHash: hashSessionSecret(secret), ...owner(call) };
      if (session === undefined || mayResume(session.ownership, claim)) return { replicated: claim };
      const reason = secret === '' ? 'no session secret' : claim.secretHash !== session.ownership?.secretHash ? 'wrong session secret' : `the session belongs to '${session.ownership?.owner ?? ''}'`;
      audit.record({
        action: 'resume-session', identity: identityOf(call), remote: call.getPeer(), target: { session: sessionId, client: session.clientName }, outcome: 'refused', detail: reason,
      });
      return { refusal: sessionNotFound(sessionId) };
    },
  };
}
