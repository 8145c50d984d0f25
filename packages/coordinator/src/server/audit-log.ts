import type { Logger } from 'pino';
import type { ApplyOutput, LockEvent, SessionView } from '../state/events';

/** What the audit log needs of a Replica. */
export interface AuditSource {
  on(event: 'applied', listener: (out: ApplyOutput) => void): unknown;
  isLeader(): boolean;
  readonly sm: { getSession(sessionId: string): SessionView | undefined };
}

/**
 * The lock machine's decisions as log lines, so that an operator (or the fault suite) can answer
 * "who held this lock with token N, and when did that session end?" from the logs alone.
 *
 * A session's expiry (by TTL or by an administrator) and an administrator's revoke are logged at
 * `info` by the leader only (one line per cluster, as Consul logs an invalidated session), with
 * their target and reason; the rest of the lifecycle (opened, granted, released, lost, closed)
 * is logged at `debug` by every node, each line with the Raft index that decided it, so lines
 * from several nodes' logs deduplicate by `index`. Nothing is subscribed when neither level is
 * enabled, so a quiet server pays nothing.
 */
export function attachAuditLog(replica: AuditSource, logger: Logger): void {
  const debug = logger.isLevelEnabled('debug');
  if (!debug && !logger.isLevelEnabled('info')) return;
  // A session's client name is gone from the machine once the session ended, so remember it
  // from the first event that names the session while it still exists.
  const names = new Map<string, string>();
  const nameOf = (sessionId: string): string => {
    let name = names.get(sessionId);
    if (name !== undefined) return name;
    const session = replica.sm.getSession(sessionId);
    if (session === undefined) return '';
    names.set(sessionId, session.clientName);
    return session.clientName;
  };
  replica.on('applied', (out) => {
    // A revoke entry ends holds only by revoking them; an admin expiry ends one session.
    const revoke = out.observations?.some((o) => o.type === 'holdEnded' && o.ended === 'revoked') ?? false;
    const byAdmin = out.observations?.some((o) => o.type === 'sessionExpired' && o.cause === 'admin') ?? false;
    for (const e of out.events) {
      const line = describe(e, out.index, nameOf, revoke, byAdmin);
      if (line === undefined) continue;
      if (e.type === 'sessionExpired' || (e.type === 'lost' && revoke)) {
        if (replica.isLeader()) logger.info(line.fields, line.msg);
        else if (debug) logger.debug(line.fields, line.msg);
      } else if (debug) {
        logger.debug(line.fields, line.msg);
      }
      if (e.type === 'sessionExpired' || e.type === 'sessionClosed') names.delete(e.sessionId);
    }
  });
}

interface AuditLine {
  readonly fields: Record<string, unknown>;
  readonly msg: string;
}

function describe(e: LockEvent, index: number, nameOf: (sessionId: string) => string, revoke: boolean, byAdmin: boolean): AuditLine | undefined {
  switch (e.type) {
    case 'sessionOpened':
      return {
        fields: { index, session: e.sessionId, client: nameOf(e.sessionId), ttlMs: e.ttlMs, resumed: e.resumed },
        msg: e.resumed ? 'session resumed' : 'session opened',
      };
    case 'granted':
      return {
        fields: { index, session: e.sessionId, client: nameOf(e.sessionId), request: e.requestId, lock: e.name, token: e.token, mode: e.mode, permits: e.permits },
        msg: 'lock granted',
      };
    case 'released':
      return { fields: { index, session: e.sessionId, client: nameOf(e.sessionId), request: e.requestId, lock: e.name, token: e.token }, msg: 'lock released' };
    case 'lost':
      return {
        fields: { index, session: e.sessionId, client: nameOf(e.sessionId), lock: e.name, token: e.token, reason: e.reason },
        msg: revoke ? 'hold revoked' : 'hold ended',
      };
    case 'sessionExpired':
      return {
        fields: { index, session: e.sessionId, client: nameOf(e.sessionId), reason: e.reason, cause: byAdmin ? 'admin' : 'ttl' },
        msg: 'session expired',
      };
    case 'sessionClosed':
      return {
        fields: { index, session: e.sessionId, client: nameOf(e.sessionId), released: e.released.map((h) => `${h.name}#${h.token}`) },
        msg: 'session closed',
      };
    default:
      // Queue positions, failures, values and renewals are answers to one client, not changes of
      // ownership; the client sees them.
      return undefined;
  }
}

/** How an audited event ended: done, failed (an error from the cluster), or refused (why in `outcome`). */
export type AuditOutcome = 'ok' | 'failed' | 'unauthenticated' | 'denied' | 'refused';

/**
 * One audited event (issue 11 §5): an admin action, or a caller refused. `target` names what it
 * was aimed at (lock name and token, session id and client name, member id) as log fields.
 */
export interface AuditRecord {
  readonly action: string;
  /** The caller's identity; 'anonymous' without credentials or with authorization off. */
  readonly identity: string;
  /** The caller's address as grpc-js reports it (`ipv4:127.0.0.1:53122`). */
  readonly remote: string;
  readonly target: Readonly<Record<string, unknown>>;
  /** The reason the caller gave (a revoke's reason), if any. */
  readonly reason?: string;
  readonly outcome: AuditOutcome;
  /** Why it was refused or failed. */
  readonly detail?: string;
}

/**
 * The audit trail: every record at `info` on the node that served the call (so a refused caller
 * is logged wherever it knocked), with `audit: true` to filter on, and counted in
 * quorumlock_audit_events_total{action,outcome}.
 */
export class AuditTrail {
  constructor(
    private readonly logger: { info(fields: Record<string, unknown>, msg: string): void },
    private readonly counter?: { inc(labels: { action: string; outcome: string }): void },
  ) {}

  record(r: AuditRecord): void {
    this.counter?.inc({ action: r.action, outcome: r.outcome });
    const fields = {
      audit: true, action: r.action, identity: r.identity, remote: r.remote, ...r.target,
      ...(r.reason === undefined ? {} : { reason: r.reason }), outcome: r.outcome, ...(r.detail === undefined ? {} : { detail: r.detail }),
    };
    this.logger.info(fields, `audit: ${r.action} by ${r.identity}: ${r.outcome}`);
  }
}
