import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { processLoopMonitor } from './server/loop-monitor';

/** Values read from the replica when Prometheus scrapes, so no timer pays for them. */
export interface MetricsProbe {
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly isLeader: boolean;
  readonly sessions: number;
  readonly resources: number;
}

/**
 * The server's Prometheus metrics (served on HTTP /metrics). Every metric declared here is
 * updated: the gauges from the probe at scrape time, the counters where things happen.
 */
export interface Metrics {
  readonly registry: Registry;
  readonly streams: Gauge;
  readonly proposals: Counter<'type'>;
  readonly grants: Counter;
  readonly openRefusals: Counter;
  readonly requestFailures: Counter<'code'>;
  readonly renewBatchSize: Histogram;
  /** Consistency-check alarms this node raised or was told of, by divergent node. */
  readonly consistencyAlarms: Counter<'divergent'>;
  /** 1 once this node's lock state was found divergent (it then serves no client). */
  readonly divergent: Gauge;
  setProbe(probe: () => MetricsProbe): void;
}

export function createMetrics(nodeId: string): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ node: nodeId });
  collectDefaultMetrics({ register: registry });
  const r = { registers: [registry] };
  let probe: (() => MetricsProbe) | null = null;
  const probed = (name: string, help: string, pick: (p: MetricsProbe) => number): Gauge =>
    new Gauge({
      name,
      help,
      ...r,
      collect(this: Gauge) {
        if (probe !== null) this.set(pick(probe()));
      },
    });
  probed('quorumlock_raft_term', 'Current Raft term', (p) => p.term);
  probed('quorumlock_raft_commit_index', 'Raft commit index', (p) => p.commitIndex);
  probed('quorumlock_raft_applied_index', 'Raft applied index', (p) => p.appliedIndex);
  probed('quorumlock_is_leader', '1 on the leader, 0 elsewhere', (p) => (p.isLeader ? 1 : 0));
  probed('quorumlock_sessions', 'Live sessions in the replicated state', (p) => p.sessions);
  new Gauge({
    name: 'quorumlock_event_loop_max_stall_ms',
    help: 'Longest event-loop stall since start (or since a Status with reset_loop_stall); compare with the election timeout',
    ...r,
    collect(this: Gauge) {
      this.set(processLoopMonitor().maxMs());
    },
  });
  probed('quorumlock_resources', 'Resources (locks) in the replicated state', (p) => p.resources);
  return {
    registry,
    streams: new Gauge({ name: 'quorumlock_acquire_streams', help: 'Open Acquire streams on this node', ...r }),
    proposals: new Counter({ name: 'quorumlock_proposals_total', help: 'Commands proposed by this node, by type', labelNames: ['type'], ...r }),
    openRefusals: new Counter({ name: 'quorumlock_open_refusals_total', help: 'Session opens and resumes refused as busy (RESOURCE_EXHAUSTED with a retry hint)', ...r }),
    grants: new Counter({ name: 'quorumlock_grants_total', help: 'Grants delivered to streams on this node', ...r }),
    requestFailures: new Counter({ name: 'quorumlock_request_failures_total', help: 'RequestFailed answers delivered, by gRPC code', labelNames: ['code'], ...r }),
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
    setProbe(p) {
      probe = p;
    },
  };
}
