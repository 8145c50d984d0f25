import type { ApplyOutput, LockEvent } from '../state/events';
import type { Metrics } from '../metrics';

/** What the lock metrics need of a Replica. */
export interface LockMetricsSource {
  on(event: 'applied', listener: (out: ApplyOutput) => void): unknown;
  isLeader(): boolean;
}

/**
 * Derives the lock metrics from the events of applied entries, in log order, on the leader only:
 * every node applies every entry, so counting everywhere would count each event once per member.
 * Sum over instances for the cluster's figures. The events carry their metrics fields only on a
 * request's first answer (not on replays for resends), so each request is counted once.
 *
 * Acquire wait is measured from the request's arrival at the leader: `requestedAt` is the machine
 * time when the lock command applied, and machine time is the leader's clock as stamped on the
 * command when it arrived; the outcome is this leader's clock when the outcome applies here. So
 * an immediate grant's wait is its propose-to-apply time, and a queued one's includes the queue.
 * Across a failover the two clocks differ by at most the allowed skew (negative values count as 0).
 *
 * Hold durations are machine time on both ends (grant and end are both applied entries).
 */
export function attachLockMetrics(src: LockMetricsSource, metrics: Metrics, clock: () => number = Date.now): void {
  src.on('applied', (out) => {
    if (!src.isLeader()) return;
    const now = clock();
    for (const e of out.events) record(metrics, e, out.now, now);
  });
}

function record(m: Metrics, e: LockEvent, machineNow: number, now: number): void {
  const since = (t: number, at: number): number => Math.max(0, at - t) / 1000;
  switch (e.type) {
    case 'granted':
      if (e.requestedAt === undefined) return;
      if (e.waited !== true) m.lockRequests.inc({ result: 'immediate' });
      m.acquireWait.observe({ outcome: 'granted' }, since(e.requestedAt, now));
      return;
    case 'queued':
      if (e.requestedAt !== undefined) m.lockRequests.inc({ result: 'queued' });
      return;
    case 'failed':
      if (e.lockFailure === undefined || e.requestedAt === undefined) return;
      if (e.lockFailure === 'refused' || e.lockFailure === 'deadlock') m.lockRequests.inc({ result: 'refused' });
      if (e.lockFailure === 'deadlock') m.deadlocks.inc();
      m.acquireWait.observe({ outcome: e.lockFailure }, since(e.requestedAt, now));
      return;
    case 'released':
      if (e.grantedAt !== undefined) m.holdSeconds.observe({ ended: 'released' }, since(e.grantedAt, machineNow));
      return;
    case 'lost':
      if (e.ended === undefined) return;
      if (e.grantedAt !== undefined) m.holdSeconds.observe({ ended: e.ended }, since(e.grantedAt, machineNow));
      if (e.ended === 'session_expired') m.holdsFreedByExpiry.inc();
      else m.revocations.inc();
      return;
    case 'sessionClosed':
      for (const h of e.released) if (h.grantedAt !== undefined) m.holdSeconds.observe({ ended: 'released' }, since(h.grantedAt, machineNow));
      return;
    case 'sessionExpired':
      m.sessionExpirations.inc({ cause: e.cause ?? 'ttl' });
      return;
    default:
      return;
  }
}
