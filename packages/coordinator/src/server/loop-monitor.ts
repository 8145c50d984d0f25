import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/**
 * The longest event-loop stall of this process. A stall longer than the election timeout lets
 * followers elect a new leader however healthy this one is, so the figure is shown next to the
 * election timeout (AdminService.Status, metric `quorumlock_event_loop_max_stall_ms`).
 */
export class LoopStallMonitor {
  private readonly h: IntervalHistogram;

  constructor(resolutionMs = 10) {
    this.h = monitorEventLoopDelay({ resolution: resolutionMs });
    this.h.enable();
  }

  /** Longest stall since start or the last reset, in milliseconds. */
  maxMs(): number {
    // The histogram starts with max 0 and records nanoseconds; an empty one reports a huge min
    // but max is 0, which is the truth (no sample yet, no stall seen).
    return Math.round(this.h.max / 1e6);
  }

  reset(): void {
    this.h.reset();
  }

  stop(): void {
    this.h.disable();
  }
}

let shared: LoopStallMonitor | null = null;

/** The one monitor of this process (started on first use). */
export function processLoopMonitor(): LoopStallMonitor {
  shared ??= new LoopStallMonitor();
  return shared;
}
