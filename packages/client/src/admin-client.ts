/**
 * AdminClient: the operator API (AdminService) as plain async methods, used by lockctl. Every
 * call follows leader redirects except `status`, which any node answers from its own view (so an
 * operator can look at a cluster that has no leader).
 */
import { resolveBackoff, type BackoffOptions } from './backoff';
import { authInterceptors, type CallAuthOptions, ChannelPool, credentialsFor, parseEndpoints, type TlsOptions } from './channels';
import { realClock, type Clock } from './clock';
import { InvalidArgumentError } from './errors';
import type { LockMode } from './lease';
import { silentLogger, type Logger } from './logger';
import { assembleSnapshot, type DownloadedSnapshot } from './snapshot-download';
import { UnaryCaller, type UnaryCallOptions } from './unary';
import { wire, type AdminMethods, type ConsistencyAlarmMsg, type HolderInfoMsg, type LockInfoMsg, type MemberStatusMsg, type SessionInfoMsg, type StatusResponseMsg, type WaiterInfoMsg } from './wire';

export interface AdminClientOptions extends CallAuthOptions {
  readonly endpoints: readonly string[] | string;
  readonly tls?: boolean | TlsOptions | undefined;
  /**
   * Dial another address than the one a node advertises (an endpoint or a redirect target):
   * `{ '10.0.0.1:6001': '127.0.0.1:16001' }` for a cluster reached through NAT or a proxy.
   */
  readonly dialMap?: Readonly<Record<string, string>> | undefined;
  /** Retry backoff for unreachable nodes (defaults as in LockClient: 50 ms .. 2 s, 30 s budget). */
  readonly backoff?: BackoffOptions | undefined;
  /** Per-attempt deadline. Default 5000 ms. */
  readonly callDeadlineMs?: number | undefined;
  readonly logger?: Logger | undefined;
  readonly clock?: Clock | undefined;
  readonly random?: (() => number) | undefined;
}

export type { DownloadedSnapshot } from './snapshot-download';
export type MemberStatus = MemberStatusMsg;
export type ClusterStatus = StatusResponseMsg;
export type SessionInfo = SessionInfoMsg;

export interface HolderInfo extends Omit<HolderInfoMsg, 'mode'> {
  readonly mode: LockMode;
}
export interface WaiterInfo extends Omit<WaiterInfoMsg, 'mode'> {
  readonly mode: LockMode;
}
export interface LockInfo extends Omit<LockInfoMsg, 'holders' | 'waiters'> {
  readonly holders: readonly HolderInfo[];
  readonly waiters: readonly WaiterInfo[];
}
export interface RevokedHold {
  readonly name: string;
  readonly token: number;
  readonly mode: LockMode;
}

/** Per-call options. */
export interface AdminCallOptions {
  readonly signal?: AbortSignal | undefined;
  readonly deadlineMs?: number | undefined;
}

function mode(m: string): LockMode {
  return m === 'SHARED' ? 'shared' : 'exclusive';
}

function lockInfo(l: LockInfoMsg): LockInfo {
  return {
    ...l,
    holders: l.holders.map((h) => ({ ...h, mode: mode(h.mode) })),
    waiters: l.waiters.map((w) => ({ ...w, mode: mode(w.mode) })),
  };
}

export class AdminClient {
  readonly endpoints: readonly string[];
  private readonly pool: ChannelPool;
  private readonly unary: UnaryCaller;

