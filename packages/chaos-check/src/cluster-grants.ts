import { type AcquireOperation, type History, type PreparedHistory, prepareHistory } from './history';
import { type CheckResult, type ReportLimits, ViolationSink } from './violation';

/**
 * One grant as the cluster decided it (from the coordinators' audit log): which client's session
 * got which token of which resource. Client names are the history's process names.
 */
export interface ClusterGrant {
  /** The Raft index of the entry that made the grant. */
  readonly index: number;
  readonly resource: string;
  readonly token: number;
  readonly client: string;
  readonly session: string;
}

/** A session's end as the cluster decided it (expired, or closed by its client). */
export interface ClusterSessionEnd {
  /** The Raft index of the entry that ended it. */
  readonly index: number;
  readonly session: string;
  readonly client: string;
}

/** Options of {@link checkClusterGrants}. */
export interface ClusterGrantOptions extends ReportLimits {
  /**
   * Clients whose operations the history does not record (e.g. an availability probe): their
   * grants are neither required to be recorded nor reported.
   */
  readonly unrecordedClients?: readonly string[];
  /** Session ends from the same log: no session may be granted anything after its end. */
  readonly sessionEnds?: readonly ClusterSessionEnd[];
}

/**
 * Cross-checks the client histories against the cluster's own record of its grants, which sees
 * what the histories cannot: a grant nobody asked for is invisible to the window and
 * linearizability checkers unless someone happens to check the fence before the next grant.
 *
 * - `unrequestedGrant`: the cluster granted a token to a client whose history shows no acquire
 *   that could have received it: neither one that returned that token nor one whose outcome is
 *   unknown (each unknown acquire explains at most one grant).
 * - `grantNotDecided`: a client recorded a grant that no coordinator ever applied.
 * - `grantToEndedSession`: a grant in an entry after the one that ended its session (etcd
 *   #11456: a waiter granted without checking that its session is still alive). The client is
 *   usually dead by then, so its unknown acquire would explain the grant to the check above.
 */
export function checkClusterGrants(history: History | PreparedHistory, grants: readonly ClusterGrant[], options: ClusterGrantOptions = {}): CheckResult {
  const h = prepareHistory(history);
  const sink = new ViolationSink(h, 'clusterGrants', options);
  const skip = new Set(options.unrecordedClients ?? []);
  const key = (resource: string, token: number): string => `${resource}\u0000${token}`;

  const decided = new Map<string, ClusterGrant>();
  for (const g of grants) decided.set(key(g.resource, g.token), g);
  for (const g of h.grants) {
    if (decided.has(key(g.resource, g.grant.token))) continue;
    sink.add({
      kind: 'grantNotDecided',
      message: `${g.process} recorded token ${g.grant.token} on ${g.resource}, which no coordinator's log shows granted`,
      resources: [g.resource],
      from: g.start,
      to: g.end,
    });
  }

  const ended = new Map<string, ClusterSessionEnd>();
  for (const e of options.sessionEnds ?? []) {
    const prev = ended.get(e.session);
    if (prev === undefined || e.index < prev.index) ended.set(e.session, e);
  }
  for (const g of grants) {
    const end = ended.get(g.session);
    if (end === undefined || g.index <= end.index) continue;
    const [from, to] = neighbours(h, g.resource, g.token);
    sink.add({
      kind: 'grantToEndedSession',
      message: `the cluster granted token ${g.token} on ${g.resource} (entry ${g.index}) to session ${g.session} of ${g.client === '' ? '(unnamed)' : g.client}, which had ended at entry ${end.index}`,
      resources: [g.resource],
      from,
      to,
    });
  }

  const recorded = new Set(h.grants.map((g) => key(g.resource, g.grant.token)));
  // Unknown acquires per client and resource, each able to explain one unrecorded grant.
  const unknown = new Map<string, AcquireOperation[]>();
  for (const op of h.operations) {
    if (op.f !== 'acquire' || op.outcome !== 'info') continue;
    const k = `${op.process}\u0000${op.resource}`;
    const list = unknown.get(k);
    if (list === undefined) unknown.set(k, [op]);
    else list.push(op);
  }
  const unexplained = [...grants]
    .sort((a, b) => a.index - b.index)
    .filter((g) => !skip.has(g.client) && !recorded.has(key(g.resource, g.token)));
  for (const g of unexplained) {
    const candidates = unknown.get(`${g.client}\u0000${g.resource}`);
    if (candidates !== undefined && candidates.length > 0) {
      candidates.shift();
      continue;
    }
    const [from, to] = neighbours(h, g.resource, g.token);
    sink.add({
      kind: 'unrequestedGrant',
      message:
        `the cluster granted token ${g.token} on ${g.resource} (entry ${g.index}) to session ${g.session} of client ` +
        `${g.client === '' ? '(unnamed)' : g.client}, whose history has no acquire of ${g.resource} that could have received it`,
      resources: [g.resource],
      from,
      to,
    });
  }
  return sink.result();
}

/**
 * Where an unrecorded token sits in the resource's history: from the recorded grant just below
 * it to the first operation that saw a token at or above it (a grant, or a fence check
 * reporting it as the latest).
 */
function neighbours(h: PreparedHistory, resource: string, token: number): [number, number] {
  let from = h.startTime;
  let below = -Infinity;
  let to = h.endTime;
  for (const op of h.byResource.get(resource) ?? []) {
    if (op.f === 'acquire' && op.grant !== undefined) {
      if (op.grant.token < token && op.grant.token > below) [below, from] = [op.grant.token, op.end];
      if (op.grant.token > token) to = Math.min(to, op.start);
    } else if (op.f === 'checkFence' && op.result !== undefined && op.result.latestToken >= token) {
      to = Math.min(to, op.end);
    }
  }
  return [Math.min(from, to), to];
}
