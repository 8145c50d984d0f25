import { type History, type PreparedHistory, prepareHistory, relativeTime } from './history';
import { type CheckResult, type ReportLimits, ViolationSink } from './violation';

/** Options of {@link checkLiveness}. */
export interface LivenessOptions extends ReportLimits {
  /**
   * How long a resource may go without any grant after someone asked for it. It must cover the
   * longest legitimate wait: the longest hold, or a dead holder's TTL plus failover, plus the
   * time to recover from a fault.
   */
  readonly boundMs: number;
  /**
   * Requests made later than `boundMs` before this time are not judged (the workload stopped
   * asking). Default: the history's last event.
   */
  readonly endTime?: number;
}

/**
 * Per-resource liveness: after an acquire of R is invoked, some acquire of R (by anyone) is
 * granted within `boundMs`. A resource held forever by a dead session, a queue nobody serves, or
 * a wedged replica shows here by name, where an availability probe on another lock sees nothing.
 * Consecutive stalled requests of one resource are reported once, from the first of them.
 */
export function checkLiveness(history: History | PreparedHistory, options: LivenessOptions): CheckResult {
  const h = prepareHistory(history);
  const sink = new ViolationSink(h, 'liveness', options);
  const at = (t: number): string => relativeTime(h.startTime, t);
  const judgedUntil = (options.endTime ?? h.endTime) - options.boundMs;
  for (const [resource, ops] of h.byResource) {
    const grantTimes = ops.filter((op) => op.f === 'acquire' && op.grant !== undefined).map((op) => op.end).sort((a, b) => a - b);
    let reportedUntil = -Infinity;
    let g = 0;
    for (const op of ops) {
      if (op.f !== 'acquire' || op.start > judgedUntil) continue;
      // The first grant completed after this request was made (ops are in invoke order).
      while (g < grantTimes.length && (grantTimes[g] ?? Infinity) <= op.start) g++;
      const next = grantTimes[g] ?? Infinity;
      if (next - op.start <= options.boundMs || op.start < reportedUntil) continue;
      reportedUntil = next;
      const stalled = ops.filter((o) => o.f === 'acquire' && o.start >= op.start && o.start < next && o.start <= judgedUntil).length;
      sink.add({
        kind: 'resourceStuck',
        message:
          `${resource}: ${op.process} asked for it at ${at(op.start)} and nobody was granted it ` +
          `${Number.isFinite(next) ? `until ${at(next)} (${Math.round(next - op.start)} ms)` : 'for the rest of the run'}; ` +
          `${stalled} requests in that time (bound ${options.boundMs} ms)`,
        resources: [resource],
        from: op.start,
        to: Number.isFinite(next) ? next : h.endTime,
      });
    }
  }
  return sink.result();
}