  constructor(options: AdminClientOptions) {
    this.endpoints = parseEndpoints(options.endpoints);
    let backoff: BackoffOptions;
    try {
      backoff = resolveBackoff(options.backoff);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
    this.pool = new ChannelPool(credentialsFor(options.tls), options.dialMap, authInterceptors(options));
    wire();
    this.unary = new UnaryCaller({
      endpoints: this.endpoints,
      pool: this.pool,
      backoff,
      clock: options.clock ?? realClock,
      random: options.random ?? Math.random,
      logger: options.logger ?? silentLogger,
      deadlineMs: options.callDeadlineMs ?? 5000,
      context: 'admin',
    });
  }

  /** The node that answered the last redirect-following call (the leader, as far as we know). */
  get knownLeader(): string | undefined {
    return this.unary.knownLeader;
  }

  /**
   * Cluster status from one node's point of view (any node answers; `target` picks one).
   * For the leader's view, call it on the leader's address (`leaderStatus`).
   */
  status(options: AdminCallOptions & { readonly target?: string | undefined } = {}): Promise<ClusterStatus> {
    return this.call('Status', {}, { ...callOptions(options), followRedirect: false, ...(options.target === undefined ? {} : { target: options.target }) });
  }

  /**
   * Status as the leader sees it (roles, match indexes): asks any node, then the leader it names.
   */
  async leaderStatus(options: AdminCallOptions = {}): Promise<ClusterStatus> {
    const first = await this.status(options);
    const leader = first.members.find((m) => m.id === first.leaderId);
    if (leader === undefined || leader.id === first.answeredBy || leader.clientAddress === '') return first;
    try {
      return await this.call('Status', {}, { ...callOptions(options), followRedirect: false, target: leader.clientAddress, singleAttempt: true });
    } catch {
      return first; // the leader is unreachable from here: the first view is still informative
    }
  }

  /**
   * Status as node `address` (a client address) sees it itself: one attempt, no retries and no
   * redirects, so a node that is down fails fast instead of being answered for by another.
   */
  memberStatus(address: string, options: AdminCallOptions = {}): Promise<ClusterStatus> {
    return this.call('Status', {}, { ...callOptions(options), followRedirect: false, target: address, singleAttempt: true });
  }

  /**
   * The leader's view (`leaderStatus`) with every other member's term, commit and applied index
   * and role as that member reports them (the leader only knows their match index). A member
   * that does not answer is shown with role `unreachable`.
   */
  async clusterStatus(options: AdminCallOptions = {}): Promise<ClusterStatus> {
    const s = await this.leaderStatus(options);
    // Alarms as the leader and every member know them: a divergent member knows its own.
    const alarms = new Map<string, ConsistencyAlarmMsg>();
    const addAlarms = (list: readonly ConsistencyAlarmMsg[] | undefined): void => {
      for (const a of list ?? []) if (!alarms.has(a.nodeId)) alarms.set(a.nodeId, a);
    };
    addAlarms(s.alarms);
    const members = await Promise.all(
      s.members.map(async (m): Promise<MemberStatus> => {
        if (m.id === s.answeredBy || m.clientAddress === '') return m;
        try {
          const own = await this.memberStatus(m.clientAddress, { deadlineMs: 1000, ...callOptions(options) });
          addAlarms(own.alarms);
          const me = own.members.find((x) => x.id === m.id);
          if (own.answeredBy !== m.id || me === undefined) return m;
          return { ...m, role: me.role || m.role, term: me.term, commitIndex: me.commitIndex, appliedIndex: me.appliedIndex };
        } catch {
          return { ...m, role: 'unreachable' };
        }
      }),
    );
    return { ...s, members, alarms: [...alarms.values()] };
  }

  async listLocks(options: AdminCallOptions & { readonly prefix?: string | undefined; readonly limit?: number | undefined } = {}): Promise<LockInfo[]> {
    const res = await this.call('ListLocks', { prefix: options.prefix ?? '', limit: options.limit ?? 0 }, callOptions(options));
    return res.locks.map(lockInfo);
  }

  async describeLock(name: string, options: AdminCallOptions = {}): Promise<LockInfo> {
    return lockInfo(await this.call('DescribeLock', { name }, callOptions(options)));
  }

  async listSessions(options: AdminCallOptions = {}): Promise<SessionInfo[]> {
    return [...(await this.call('ListSessions', {}, callOptions(options))).sessions];
  }

  /** Revokes every hold of `name`, or only `token`. Holders get `lost` with `reason`. */
  async revoke(name: string, options: AdminCallOptions & { readonly token?: number | undefined; readonly reason?: string | undefined } = {}): Promise<RevokedHold[]> {
    const res = await this.call('Revoke', { name, token: options.token ?? 0, reason: options.reason ?? '' }, callOptions(options));
    return res.revoked.map((h) => ({ name: h.name, token: h.token, mode: mode(h.mode) }));
  }

  /** Drops the fenced value of `name` (frees value quota); the resource goes too when otherwise idle. */
  async deleteValue(name: string, options: AdminCallOptions = {}): Promise<{ freedBytes: number; resourceDeleted: boolean }> {
    const res = await this.call('DeleteValue', { name }, callOptions(options));
    return { freedBytes: res.freedBytes, resourceDeleted: res.resourceDeleted };
  }

  /** Expires a session now; returns how many holds it released. */
  async expireSession(sessionId: string, options: AdminCallOptions = {}): Promise<number> {
    return (await this.call('ExpireSession', { sessionId }, callOptions(options))).released;
  }

  /**
   * Adds node `id` as a learner and resolves once it caught up and was promoted to voter. The
   * server waits up to 30 s for the catch-up, so the per-attempt deadline defaults to 40 s
   * (a shorter one would give up, and a retry would then find the node already a learner).
   */
  async addMember(id: string, peerAddress: string, clientAddress: string, options: AdminCallOptions = {}): Promise<MemberStatus[]> {
    return [...(await this.call('AddMember', { id, peerAddress, clientAddress }, { deadlineMs: 40_000, ...callOptions(options) })).members];
  }

  async removeMember(id: string, options: AdminCallOptions = {}): Promise<MemberStatus[]> {
    return [...(await this.call('RemoveMember', { id }, callOptions(options))).members];
  }

  /** Moves leadership to `to`, or to the most caught-up voter; returns the new leader's id. */
  async transferLeader(to = '', options: AdminCallOptions = {}): Promise<string> {
    return (await this.call('TransferLeader', { to }, callOptions(options))).leaderId;
  }

  /** Makes the leader take a snapshot now (and compact its log). */
  async snapshot(options: AdminCallOptions = {}): Promise<{ index: number; bytes: number }> {
    const res = await this.call('Snapshot', {}, { deadlineMs: 30_000, ...callOptions(options) });
    return { index: res.index, bytes: res.bytes };
  }

  /**
   * Downloads a consistent snapshot of the whole lock state from the leader (AdminService
   * SaveSnapshot), checking its size and SHA-256 against what the leader announced. Held in
   * memory; `lockctl snapshot save` writes it to a file.
   */
  async saveSnapshot(options: AdminCallOptions = {}): Promise<DownloadedSnapshot> {
    const chunks = await this.unary.collect(wire().saveSnapshot, {}, { deadlineMs: 300_000, ...callOptions(options) });
    return assembleSnapshot(chunks);
  }

  close(): void {
    this.pool.close();
  }

  private call<K extends keyof AdminMethods>(method: K, request: AdminMethods[K][0], options: UnaryCallOptions): Promise<AdminMethods[K][1]> {
    const codec = wire().admin[method];
    return this.unary.call(codec, request, NOT_IDEMPOTENT.has(method) ? { ...options, idempotent: false } : options);
  }
}

/**
 * Calls whose second run can do something the first did not (revoke every holder of a lock
 * again, now including a new one; move leadership twice), so a timed-out attempt is not retried.
 */
const NOT_IDEMPOTENT: ReadonlySet<keyof AdminMethods> = new Set<keyof AdminMethods>(['Revoke', 'ExpireSession', 'DeleteValue', 'AddMember', 'RemoveMember', 'TransferLeader']);

function callOptions(o: AdminCallOptions): UnaryCallOptions {
  return { ...(o.signal === undefined ? {} : { signal: o.signal }), ...(o.deadlineMs === undefined ? {} : { deadlineMs: o.deadlineMs }) };
}
