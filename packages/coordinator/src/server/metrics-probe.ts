import type { MetricsProbe, PeerProbe } from '../metrics';
import type { Replica } from '../replica';

/**
 * What the scrape-time gauges read from a replica. O(members + waiters): the waiter scan is the
 * only part that grows with load (one pass over the queues per scrape).
 */
export function probeReplica(replica: Replica, clock: () => number = Date.now): MetricsProbe {
  const st = replica.node.status();
  const isLeader = st.role === 'leader';
  const peers: PeerProbe[] = [];
  let votersInContact = 0;
  let waiters = 0;
  let longestWaitSeconds = 0;
  const transport = replica.transportStatus();
  if (isLeader) {
    const voters = new Set(st.confState.voters);
    for (const [id, pr] of st.progress) {
      // 'replicate': the member acknowledges appends; 'probe'/'snapshot': it does not, or is far behind.
      if (voters.has(id) && (id === st.id || pr.state === 'replicate')) votersInContact++;
      if (id === st.id) continue;
      peers.push({ id, lagEntries: Math.max(0, st.lastIndex - pr.match), queuedMessages: transport.queues.get(id) ?? 0 });
    }
    const w = replica.sm.waitStats();
    waiters = w.waiters;
    if (w.oldestEnqueuedAt !== undefined) longestWaitSeconds = Math.max(0, clock() - w.oldestEnqueuedAt) / 1000;
  }
  return {
    term: st.term,
    commitIndex: st.commit,
    appliedIndex: st.applied,
    isLeader,
    hasLeader: st.lead !== '',
    voters: st.confState.voters.length,
    learners: st.confState.learners.length,
    votersInContact,
    sessions: replica.sm.sessionCount(),
    valueBytes: replica.sm.valueBytesUsed(),
    valueQuotaBytes: replica.sm.limits.maxTotalValueBytes,
    resources: replica.sm.listLocks().length,
    waiters,
    longestWaitSeconds,
    peers,
    transportDropped: transport.dropped,
  };
}
