/**
 * How long the client may trust its session (and so every hold of it), from its own monotonic
 * clock only.
 *
 * The server renews a session when the entry carrying a keepalive commits, at a leader time that
 * is necessarily after the client sent that keepalive; it expires the session at
 * `renewal + TTL` (and on a failover it shifts that deadline later by its clock-skew allowance,
 * never earlier). So `send time of the last acknowledged keepalive + TTL` is a lower bound of the
 * server's deadline in real time, up to the difference in clock *rates* between the client and
 * the leaders. The safety margin covers that drift and the timer latency of the client:
 *
 *     trusted until = sendTime(last acked keepalive, or the open) + ttlMs - safetyMarginMs
 *     default safetyMarginMs = ceil(ttlMs / 10) + 50
 *
 * (clock-rate drift is parts per million; 10 % of the TTL plus 50 ms leaves room for a late timer
 * and a busy event loop as well). Past that instant no hold of the session may be trusted,
 * whatever the server later says: a late acknowledgement of an old keepalive can never move the
 * deadline past `its send time + TTL - margin`.
 */

/** The default safety margin for a TTL (see the module comment). */
export function defaultSafetyMarginMs(ttlMs: number): number {
  return Math.ceil(ttlMs / 10) + 50;
}

/** Tracks the session's trusted-until instant from keepalive send times and their acknowledgements. */
export class SessionLease {
  /** Keepalives sent on the current stream and not yet acknowledged: seq → send time. */
  private readonly unacked = new Map<number, number>();
  /** Send time of the newest acknowledged renewal (keepalive or open); undefined before the first. */
  private renewedAt: number | undefined;
  private ttl = 0;

  constructor(
    private readonly now: () => number,
    /** A fixed margin, or undefined for `defaultSafetyMarginMs(ttl)`. */
    private readonly marginOverrideMs?: number,
  ) {}

  /** The TTL the server confirmed (0 before the session opened). */
  get ttlMs(): number {
    return this.ttl;
  }

  /** The margin in force for the current TTL. */
  get safetyMarginMs(): number {
    return this.marginOverrideMs ?? defaultSafetyMarginMs(this.ttl);
  }

  /** The instant (on `now()`'s scale) until which holds may be trusted; -Infinity before the first renewal. */
  get deadline(): number {
    if (this.renewedAt === undefined) return Number.NEGATIVE_INFINITY;
    return this.renewedAt + this.ttl - this.safetyMarginMs;
  }

  /** Whether the deadline has passed at `now()`. */
  expired(): boolean {
    return this.now() >= this.deadline;
  }

  /** Milliseconds until the deadline (negative when past). */
  remainingMs(): number {
    return this.deadline - this.now();
  }

  /**
   * The session was opened or resumed: the server renewed it after the open was sent at
   * `openSentAt`, with `ttlMs`.
   */
  opened(openSentAt: number, ttlMs: number): void {
    if (!(ttlMs > 0)) throw new RangeError(`the server confirmed a TTL of ${ttlMs} ms`);
    this.ttl = ttlMs;
    this.unacked.clear();
    this.renew(openSentAt);
  }

  /** Records the send time of keepalive `seq` (seq increases on every send). */
  keepaliveSent(seq: number): void {
    this.unacked.set(seq, this.now());
  }

  /**
   * Keepalive `seq` was acknowledged. Returns false when `seq` is unknown (sent on an earlier
   * stream, or acknowledged already): such an acknowledgement renews nothing.
   */
  keepaliveAcked(seq: number, ttlMs: number): boolean {
    const sentAt = this.unacked.get(seq);
    if (sentAt === undefined) return false;
    for (const s of this.unacked.keys()) if (s <= seq) this.unacked.delete(s);
    if (ttlMs > 0) this.ttl = ttlMs;
    this.renew(sentAt);
    return true;
  }

  /** Age of the oldest unacknowledged keepalive, or 0 when all are acknowledged. */
  oldestUnackedAgeMs(): number {
    let oldest: number | undefined;
    for (const t of this.unacked.values()) if (oldest === undefined || t < oldest) oldest = t;
    return oldest === undefined ? 0 : this.now() - oldest;
  }

  /** The stream broke: its unacknowledged keepalives will never be acknowledged. */
  streamLost(): void {
    this.unacked.clear();
  }

  /** The session is gone: nothing is trusted any more. */
  reset(): void {
    this.unacked.clear();
    this.renewedAt = undefined;
    this.ttl = 0;
  }

  private renew(sentAt: number): void {
    if (this.renewedAt === undefined || sentAt > this.renewedAt) this.renewedAt = sentAt;
  }
}
