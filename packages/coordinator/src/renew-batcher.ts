/**
 * Keepalives gathered into one `renew` entry per renew interval: ten thousand sessions keeping
 * alive cost a few entries a second, not ten thousand. Each keepalive is acknowledged only once
 * its entry applied with the session alive.
 *
 * A keepalive costs no promise or closure of its own: thousands arrive every second on the
 * leader, so the batcher keeps them in parallel arrays and calls their listener back.
 */
export interface RenewListener {
  /** The entry carrying keepalive `seq` applied; `alive` is false when the session was found gone. */
  renewed(seq: number, alive: boolean): void;
  /** The keepalive may not have been renewed (proposal failed, leadership lost, stopping). */
  renewFailed(err: Error): void;
}

export class RenewBatcher {
  private ids: string[] = [];
  private seqs: number[] = [];
  private listeners: RenewListener[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly onTimer = (): void => this.flush();

  constructor(
    private readonly intervalMs: number,
    /** Proposes one renew entry for `sessionIds` (sorted, distinct); resolves with those found gone. */
    private readonly proposeRenew: (sessionIds: string[]) => Promise<ReadonlySet<string>>,
  ) {}

  /** `listener` hears once about keepalive `seq` of `sessionId`: renewed (alive or gone), or failed. */
  add(sessionId: string, seq: number, listener: RenewListener): void {
    this.ids.push(sessionId);
    this.seqs.push(seq);
    this.listeners.push(listener);
    if (this.timer === null) this.timer = setTimeout(this.onTimer, this.intervalMs);
  }

  /** Fails every keepalive not yet proposed (leadership lost, or stopping). */
  fail(err: Error): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const listeners = this.take().listeners;
    for (const l of listeners) l.renewFailed(err);
  }

  private take(): { ids: string[]; seqs: number[]; listeners: RenewListener[] } {
    const batch = { ids: this.ids, seqs: this.seqs, listeners: this.listeners };
    this.ids = [];
    this.seqs = [];
    this.listeners = [];
    return batch;
  }

  private flush(): void {
    this.timer = null;
    const { ids, seqs, listeners } = this.take();
    if (ids.length === 0) return;
    this.proposeRenew([...new Set(ids)].sort()).then(
      (gone) => {
        // Listeners are told in arrival order, so one stream's acks keep their order.
        for (let i = 0; i < ids.length; i++) (listeners[i] as RenewListener).renewed(seqs[i] as number, gone.size === 0 || !gone.has(ids[i] as string));
      },
      (e: unknown) => {
        const err = e instanceof Error ? e : new Error(String(e));
        for (const l of listeners) l.renewFailed(err);
      },
    );
  }
}
