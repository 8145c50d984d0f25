/**
 * Keepalives of a session, every `ttl * keepaliveFraction` on the open stream. Each
 * acknowledgement renews the trusted-until instant from the *send* time of the acknowledged
 * keepalive (SessionLease). A keepalive still unacknowledged when the next one is due marks the
 * stream as dead (a silent network drops nothing visibly) and it is replaced, so the session can
 * be resumed before its deadline.
 */
import type { Clock, TimerHandle } from './clock';
import type { Connection } from './connection';
import type { Logger } from './logger';
import type { SessionLease } from './session-lease';

export class Keepalive {
  /** Sequence numbers grow for the session's lifetime, across streams. */
  private seq = 0;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly conn: Connection,
    private readonly lease: SessionLease,
    private readonly fraction: number,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** (Re)starts the keepalives of a stream that just opened. */
  start(): void {
    this.stop();
    this.timer = this.clock.setTimeout(() => this.tick(), this.intervalMs(), { unref: true });
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private intervalMs(): number {
    return Math.max(10, Math.floor(this.lease.ttlMs * this.fraction));
  }

  private tick(): void {
    this.timer = undefined;
    const endpoint = this.conn.endpoint;
    if (endpoint === undefined) return;
    // The keepalive sent one interval ago is still unacknowledged: the path is probably dead
    // without the socket knowing (a partition, a black hole). Resume elsewhere while the lease
    // still has time left, instead of waiting for TCP to notice.
    if (this.lease.oldestUnackedAgeMs() >= this.intervalMs() * 0.9) {
      this.logger.warn({ endpoint, silentMs: Math.round(this.lease.oldestUnackedAgeMs()) }, 'keepalive acks stopped; replacing the stream');
      this.conn.replaceStream('keepalive acknowledgements stopped');
      return;
    }
    const seq = ++this.seq;
    this.lease.keepaliveSent(seq);
    this.conn.write({ keepalive: { seq } });
    this.timer = this.clock.setTimeout(() => this.tick(), this.intervalMs(), { unref: true });
  }
}
