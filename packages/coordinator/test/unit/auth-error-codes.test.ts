/**
 * The refusals of authorization carry codes of the wire catalogue (@quorumlock/proto error-codes):
 * UNAUTHENTICATED with ERR_UNAUTHENTICATED, PERMISSION_DENIED with ERR_PERMISSION_DENIED (in the
 * x-lock-error-code trailer, or in RequestFailed.error_code on an Acquire stream), and a refused
 * resume with the very status an unknown session gets from the machine (ERR_SESSION_NOT_FOUND).
 */
import * as grpc from '@grpc/grpc-js';
import { ERROR_CODE_METADATA_KEY, grpcStatusOf } from '@quorumlock/proto';
import { AuditTrail } from '../../src/server/audit-log';
import { Authorizer } from '../../src/server/auth/authorizer';
import type { CallerCall, Credential } from '../../src/server/auth/identity';
import { parsePolicy } from '../../src/server/auth/policy';
import { hashSessionSecret } from '../../src/server/auth/session-secret';
import { callIdentities, createStreamAccess } from '../../src/server/auth/stream-access';
import type { SessionView } from '../../src/state/events';
import { Driver } from './harness';

const policy = parsePolicy('bindings:\n  - identity: alice\n    roles: [admin]\n  - identity: orders\n    roles: [client]\n    prefixes: [orders/]\n', 'policy.yaml');
const tokens = new Map([['token-of-orders-0000', 'orders']]);
const credentialOf = (c: Credential) => (): Credential => c;
const call = (): CallerCall => ({ metadata: new grpc.Metadata(), getAuthContext: () => ({}), getPeer: () => '127.0.0.1:5555' });
const trailerOf = (md: grpc.Metadata): unknown[] => md.get(ERROR_CODE_METADATA_KEY);
const quietAudit = new AuditTrail({ info: () => undefined });

test('no identity, or an unknown token: UNAUTHENTICATED with ERR_UNAUTHENTICATED', () => {
  for (const c of [{ kind: 'none' }, { kind: 'bearer', token: 'nobody-knows-this-one' }] as const) {
    const a = new Authorizer({ current: policy }, { current: tokens }, credentialOf(c)).authenticate(call());
    if (a.ok) throw new Error(`${c.kind} authenticated`);
    expect([a.error.code, trailerOf(a.error.metadata)]).toEqual([grpc.status.UNAUTHENTICATED, ['ERR_UNAUTHENTICATED']]);
    expect(a.error.code).toBe(grpcStatusOf('ERR_UNAUTHENTICATED'));
  }
});

test('a call the role does not allow: PERMISSION_DENIED with ERR_PERMISSION_DENIED', () => {
  const auth = new Authorizer({ current: policy }, { current: tokens });
  const denied = auth.authorize('orders', { kind: 'admin', action: 'Revoke', resource: "lock 'orders/1'" });
  expect([denied?.error.code, trailerOf(denied?.error.metadata ?? new grpc.Metadata())]).toEqual([grpc.status.PERMISSION_DENIED, ['ERR_PERMISSION_DENIED']]);
  expect(auth.authorize('alice', { kind: 'admin', action: 'Revoke', resource: "lock 'orders/1'" })).toBeUndefined();
});

test('a lock outside the prefixes is refused under its request id with ERR_PERMISSION_DENIED', () => {
  const access = createStreamAccess(new Authorizer({ current: policy }, { current: tokens }), quietAudit);
  const c = call();
  callIdentities.set(c, 'orders');
  const lock = { requestId: 7, name: 'billing/1', capacity: 1, mode: 'EXCLUSIVE' as const, waitTimeoutMs: 0, tryOnly: false, lockDelayMs: 0, permits: 1, priority: 0 };
  const r = access.requestRefusal(c, { msg: 'lock', lock, open: null, release: null, keepalive: null, close: null, cancel: null, put: null });
  expect(r).toMatchObject({ code: grpc.status.PERMISSION_DENIED, errorCode: 'ERR_PERMISSION_DENIED', requestId: 7, field: 'lock.name' });
  expect(access.requestRefusal(c, { msg: 'lock', lock: { ...lock, name: 'orders/1' }, open: null, release: null, keepalive: null, close: null, cancel: null, put: null })).toBeUndefined();
});

test("a refused resume has the machine's status for an unknown session: same code, same words, same trailer", () => {
  const access = createStreamAccess(undefined, quietAudit);
  const session: SessionView = {
    sessionId: 's1', clientName: 'w', ttlMs: 10_000, openedAt: 0, lastRenewal: 0, deadline: 10_000, holds: [], waits: [], ownership: { secretHash: hashSessionSecret('the-right-secret'), owner: '' },
  };
  const refused = access.resume(call(), 's1', 'a-wrong-secret', session);
  if (!('refusal' in refused)) throw new Error('a wrong secret resumed the session');
  const unknown = new Driver().run({ type: 'resumeSession', sessionId: 's1' }).status;
  expect([refused.refusal.code, refused.refusal.details, trailerOf(refused.refusal.metadata)]).toEqual([unknown.code, unknown.message, [unknown.errorCode]]);
  expect(unknown.errorCode).toBe('ERR_SESSION_NOT_FOUND');
});
