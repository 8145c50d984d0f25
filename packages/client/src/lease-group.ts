import type { Lease } from './lease';

/**
 * The leases `acquireAll` took, in the canonical (sorted) order they were acquired. `signal`
 * aborts as soon as any of them is lost; `release()` releases all of them (in reverse order) and
 * is idempotent; `await using` works.
 */
export class LeaseGroup implements AsyncDisposable, Iterable<Lease> {
  /** The leases, sorted by name. */
  readonly leases: readonly Lease[];
  /** Aborts with the first lost lease's LockLostError. */
  readonly signal: AbortSignal;
  #releasing: Promise<void> | undefined;

  constructor(leases: readonly Lease[]) {
    this.leases = [...leases];
    this.signal = AbortSignal.any(this.leases.map((l) => l.signal));
  }

  /** The lease of `name`, or undefined. */
  get(name: string): Lease | undefined {
    return this.leases.find((l) => l.name === name);
  }

  /** name → fencing token. */
  get tokens(): ReadonlyMap<string, number> {
    return new Map(this.leases.map((l) => [l.name, l.token]));
  }

  /** Throws the first lease's LockLostError, if any is lost (synchronous, monotonic clock). */
  assertValid(): void {
    for (const l of this.leases) l.assertValid();
  }

  /** Releases every lease; rejects with the first failure after trying them all. */
  release(): Promise<void> {
    this.#releasing ??= (async () => {
      const results = await Promise.allSettled([...this.leases].reverse().map((l) => l.release()));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    })();
    return this.#releasing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }

  [Symbol.iterator](): Iterator<Lease> {
    return this.leases[Symbol.iterator]();
  }
}
