/**
 * Keepalives gathered into one `renew` entry per renew interval: ten thousand sessions keeping
 * alive cost a few entries a second, not ten thousand. Each keepalive is acknowledged only once
 * its entry applied with the session alive.
 */
interface RenewWaiter {
  readonly sessionId: string;
  readonly resolve: (alive: boolean) => void;
  readonly reject: (e: Error) => void;
}

export class RenewBatcher {
  private waiting: RenewWaiter[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly intervalMs: number,
    /** Proposes one renew entry for `sessionIds` (sorted, distinct); resolves with those found gone. */
    private readonly proposeRenew: (sessionIds: string[]) => Promise<ReadonlySet<string>>,
  ) {}

  /** Resolves true once `sessionId` was renewed, false if the session no longer exists. */
  renew(sessionId: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ sessionId, resolve, reject });
      if (this.timer === null) this.timer = setTimeout(() => this.flush(), this.intervalMs);
    });
  }

  /** Rejects every keepalive not yet proposed (leadership lost, or stopping). */
  fail(err: Error): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    for (const w of this.waiting.splice(0)) w.reject(err);
  }

  private flush(): void {
    this.timer = null;
    const batch = this.waiting.splice(0);
    if (batch.length === 0) return;
    const ids = [...new Set(batch.map((w) => w.sessionId))].sort();
    this.proposeRenew(ids).then(
      (gone) => {
        for (const w of batch) w.resolve(!gone.has(w.sessionId));
      },
      (e: unknown) => {
        const err = e instanceof Error ? e : new Error(String(e));
        for (const w of batch) w.reject(err);
      },
    );
  }
}
