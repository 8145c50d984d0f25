import { LockClient, type Lease } from '@quorumlock/client';

export const HELD_LOCK = 'k8s-sim/held';
export const WORK_LOCK = 'k8s-sim/work';

export interface WorkloadOptions {
  readonly endpoints: readonly string[];
  readonly dialMap: Readonly<Record<string, string>>;
  readonly workers: number;
  readonly ttlMs: number;
  /**
   * The holder's TTL: longer than any outage of the run (step 6 stops every pod at once), since a
   * client rightly stops trusting a lease it could not renew for its TTL.
   */
  readonly holderTtlMs: number;
}

/**
 * An SDK workload with fencing, checked while the lifecycle runs:
 * - one session holds HELD_LOCK from the start to the end: losing it is a lost acknowledged hold;
 * - workers take WORK_LOCK in turn and write their token through the lease (a fenced put): two
 *   valid leases at once is a double holder, a grant whose token is not above every earlier one
 *   breaks fencing, and a put accepted with a token below one already accepted is a stale write.
 * Grants are timed, so a step's longest unavailability is the longest gap between grants.
 */
export class Workload {
  readonly violations: string[] = [];
  readonly grantTimes: number[] = [];
  grants = 0;
  private maxToken = 0;
  private maxWritten = 0;
  private current: Lease | null = null;
  private stopped = false;
  private readonly clients: LockClient[] = [];
  private loops: Promise<void>[] = [];
  held: Lease | null = null;

  constructor(private readonly o: WorkloadOptions) {}

  private client(name: string, ttlMs = this.o.ttlMs): LockClient {
    const c = new LockClient({ endpoints: [...this.o.endpoints], dialMap: this.o.dialMap, ttlMs, clientName: name, backoff: { budgetMs: 600_000, maxMs: 500 } });
    this.clients.push(c);
    return c;
  }

  async start(): Promise<void> {
    const holder = this.client('k8s-sim-holder', this.o.holderTtlMs);
    this.held = await holder.acquire(HELD_LOCK);
    this.held.signal.addEventListener('abort', () => {
      if (!this.stopped) this.violations.push(`the hold of ${HELD_LOCK} (token ${this.held?.token ?? 0}) was lost: ${String(this.held?.lostError?.message ?? 'released')}`);
    });
    this.loops = Array.from({ length: this.o.workers }, (_, k) => this.work(this.client(`k8s-sim-worker-${k}`), k));
  }

  private async work(client: LockClient, k: number): Promise<void> {
    while (!this.stopped) {
      let lease: Lease;
      try {
        lease = await client.acquire(WORK_LOCK, { waitTimeoutMs: 5000 });
      } catch {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      if (this.current !== null && this.current.valid) this.violations.push(`double holder: worker ${k} got token ${lease.token} while token ${this.current.token} is valid`);
      if (lease.token <= this.maxToken) this.violations.push(`token ${lease.token} granted after token ${this.maxToken}`);
      this.maxToken = Math.max(this.maxToken, lease.token);
      this.current = lease;
      this.grants++;
      this.grantTimes.push(performance.now());
      try {
        await lease.put(`worker-${k}:${lease.token}`);
        if (lease.token < this.maxWritten) this.violations.push(`stale write accepted: token ${lease.token} after ${this.maxWritten}`);
        this.maxWritten = Math.max(this.maxWritten, lease.token);
      } catch {
        // Refused (lost lease, no leader): the fencing did its job, nothing to check.
      }
      if (this.current === lease) this.current = null;
      await lease.release().catch(() => undefined);
    }
  }

  /** The longest time without a grant between `from` and `to` (performance.now() times). */
  longestGapMs(from: number, to: number): number {
    let last = from;
    let gap = 0;
    for (const t of this.grantTimes) {
      if (t < from || t > to) continue;
      gap = Math.max(gap, t - last);
      last = t;
    }
    return Math.round(Math.max(gap, to - last));
  }

  get highestToken(): number {
    return this.maxToken;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    for (const c of this.clients) await c.close().catch(() => undefined);
  }
}
