import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { processLoopMonitor } from './server/loop-monitor';
import type { RaftObserver } from '@quorumlock/raft';

/** One member's replication as the leader sees it. */
export interface PeerProbe {
  readonly id: string;
  /** Entries the member is behind the leader's last index. */
  readonly lagEntries: number;
  /** Messages queued in this node's transport for it (not yet written to its stream). */
  readonly queuedMessages: number;
}

/** Values read from the replica when Prometheus scrapes, so no timer pays for them. */
export interface MetricsProbe {
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly isLeader: boolean;
  /** A leader is known (this node or another). */
  readonly hasLeader: boolean;
  readonly voters: number;
  readonly learners: number;
  /** On the leader: voters (itself included) it is replicating to normally; 0 elsewhere. */
  readonly votersInContact: number;
  readonly sessions: number;
  /** Bytes of every fenced value together, and the value quota they count against. */
  readonly valueBytes: number;
  readonly valueQuotaBytes: number;
  readonly resources: number;
  /** On the leader: queued lock requests now, and how long the oldest has waited; 0 elsewhere. */
  readonly waiters: number;
  readonly longestWaitSeconds: number;
  /** On the leader: one entry per other member; empty elsewhere. */
  readonly peers: readonly PeerProbe[];
  /** Messages the Raft transport dropped since start. */
  readonly transportDropped: number;
}

/** Outcome of a lock request (label of quorumlock_acquire_wait_seconds). */
export type AcquireOutcome = 'granted' | 'timeout' | 'cancelled' | 'deadlock' | 'refused' | 'session_ended';
export const ACQUIRE_OUTCOMES: readonly AcquireOutcome[] = ['granted', 'timeout', 'cancelled', 'deadlock', 'refused', 'session_ended'];

/**
 * The server's Prometheus metrics (served on HTTP /metrics). Every metric declared here is
 * updated: the gauges from the probe at scrape time, the lock metrics from applied entries on
 * the leader (server/lock-metrics.ts), the Raft ones from RaftNode's observer, the gRPC ones
 * from a server interceptor (server/grpc-metrics.ts).
 *
 * There is no `node` label: Prometheus's `instance` already names the target, and
 * `quorumlock_node_info{id}` maps an instance to its Raft id.
 */
export interface Metrics {
  readonly registry: Registry;
  readonly streams: Gauge;
  readonly proposals: Counter<'type'>;
  readonly grants: Counter;
  readonly openRefusals: Counter;
  /** Audited events (issue 11 §5): admin actions and refused callers, by action and outcome. */
  readonly auditEvents: Counter<'action' | 'outcome'>;
  readonly requestFailures: Counter<'code'>;
  readonly renewBatchSize: Histogram;
  /** Consistency-check alarms this node raised or was told of, by divergent node. */
  readonly consistencyAlarms: Counter<'divergent'>;
  /** 1 once this node's lock state was found divergent (it then serves no client). */
  readonly divergent: Gauge;
  // locks (recorded by the leader; sum over instances for the cluster)
  readonly acquireWait: Histogram<'outcome'>;
  readonly lockRequests: Counter<'result'>;
  readonly holdSeconds: Histogram<'ended'>;
  readonly sessionExpirations: Counter<'cause'>;
  readonly holdsFreedByExpiry: Counter;
  readonly revocations: Counter;
  /** Peer streams refused because the sender's certificate does not name the member it claims to be. */
  readonly peerIdentityRejected: Counter;
  readonly deadlocks: Counter;
  // raft
  readonly leaderChanges: Counter;
  readonly commitSeconds: Histogram;
  readonly persistSeconds: Histogram<'sync'>;
  readonly snapshots: Counter<'kind'>;
  readonly snapshotBytes: Counter<'kind'>;
  readonly lastSnapshotBytes: Gauge<'kind'>;
  // grpc
  readonly grpcRequests: Counter<'method' | 'code'>;
  readonly grpcSeconds: Histogram<'method'>;
  setProbe(probe: () => MetricsProbe): void;
}

