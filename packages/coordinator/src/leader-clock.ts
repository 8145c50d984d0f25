import { performance } from 'node:perf_hooks';

/** Milliseconds from an arbitrary origin that never jumps (wall-clock steps do not move it). */
export type MonotonicSource = () => number;

/**
 * The time a leader stamps on commands and judges deadlines by: the machine's time as this node
 * applied it, carried forward by a monotonic clock. No wall-clock value goes in, so an NTP step,
 * a VM resume or `date -s` on any node changes no expiry, timeout or grant.
 *
 * Why this is safe for the SDK's lease: a client trusts its hold for TTL (minus a margin) from
 * the moment it *sent* the keepalive that renewed it, timed by its own monotonic clock. The
 * leader stamped that renewal at or after that moment, and the machine set the deadline to
 * `max(now, stamp) + TTL`. This clock never runs ahead of "the machine time of any applied entry
 * plus the real time since that entry was stamped": it starts from a machine time this node has
 * applied and the monotonic time since it applied it (never earlier than the stamp was taken),
 * and only moves at the monotonic rate, or up to a machine time it applies. So a deadline falls
 * due here no earlier than TTL of real time after the renewal was stamped, i.e. after the client
 * stopped trusting its lease (different hosts' monotonic clocks differ in rate only, by parts per
 * million; the SDK's margin and the machine's per-term skew shift cover that).
 *
 * A new leader starts from the machine time it has applied, plus the monotonic time since it
 * became leader (not a full TTL: etcd #9888). It never resumes a trajectory of its own from an
 * earlier term: a leader in between may have run behind it and renewed sessions by its slower
 * clock. Once an entry of its own term has applied (and so every earlier one), it catches up to
 * the last earlier entry's time plus the time since this node applied that entry, so a failover
 * in an idle cluster does not add the idle time to a dead holder's lease. That raise is safe only
 * if no deadline was stamped on the lower trajectory before it: until `hasOwnEntryApplied`, the
 * leader stamps nothing but that first entry, a `tick` that sets no deadline (Replica holds
 * every other proposal until then, one commit round trip).
 */
export class LeaderClock {
  private base = 0;
  private baseMono = 0;
  private last = 0;
  /** The term this node leads, 0 while it follows. */
  private term = 0;
  private caughtUp = false;
  /** The latest entry this node applied: its machine time, and when (monotonic). */
  private latest: { readonly now: number; readonly mono: number } | undefined;

  constructor(private readonly monotonic: MonotonicSource = () => performance.now()) {}

  /** This node became leader of `term`; `appliedNow` is the machine time it has applied so far. */
  lead(term: number, appliedNow: number): void {
    if (term === this.term) return;
    this.term = term;
    this.caughtUp = false;
    // Not from the latest applied entry's time plus the time since: an entry of a later term
    // that this node holds but has not applied yet came from a leader whose clock may have run
    // behind, and renewed sessions by it. Until every earlier entry applied (see `applied`),
    // the applied time plus the time since becoming leader is what is known to be safe.
    this.base = appliedNow;
    this.baseMono = this.monotonic();
    this.last = appliedNow;
  }

  /** This node no longer leads. */
  follow(): void {
    this.term = 0;
    this.caughtUp = false;
  }

  /** Whether this leader has applied an entry of its own term (so every earlier entry too). */
  get hasOwnEntryApplied(): boolean {
    return this.caughtUp;
  }

  /** The machine was replaced by a snapshot: its time no longer comes from `latest`. */
  restored(): void {
    this.latest = undefined;
  }

  /** Every entry this node applies: the machine's time after it and the entry's term. */
  applied(machineNow: number, term: number): void {
    const m = this.monotonic();
    if (this.term > 0) {
      if (term === this.term && !this.caughtUp) {
        this.caughtUp = true;
        // Every entry before this term is applied now; the last of them is `latest`.
        const prev = this.latest;
        if (prev !== undefined) this.raise(prev.now + Math.floor(Math.max(0, m - prev.mono)), m);
      }
      this.raise(machineNow, m);
    }
    this.latest = { now: machineNow, mono: m };
  }

  /**
   * The leader's time now, never less than a previous reading in this term. `appliedNow` is the
   * machine's time (a snapshot may have moved it without an apply).
   */
  now(appliedNow: number): number {
    const m = this.monotonic();
    this.raise(appliedNow, m);
    const t = Math.max(this.last, this.reading(m));
    this.last = t;
    return t;
  }

  private reading(m: number): number {
    return this.base + Math.floor(Math.max(0, m - this.baseMono));
  }

  private raise(to: number, m: number): void {
    if (to > this.reading(m)) {
      this.base = to;
      this.baseMono = m;
    }
  }
}
