import type { LockDescription, SessionView } from '../../state/events';
import type { Permission } from './policy';
import type { AuditedAction, MethodRule, ServiceRules } from './service-guard';

/** What the rules read of the lock state: a revoke's victims. */
export interface RulesSource {
  readonly sm: { describeLock(name: string): LockDescription | undefined; getSession(sessionId: string): SessionView | undefined };
}

const rule = <Req>(r: MethodRule<Req>): MethodRule<never> => r;
const lockRef = (name: string): string => `lock '${name.slice(0, 128)}'`;

/**
 * LockService: the `client` role (or admin), a client limited to prefixes only on names under
 * them. Acquire is checked again per message on the names it uses (stream-access.ts).
 */
export const LOCK_SERVICE_RULES: ServiceRules = {
  acquire: rule<unknown>({ permission: () => ({ kind: 'lock', action: 'Acquire' }) }),
  checkFence: rule<{ name: string }>({ permission: (req) => ({ kind: 'lock', action: 'CheckFence', lockName: req.name }) }),
};

/**
 * AdminService: reads for `reader` (and admin), the rest for `admin` with an audit line each.
 * CheckConsistency here only answers a state hash, for an admin: the leader's own check and its
 * divergence notices go to the peer port (PeerService, server/peer-service.ts), authenticated by
 * the leader's peer certificate (see docs/architecture.md).
 */
export function adminServiceRules(source: RulesSource): ServiceRules {
  const admin =
    <Req>(action: string, resource: (req: Req) => string) =>
    (req: Req): Permission => ({ kind: 'admin', action, resource: resource(req) });
  const read =
    <Req>(action: string, resource: string | ((req: Req) => string)) =>
    (req: Req): Permission => ({ kind: 'read', action, resource: typeof resource === 'string' ? resource : resource(req) });
  return {
    status: rule({ permission: read('Status', 'the cluster status') }),
    listLocks: rule<{ prefix: string }>({ permission: read('ListLocks', (req: { prefix: string }) => `locks under '${req.prefix.slice(0, 128)}'`) }),
    describeLock: rule<{ name: string }>({ permission: read('DescribeLock', (req: { name: string }) => lockRef(req.name)) }),
    listSessions: rule({ permission: read('ListSessions', 'the sessions') }),
    checkConsistency: rule<{ index: number }>({ permission: admin('CheckConsistency', (req: { index: number }) => `the state hash at index ${req.index}`) }),
    revoke: rule<{ name: string; token: number; reason: string }>({
      permission: admin('Revoke', (req: { name: string; token: number }) => `${lockRef(req.name)}${req.token > 0 ? ` token ${req.token}` : ''}`),
      audit: (req) => revokeAudit(source, req),
    }),
    expireSession: rule<{ sessionId: string }>({
      permission: admin('ExpireSession', (req: { sessionId: string }) => `session '${req.sessionId.slice(0, 64)}'`),
      audit: (req) => ({ action: 'expire-session', target: { session: req.sessionId, client: clientOf(source, req.sessionId) } }),
    }),
    addMember: rule<{ id: string; peerAddress: string; clientAddress: string }>({
      permission: admin('AddMember', (req: { id: string }) => `member '${req.id}'`),
      audit: (req) => ({ action: 'member-add', target: { member: req.id, peerAddress: req.peerAddress, clientAddress: req.clientAddress } }),
    }),
    removeMember: rule<{ id: string }>({
      permission: admin('RemoveMember', (req: { id: string }) => `member '${req.id}'`),
      audit: (req) => ({ action: 'member-remove', target: { member: req.id } }),
    }),
    transferLeader: rule<{ to: string }>({
      permission: admin('TransferLeader', (req: { to: string }) => (req.to === '' ? 'the leadership' : `the leadership to '${req.to}'`)),
      audit: (req) => ({ action: 'transfer-leader', target: { member: req.to === '' ? '(the most caught-up voter)' : req.to } }),
    }),
    snapshot: rule({ permission: admin('Snapshot', () => 'the leader\'s log'), audit: () => ({ action: 'snapshot', target: {} }) }),
    // A backup holds every lock, session and value: admin only, and audited.
    saveSnapshot: rule({ permission: admin('SaveSnapshot', () => 'a copy of the whole lock state'), audit: () => ({ action: 'snapshot-save', target: {} }) }),
    deleteValue: rule<{ name: string }>({
      permission: admin('DeleteValue', (req: { name: string }) => lockRef(req.name)),
      audit: (req) => ({ action: 'delete-value', target: { lock: req.name } }),
    }),
  };
}

/** A revoke names its victims: the holding sessions (and their clients) of the revoked token, or of every hold of the name. */
function revokeAudit(source: RulesSource, req: { name: string; token: number; reason: string }): AuditedAction {
  const holders = (source.sm.describeLock(req.name)?.holders ?? []).filter((h) => req.token === 0 || h.token === req.token);
  return {
    action: 'revoke',
    target: {
      lock: req.name, token: req.token,
      victims: holders.map((h) => ({ session: h.sessionId, client: h.clientName, token: h.token })),
    },
    reason: req.reason === '' ? 'revoked by an administrator' : req.reason,
  };
}

function clientOf(source: RulesSource, sessionId: string): string {
  return source.sm.getSession(sessionId)?.clientName ?? '';
}
