/**
 * Hands a stream's messages to `handle` one at a time, in arrival order. A handler that is done
 * at once returns undefined and the next message goes on right away, in the same turn (most
 * messages: a request is proposed, not awaited), with no promise or microtask of its own; one
 * that returns a promise holds the messages behind it until that settles. A handler's failure,
 * thrown or rejected, goes to `failed`, and the messages behind it still go on.
 */
export class InOrder<T extends object> {
  private readonly queue: T[] = [];
  private busy = false;

  constructor(
    private readonly handle: (item: T) => Promise<void> | undefined,
    private readonly failed: (e: unknown) => void,
  ) {}

  push(item: T): void {
    this.queue.push(item);
    if (!this.busy) this.drain();
  }

  private drain(): void {
    this.busy = true;
    // The queue holds one message or a few: shift is cheap at that length.
    for (let item = this.queue.shift(); item !== undefined; item = this.queue.shift()) {
      let pending: Promise<void> | undefined;
      try {
        pending = this.handle(item);
      } catch (e) {
        this.failed(e);
        continue;
      }
      if (pending !== undefined) {
        pending.then(this.resume, (e: unknown) => {
          this.failed(e);
          this.resume();
        });
        return;
      }
    }
    this.busy = false;
  }

  private readonly resume = (): void => this.drain();
}
