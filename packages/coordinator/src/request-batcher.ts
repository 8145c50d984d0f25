/** Most requests in one entry. */
export const MAX_BATCH_REQUESTS = 256;
/** Most bytes (estimated: values plus names plus a fixed share) in one entry, far below an AppendEntries message. */
export const MAX_BATCH_BYTES = 256 * 1024;
/** What a request costs in the estimate besides its name and value (ids, options, msgpack keys). */
const FIXED_BYTES = 96;

/** Told once, when the entry carrying a request applied (no error) or cannot (the entry's failure). */
export type RequestDone = (err: Error | undefined) => void;

interface Waiting<R> {
  readonly request: R;
  readonly done: RequestDone;
}

/**
 * Gathers stream requests into Raft entries (issue 15 §3): a request that finds no entry of
 * requests in flight goes out on the next turn of the event loop, with whatever arrived in the
 * same turn; requests that arrive while one is in flight wait for it and then go out together,
 * in arrival order. So one session sees no added latency, and many sessions share one entry: one
 * encode, one log record, one AppendEntries item and one apply on every member instead of one per
 * request. A full batch goes out at once. `flush` sends what is queued before a command that must
 * follow it in the log (Replica.propose), so the log keeps arrival order.
 */
export class RequestBatcher<R> {
  private queue: Waiting<R>[] = [];
  private queuedBytes = 0;
  private inFlight = 0;
  private scheduled = false;

  /**
   * `propose` puts `requests` (one or more, in order) into one entry; it settles when that entry
   * applied or cannot. `bytesOf`: a request's variable bytes (its name and value).
   */
  constructor(
    private readonly propose: (requests: readonly R[]) => Promise<unknown>,
    private readonly bytesOf: (request: R) => number,
  ) {}

  /** Resolves once the entry carrying `request` applied; rejects with the entry's failure. */
  submit(request: R): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.add(request, (err) => (err === undefined ? resolve() : reject(err)));
    });
  }

  /**
   * `submit` without a promise: `done` is called once the entry carrying `request` applied or
   * cannot. The server's hot path, where a promise and its reactions per request cost more than
   * the request's share of the entry.
   */
  add(request: R, done: RequestDone): void {
    this.queue.push({ request, done });
    this.queuedBytes += FIXED_BYTES + this.bytesOf(request);
    if (this.queue.length >= MAX_BATCH_REQUESTS || this.queuedBytes >= MAX_BATCH_BYTES) this.flush();
    else if (this.inFlight === 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushIfIdle);
    }
  }

  private readonly flushIfIdle = (): void => {
    this.scheduled = false;
    if (this.inFlight === 0) this.flush();
  };

  /** Propose every queued request now, as one entry. */
  flush(): void {
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    this.inFlight++;
    let proposed: Promise<unknown>;
    try {
      proposed = this.propose(batch.map((w) => w.request));
    } catch (e) {
      proposed = Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    proposed.then(
      () => this.settled(batch, undefined),
      (e: unknown) => this.settled(batch, e instanceof Error ? e : new Error(String(e))),
    );
  }

  /** The entry of `batch` applied (`err` undefined) or failed: tell its requests, then send what queued behind it. */
  private settled(batch: readonly Waiting<R>[], err: Error | undefined): void {
    try {
      tellAll(batch, err);
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) this.flush();
    }
  }

  /** Reject every queued request (leadership lost, node stopping); entries in flight settle on their own. */
  failQueued(err: Error): void {
    const queued = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    // Told on a later microtask, as a rejected promise would be: the caller (a change of leader,
    // a stop) finishes its own work before the requests' owners react.
    if (queued.length > 0) queueMicrotask(() => tellAll(queued, err));
  }
}

/** Calls every `done`, even when one throws; the first throw is rethrown afterwards (a bug in a caller). */
function tellAll(waiting: readonly Waiting<unknown>[], err: Error | undefined): void {
  let thrown: { error: unknown } | undefined;
  for (const w of waiting) {
    try {
      w.done(err);
    } catch (e) {
      thrown ??= { error: e };
    }
  }
  if (thrown !== undefined) throw thrown.error;
}
