/**
 * At most `perTurn` tasks start per turn of the event loop; the rest wait, in arrival order, for
 * later turns. A burst of session opens arrives as thousands of streams in one read of the
 * clients' sockets: handled all at once, they held the leader's loop for 400-500 ms, and with
 * two such turns back to back the followers heard no heartbeat for an election timeout (issue 9
 * §8). Between two turns the loop runs its timers (the Raft tick: heartbeats) and its I/O (the
 * followers' answers), so client work is cut into slices that Raft can interleave with.
 */
export class TurnBudget {
  private used = 0;
  private readonly waiting: (() => void)[] = [];
  private turnScheduled = false;

  constructor(
    private readonly perTurn: number,
    private readonly nextTurn: (fn: () => void) => void = (fn) => setImmediate(fn),
  ) {
    if (!Number.isSafeInteger(perTurn) || perTurn < 1) throw new RangeError(`TurnBudget: perTurn must be a positive integer, got ${perTurn}`);
  }

  /** Tasks waiting for a later turn. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves when the task may run: in this turn while its budget lasts, else in a later one. */
  take(): Promise<void> {
    if (this.waiting.length === 0 && this.used < this.perTurn) {
      this.used++;
      this.scheduleTurn();
      return Promise.resolve();
    }
    const p = new Promise<void>((resolve) => this.waiting.push(resolve));
    this.scheduleTurn();
    return p;
  }

  private scheduleTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    this.nextTurn(this.newTurn);
  }

  private readonly newTurn = (): void => {
    this.turnScheduled = false;
    const batch = this.waiting.splice(0, this.perTurn);
    this.used = batch.length;
    for (const resolve of batch) resolve();
    if (this.used > 0) this.scheduleTurn();
  };
}
