import type { ApplyOutput, Observation } from '../state/events';
import type { Metrics } from '../metrics';

/** What the lock metrics need of a Replica. */
export interface LockMetricsSource {
  on(event: 'applied', listener: (out: ApplyOutput) => void): unknown;
  isLeader(): boolean;
}

/**
 * Derives the lock metrics from the observations of applied entries (ApplyOutput.observations,
 * in log order), on the leader only: every member applies every entry, so counting everywhere
 * would count each event once per member. Sum over instances for the cluster's figures.
 *
 * Acquire wait runs from the request's arrival at the leader to its outcome. `requestedAt` is
 * machine time when the lock command applied, and machine time is the leader's clock as stamped
 * on the command when it arrived (Replica.propose); the outcome time is this leader's clock when
 * the outcome applies here. So an immediate grant's wait is its propose-to-apply time, and a
 * queued one's includes the queue. Across a failover the two clocks may differ by up to the
 * allowed skew (a negative difference counts as 0). Hold durations are machine time at both ends.
 */
export function attachLockMetrics(src: LockMetricsSource, metrics: Metrics, clock: () => number = Date.now): void {
  src.on('applied', (out) => {
    if (out.observations === undefined || out.observations.length === 0 || !src.isLeader()) return;
    const now = clock();
    for (const o of out.observations) record(metrics, o, out.now, now);
  });
}

function seconds(from: number, to: number): number {
  return Math.max(0, to - from) / 1000;
}

function record(m: Metrics, o: Observation, machineNow: number, now: number): void {
  switch (o.type) {
    case 'lockQueued':
      m.lockRequests.inc({ result: 'queued' });
      return;
    case 'lockAnswered':
      // A queued request was counted when it was queued; here only those answered at once.
      if (!o.waited) m.lockRequests.inc({ result: o.outcome === 'granted' ? 'immediate' : 'refused' });
      if (o.outcome === 'deadlock') m.deadlocks.inc();
      m.acquireWait.observe({ outcome: o.outcome }, seconds(o.requestedAt, now));
      return;
    case 'holdEnded':
      m.holdSeconds.observe({ ended: o.ended }, seconds(o.grantedAt, machineNow));
      if (o.ended === 'session_expired') m.holdsFreedByExpiry.inc();
      else if (o.ended === 'revoked') m.revocations.inc();
      return;
    case 'sessionExpired':
      m.sessionExpirations.inc({ cause: o.cause });
      return;
  }
}
