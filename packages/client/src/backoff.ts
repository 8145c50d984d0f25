/**
 * Exponential backoff with full jitter (the AWS Architecture Blog's "Exponential Backoff and
 * Jitter"): the n-th delay (n from 0) is uniform in [0, min(maxMs, initialMs * 2^n)]. Full
 * jitter spreads a fleet of clients that lost the same leader at the same moment, so the new
 * leader is not hit by all of them at once.
 *
 * The retries stop when either bound is reached: `maxAttempts` delays handed out, or `budgetMs`
 * of time since the first failure (measured with the injected clock). Then `next()` returns
 * `undefined` and the caller gives up (the SDK reports `ClusterUnavailableError`).
 */

/** Backoff settings; every field has a documented default. */
export interface BackoffOptions {
  /** Cap of the first delay. Default 50 ms. */
  readonly initialMs?: number | undefined;
  /** Cap of every delay. Default 2000 ms. */
  readonly maxMs?: number | undefined;
  /** Total time allowed from the first failure until giving up. Default 30 000 ms. */
  readonly budgetMs?: number | undefined;
  /** Most delays handed out before giving up. Default: unlimited (the budget bounds it). */
  readonly maxAttempts?: number | undefined;
}

/** Backoff settings with every default filled in. */
export interface ResolvedBackoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly budgetMs: number;
  readonly maxAttempts: number;
}

export const DEFAULT_BACKOFF: ResolvedBackoff = Object.freeze({
  initialMs: 50,
  maxMs: 2000,
  budgetMs: 30_000,
  maxAttempts: Number.POSITIVE_INFINITY,
});

/** Validates backoff options and fills in the defaults; throws a RangeError naming the bad value. */
export function resolveBackoff(options: BackoffOptions = {}): ResolvedBackoff {
  const r: ResolvedBackoff = {
    initialMs: options.initialMs ?? DEFAULT_BACKOFF.initialMs,
    maxMs: options.maxMs ?? DEFAULT_BACKOFF.maxMs,
    budgetMs: options.budgetMs ?? DEFAULT_BACKOFF.budgetMs,
    maxAttempts: options.maxAttempts ?? DEFAULT_BACKOFF.maxAttempts,
  };
  for (const key of ['initialMs', 'maxMs', 'budgetMs'] as const) {
    const v = r[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`backoff.${key} must be a finite number >= 0, got ${String(v)}`);
  }
  if (r.maxMs < r.initialMs) throw new RangeError(`backoff.maxMs (${r.maxMs}) must be >= backoff.initialMs (${r.initialMs})`);
  if (!(r.maxAttempts >= 1)) throw new RangeError(`backoff.maxAttempts must be >= 1, got ${String(r.maxAttempts)}`);
  return r;
}

/** The cap of the delay after `attempt` failures (attempt counts from 0). */
export function backoffCeilingMs(attempt: number, initialMs: number, maxMs: number): number {
  // 2^attempt overflows to Infinity for large attempts, which Math.min handles.
  return Math.min(maxMs, initialMs * 2 ** attempt);
}

/**
 * One retry sequence. Create it (or `reset()` it) when a success ends the previous sequence.
 * `random` returns a number in [0, 1) and `now` a monotonic time in ms; both are injectable for
 * tests.
 */
export class Backoff {
  private readonly opts: ResolvedBackoff;
  private attempt = 0;
  /** Time of the first `next()` of this sequence; undefined until then. */
  private startedAt: number | undefined;

  constructor(
    options: BackoffOptions = {},
    private readonly now: () => number = () => performance.now(),
    private readonly random: () => number = Math.random,
  ) {
    this.opts = resolveBackoff(options);
  }

  /** Delays handed out since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** Time spent in this sequence (0 before the first `next()`). */
  elapsedMs(): number {
    return this.startedAt === undefined ? 0 : this.now() - this.startedAt;
  }

  /**
   * The delay before the next try, or `undefined` when the budget or the attempt limit is spent.
   * The delay never ends past the budget: the last one is cut so that the final try still
   * happens inside it.
   */
  next(): number | undefined {
    const t = this.now();
    if (this.startedAt === undefined) this.startedAt = t;
    const elapsed = t - this.startedAt;
    if (this.attempt >= this.opts.maxAttempts || elapsed >= this.opts.budgetMs) return undefined;
    const ceiling = backoffCeilingMs(this.attempt, this.opts.initialMs, this.opts.maxMs);
    this.attempt++;
    const delay = Math.floor(this.random() * (ceiling + 1));
    return Math.min(delay, Math.max(0, this.opts.budgetMs - elapsed));
  }

  /** Starts a new sequence (after a success). */
  reset(): void {
    this.attempt = 0;
    this.startedAt = undefined;
  }
}
