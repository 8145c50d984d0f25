/**
 * Admission control for session opens (and resumes): the work a burst of clients can put on the
 * leader's event loop at once. A leader whose loop stalls for an election timeout loses its term
 * however healthy it is, and every session must then resume on the next leader, which is more
 * load again. So a node refuses an open, with RESOURCE_EXHAUSTED and a retry hint, while
 * - `maxPendingOpens` opens already await replication on this node, or
 * - its event loop lagged more than `maxLoopLagMs` within the last second while at least 16
 *   opens are pending (a burst is arriving),
 * and the client retries after the hint. Everything already admitted goes on.
 */
export interface AdmissionOptions {
  readonly maxPendingOpens: number;
  readonly maxLoopLagMs: number;
  /** The retry hint is this plus up to as much again of jitter, so refused clients spread out. */
  readonly retryAfterMs: number;
}

export interface Refusal {
  readonly retryAfterMs: number;
  readonly reason: string;
}

/** Trailer with the milliseconds a refused client should wait before it tries again. */
export const RETRY_AFTER_TRAILER = 'quorumlock-retry-after-ms';

/**
 * The event loop's recent lateness: a timer that should fire every `everyMs` records how late it
 * ran. Cheap (one timer), and unlike a histogram it can answer "the worst in the last second".
 */
export class LoopLag {
  private readonly timer: NodeJS.Timeout;
  private expected: number;
  /** The worst lag seen lately and when: replaced by a worse one, or by any once it is older than the window. */
  private worst = 0;
  private worstAt = 0;

  constructor(
    private readonly windowMs = 1000,
    everyMs = 20,
  ) {
    this.expected = performance.now() + everyMs;
    this.timer = setInterval(() => {
      const now = performance.now();
      this.record(now, Math.max(0, now - this.expected));
      this.expected = now + everyMs;
    }, everyMs);
    this.timer.unref();
  }

  private record(now: number, lag: number): void {
    if (lag >= this.worst || now - this.worstAt > this.windowMs) {
      this.worst = lag;
      this.worstAt = now;
    }
  }

  /** The worst lag within the window, including a stall still going on. */
  recentMs(): number {
    const now = performance.now();
    const ongoing = Math.max(0, now - this.expected);
    const kept = now - this.worstAt <= this.windowMs ? this.worst : 0;
    return Math.max(kept, ongoing);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** The retry hint grows with the refusals of the last second, up to this many times the base. */
const MAX_HINT_FACTOR = 50;
const REFUSAL_WINDOW_MS = 1000;
/** Pending opens from which a lagging loop refuses more (see tryAdmit). */
const LAG_MIN_PENDING = 16;

export class OpenAdmission {
  private pendingOpens = 0;
  /** Refusals in the current and the previous window: a refusal costs the loop a stream too. */
  private refusedNow = 0;
  private refusedBefore = 0;
  private windowStart: number;

  constructor(
    private readonly opts: AdmissionOptions,
    private readonly lagMs: () => number,
    private readonly random: () => number = Math.random,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.windowStart = clock();
  }

  get pending(): number {
    return this.pendingOpens;
  }

  /** Admit one open (the caller must call `done` once its proposal settled), or refuse it. */
  tryAdmit(): Refusal | undefined {
    const o = this.opts;
    if (this.pendingOpens >= o.maxPendingOpens) {
      return this.refuse(`${this.pendingOpens} session opens await replication on this node (--max-pending-opens ${o.maxPendingOpens})`);
    }
    // A lone open cannot stall the loop, and refusing it would only fail a client that asked
    // once while this process was slow for other reasons (a GC, a busy machine): the lag
    // counts while opens are arriving in numbers.
    const lag = this.pendingOpens >= Math.min(LAG_MIN_PENDING, o.maxPendingOpens) ? this.lagMs() : 0;
    if (lag > o.maxLoopLagMs) {
      return this.refuse(`this node's event loop lagged ${Math.round(lag)} ms (--max-loop-lag-ms ${o.maxLoopLagMs})`);
    }
    this.pendingOpens++;
    return undefined;
  }

  done(): void {
    this.pendingOpens = Math.max(0, this.pendingOpens - 1);
  }

  /**
   * A fixed hint would bring every refused client back at once, and refusing costs the loop a
   * stream each: a retry storm that keeps the loop as busy as the burst did. So the hint grows
   * with the refusals of the last second (one more base per `maxPendingOpens` refused), which
   * bounds the rate of retries to about what the node admits; jitter spreads them out.
   */
  private refuse(why: string): Refusal {
    const now = this.clock();
    if (now - this.windowStart >= REFUSAL_WINDOW_MS) {
      this.refusedBefore = now - this.windowStart >= 2 * REFUSAL_WINDOW_MS ? 0 : this.refusedNow;
      this.refusedNow = 0;
      this.windowStart = now;
    }
    this.refusedNow++;
    const recent = this.refusedNow + this.refusedBefore;
    const factor = Math.min(MAX_HINT_FACTOR, 1 + Math.floor(recent / this.opts.maxPendingOpens));
    const base = this.opts.retryAfterMs * factor;
    const retryAfterMs = base + Math.floor(this.random() * (base + 1));
    return { retryAfterMs, reason: `node busy: ${why}; retry after ${retryAfterMs} ms` };
  }
}