/** 0.5 ms .. 60 s: an uncontended grant is about one commit; a contended wait can be a lease. */
export const ACQUIRE_WAIT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const HOLD_BUCKETS = [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];
const DISK_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const RPC_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 300, 3600];

export function createMetrics(nodeId: string): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const r = { registers: [registry] };
  let probe: (() => MetricsProbe) | null = null;
  // One probe call per scrape: the gauges below read the same snapshot.
  let cached: { at: number; value: MetricsProbe } | null = null;
  const read = (): MetricsProbe | null => {
    if (probe === null) return null;
    const now = Date.now();
    if (cached === null || now - cached.at > 100) cached = { at: now, value: probe() };
    return cached.value;
  };
  const probed = (name: string, help: string, pick: (p: MetricsProbe) => number): Gauge =>
    new Gauge({
      name,
      help,
      ...r,
      collect(this: Gauge) {
        const p = read();
        if (p !== null) this.set(pick(p));
      },
    });
  new Gauge({ name: 'quorumlock_node_info', help: 'Always 1; `id` is this node\'s Raft id', labelNames: ['id'], ...r }).set({ id: nodeId }, 1);
  probed('quorumlock_raft_term', 'Current Raft term', (p) => p.term);
  probed('quorumlock_raft_commit_index', 'Raft commit index', (p) => p.commitIndex);
  probed('quorumlock_raft_applied_index', 'Raft applied index', (p) => p.appliedIndex);
  probed('quorumlock_raft_apply_lag_entries', 'Committed entries not yet applied on this node', (p) => Math.max(0, p.commitIndex - p.appliedIndex));
  probed('quorumlock_is_leader', '1 on the leader, 0 elsewhere', (p) => (p.isLeader ? 1 : 0));
  probed('quorumlock_raft_has_leader', '1 while this node knows a leader (itself or another)', (p) => (p.hasLeader ? 1 : 0));
  probed('quorumlock_raft_voters', 'Voting members in the configuration this node applied', (p) => p.voters);
  probed('quorumlock_raft_learners', 'Learners (non-voting members) in the configuration this node applied', (p) => p.learners);
  probed(
    'quorumlock_raft_voters_in_contact',
    'On the leader: voters, itself included, it replicates to normally (0 elsewhere). Quorum is at risk when this is at the quorum size',
    (p) => p.votersInContact,
  );
  probed('quorumlock_sessions', 'Live sessions in the replicated state', (p) => p.sessions);
  probed('quorumlock_value_bytes', 'Bytes every lock\'s fenced value takes together (counted against the value quota)', (p) => p.valueBytes);
  probed('quorumlock_value_quota_bytes', 'The value quota (--quota-value-bytes): puts that would grow the values past it are refused', (p) => p.valueQuotaBytes);
  new Gauge({
    name: 'quorumlock_event_loop_max_stall_ms',
    help: 'Longest event-loop stall since start (or since a Status with reset_loop_stall); compare with the election timeout',
    ...r,
    collect(this: Gauge) {
      this.set(processLoopMonitor().maxMs());
    },
  });
  probed('quorumlock_resources', 'Resources (locks) in the replicated state', (p) => p.resources);
  probed('quorumlock_lock_waiters', 'On the leader: lock requests waiting in a queue now (0 elsewhere)', (p) => p.waiters);
  probed('quorumlock_lock_longest_wait_seconds', 'On the leader: how long the longest-waiting queued request has waited (0 elsewhere)', (p) => p.longestWaitSeconds);
  new Gauge({
    name: 'quorumlock_raft_replication_lag_entries',
    help: 'On the leader: entries each other member is behind the leader\'s log',
    labelNames: ['peer'],
    ...r,
    collect(this: Gauge<'peer'>) {
      const p = read();
      this.reset();
      for (const peer of p?.peers ?? []) this.set({ peer: peer.id }, peer.lagEntries);
    },
  });
  new Gauge({
    name: 'quorumlock_raft_send_queue_messages',
    help: 'Raft messages queued for each peer in this node\'s transport',
    labelNames: ['peer'],
    ...r,
    collect(this: Gauge<'peer'>) {
      const p = read();
      this.reset();
      for (const peer of p?.peers ?? []) this.set({ peer: peer.id }, peer.queuedMessages);
    },
  });
  let droppedSeen = 0;
  new Counter({
    name: 'quorumlock_raft_messages_dropped_total',
    help: 'Raft messages the transport dropped on the sending side (unreachable peer, full queue, too large)',
    ...r,
    collect(this: Counter) {
      const p = read();
      if (p === null) return;
      if (p.transportDropped > droppedSeen) this.inc(p.transportDropped - droppedSeen);
      droppedSeen = p.transportDropped;
    },
  });

  const acquireWait = new Histogram({
    name: 'quorumlock_acquire_wait_seconds',
    help: 'Lock requests, from arrival at the leader to their outcome, by outcome',
    labelNames: ['outcome'],
    buckets: ACQUIRE_WAIT_BUCKETS,
    ...r,
  });
  const lockRequests = new Counter({
    name: 'quorumlock_lock_requests_total',
    help: 'Lock requests by result: immediate (granted without waiting), queued (had to wait), refused. Contention rate = queued / all',
    labelNames: ['result'],
    ...r,
  });
  const holdSeconds = new Histogram({
    name: 'quorumlock_lock_hold_seconds',
    help: 'How long holds lasted, by how they ended (released, session_expired, revoked)',
    labelNames: ['ended'],
    buckets: HOLD_BUCKETS,
    ...r,
  });
  const sessionExpirations = new Counter({
    name: 'quorumlock_session_expirations_total',
    help: 'Sessions expired (not batches), by cause: ttl (no keepalive in time) or admin',
    labelNames: ['cause'],
    ...r,
  });
  const persistSeconds = new Histogram({
    name: 'quorumlock_raft_persist_seconds',
    help: 'Time to write one Raft storage batch; sync="true" is a synced (fsync) batch',
    labelNames: ['sync'],
    buckets: DISK_BUCKETS,
    ...r,
  });
  const snapshots = new Counter({ name: 'quorumlock_raft_snapshots_total', help: 'Snapshots taken here or installed from the leader', labelNames: ['kind'], ...r });
  const snapshotBytes = new Counter({ name: 'quorumlock_raft_snapshot_bytes_total', help: 'Bytes of snapshots taken or installed', labelNames: ['kind'], ...r });
  const lastSnapshotBytes = new Gauge({ name: 'quorumlock_raft_snapshot_last_bytes', help: 'Size of the last snapshot taken or installed', labelNames: ['kind'], ...r });
  // Every label value a dashboard or alert selects exists from the start (at 0), so rate() and
  // increase() have data before the first event.
  for (const outcome of ACQUIRE_OUTCOMES) acquireWait.zero({ outcome });
  for (const result of ['immediate', 'queued', 'refused']) lockRequests.inc({ result }, 0);
  for (const ended of ['released', 'session_expired', 'revoked']) holdSeconds.zero({ ended });
  for (const cause of ['ttl', 'admin']) sessionExpirations.inc({ cause }, 0);
  for (const sync of ['true', 'false']) persistSeconds.zero({ sync });
  for (const kind of ['taken', 'installed']) {
    snapshots.inc({ kind }, 0);
    snapshotBytes.inc({ kind }, 0);
    lastSnapshotBytes.set({ kind }, 0);
  }
  return {
    registry,
    streams: new Gauge({ name: 'quorumlock_acquire_streams', help: 'Open Acquire streams on this node', ...r }),
    proposals: new Counter({ name: 'quorumlock_proposals_total', help: 'Commands proposed by this node, by type', labelNames: ['type'], ...r }),
    openRefusals: new Counter({ name: 'quorumlock_open_refusals_total', help: 'Session opens and resumes refused as busy (RESOURCE_EXHAUSTED with a retry hint)', ...r }),
    auditEvents: new Counter({
      name: 'quorumlock_audit_events_total',
      help: 'Audited events: admin actions (revoke, expire-session, member-add, member-remove, transfer-leader, snapshot, delete-value) and refused callers (authenticate, authorize, resume-session), by outcome',
      labelNames: ['action', 'outcome'],
      ...r,
    }),
    grants: new Counter({ name: 'quorumlock_grants_total', help: 'Grants delivered to streams on this node', ...r }),
    requestFailures: new Counter({ name: 'quorumlock_request_failures_total', help: 'RequestFailed answers delivered, by gRPC status name', labelNames: ['code'], ...r }),
    renewBatchSize: new Histogram({
      name: 'quorumlock_renew_batch_sessions',
      help: 'Sessions renewed per replicated renew entry',
      buckets: [1, 4, 16, 64, 256, 1024, 4096, 16384],
      ...r,
    }),
    consistencyAlarms: new Counter({
      name: 'quorumlock_consistency_alarms_total',
      help: 'Members found with a lock-state hash that differs from the majority, by divergent node',
      labelNames: ['divergent'],
      ...r,
    }),
    divergent: new Gauge({ name: 'quorumlock_divergent', help: '1 when this node\'s lock state diverged from the majority (it serves no client)', ...r }),
    acquireWait,
    lockRequests,
    holdSeconds,
    sessionExpirations,
    holdsFreedByExpiry: new Counter({ name: 'quorumlock_holds_freed_by_expiry_total', help: 'Holds ended because their session expired', ...r }),
    revocations: new Counter({ name: 'quorumlock_lock_revocations_total', help: 'Holds revoked by an administrator', ...r }),
    peerIdentityRejected: new Counter({
      name: 'quorumlock_peer_identity_rejected_total',
      help: 'Raft peer streams refused: the sender\'s TLS certificate names another member, several, or none this node knows',
      ...r,
    }),
    deadlocks: new Counter({ name: 'quorumlock_deadlocks_detected_total', help: 'Lock requests refused because waiting would close a wait-for cycle', ...r }),
    leaderChanges: new Counter({ name: 'quorumlock_raft_leader_changes_total', help: 'Times this node saw a new leader elected', ...r }),
    commitSeconds: new Histogram({
      name: 'quorumlock_raft_commit_seconds',
      help: 'On the leader: from proposing an entry to applying it (committed by a quorum)',
      buckets: DISK_BUCKETS,
      ...r,
    }),
    persistSeconds,
    snapshots,
    snapshotBytes,
    lastSnapshotBytes,
    grpcRequests: new Counter({
      name: 'quorumlock_grpc_requests_total',
      help: 'gRPC calls handled, by method and final status name (Acquire: one per stream)',
      labelNames: ['method', 'code'],
      ...r,
    }),
    grpcSeconds: new Histogram({
      name: 'quorumlock_grpc_request_duration_seconds',
      help: 'gRPC call duration by method (for the Acquire stream: the stream\'s lifetime)',
      labelNames: ['method'],
      buckets: RPC_BUCKETS,
      ...r,
    }),
    setProbe(p) {
      probe = p;
      cached = null;
    },
  };
}

/** The RaftNode observer that feeds the Raft metrics. */
export function raftObserverFor(m: Metrics): RaftObserver {
  return {
    leaderChanged: (info) => {
      if (info.leader !== '') m.leaderChanges.inc();
    },
    committed: (seconds) => m.commitSeconds.observe(seconds),
    persisted: (seconds, synced) => m.persistSeconds.observe({ sync: synced ? 'true' : 'false' }, seconds),
    snapshotTaken: (bytes) => {
      m.snapshots.inc({ kind: 'taken' });
      m.snapshotBytes.inc({ kind: 'taken' }, bytes);
      m.lastSnapshotBytes.set({ kind: 'taken' }, bytes);
    },
    snapshotInstalled: (bytes) => {
      m.snapshots.inc({ kind: 'installed' });
      m.snapshotBytes.inc({ kind: 'installed' }, bytes);
      m.lastSnapshotBytes.set({ kind: 'installed' }, bytes);
    },
  };
}
