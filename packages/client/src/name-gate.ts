/**
 * Local FIFO serialization of requests for one name within one client.
 *
 * A session may hold or wait for a name only once (the server answers a second request with
 * FAILED_PRECONDITION "already holds/waiting"), but an application naturally calls
 * `withLock('x', ...)` from several concurrent tasks that share one LockClient. The gate queues
 * those tasks locally, in call order, so that only one of them talks to the server at a time; the
 * others wait here, honouring their own wait timeout and AbortSignal.
 */
import type { Clock, TimerHandle } from './clock';
import { ClientClosedError, LockCancelledError, LockTimeoutError, type LockError } from './errors';

/** The right to send a request for one name; `leave()` (idempotent) passes it to the next task. */
export interface GateTicket {
  readonly name: string;
  leave(): void;
}

export interface GateEnterOptions {
  readonly signal?: AbortSignal | undefined;
  /** Clock time after which the wait fails with LockTimeoutError; undefined waits indefinitely. */
  readonly deadline?: number | undefined;
  /** Return null at once instead of waiting when the name is busy. */
  readonly tryOnly?: boolean;
}

interface Entry {
  readonly name: string;
  active: boolean;
  left: boolean;
  wake?: (() => void) | undefined;
  fail?: ((err: LockError) => void) | undefined;
}

export class NameGate {
  private readonly queues = new Map<string, Entry[]>();

  constructor(private readonly clock: Clock) {}

  /** Whether a task of this client holds or is acquiring `name`. */
  busy(name: string): boolean {
    return (this.queues.get(name)?.length ?? 0) > 0;
  }

  /** Tasks queued locally behind the active one. */
  waiting(name: string): number {
    return Math.max(0, (this.queues.get(name)?.length ?? 0) - 1);
  }

  enter(name: string, options: GateEnterOptions = {}): Promise<GateTicket | null> {
    const queue = this.queues.get(name) ?? [];
    const entry: Entry = { name, active: false, left: false };
    const ticket: GateTicket = { name, leave: () => this.leave(entry) };
    if (queue.length === 0) {
      entry.active = true;
      this.queues.set(name, [entry]);
      return Promise.resolve(ticket);
    }
    if (options.tryOnly === true) return Promise.resolve(null);
    if (options.signal?.aborted === true) {
      return Promise.reject(new LockCancelledError(`the wait for '${name}' was cancelled by the caller's signal`, { cause: options.signal.reason }));
    }
    return new Promise((resolve, reject) => {
      let timer: TimerHandle | undefined;
      const cleanup = (): void => {
        if (timer !== undefined) this.clock.clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        entry.fail?.(new LockCancelledError(`the wait for '${name}' was cancelled by the caller's signal`, { cause: options.signal?.reason }));
      };
      entry.wake = () => {
        cleanup();
        resolve(ticket);
      };
      entry.fail = (err) => {
        cleanup();
        this.leave(entry);
        reject(err);
      };
      if (options.deadline !== undefined) {
        const waitMs = options.deadline - this.clock.now();
        timer = this.clock.setTimeout(() => {
          entry.fail?.(
            new LockTimeoutError(
              `timed out after ${Math.round(waitMs)} ms waiting for '${name}', which another task of this client holds or is acquiring`,
            ),
          );
        }, waitMs);
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(entry);
    });
  }

  /** Fails every queued (not active) task with ClientClosedError. */
  closeAll(): void {
    for (const queue of [...this.queues.values()]) {
      for (const e of [...queue]) if (!e.active) e.fail?.(new ClientClosedError(`the wait for '${e.name}'`));
    }
  }

  private leave(entry: Entry): void {
    if (entry.left) return;
    entry.left = true;
    entry.wake = undefined;
    entry.fail = undefined;
    const queue = this.queues.get(entry.name);
    if (queue === undefined) return;
    const i = queue.indexOf(entry);
    if (i >= 0) queue.splice(i, 1);
    if (queue.length === 0) {
      this.queues.delete(entry.name);
      return;
    }
    const head = queue[0];
    if (head !== undefined && !head.active) {
      head.active = true;
      head.wake?.();
    }
  }
}
