import { LockLostError, type LockLostReason } from './errors';

/** `exclusive`: one holder (or all permits); `shared`: compatible with other shared holds. */
export type LockMode = 'exclusive' | 'shared';

/**
 * What a Lease needs from the session that holds it. Implemented by the SDK's session; tests may
 * provide their own.
 */
export interface LeaseOwner {
  /** Monotonic time in ms (the same clock as `sessionDeadline`). */
  now(): number;
  /** The instant until which the session's holds may be trusted (see SessionLease). */
  sessionDeadline(): number;
  /** Sends `release` for the hold and resolves once it is gone (answered, or the session is). */
  releaseHold(lease: Lease): Promise<void>;
  /** Sends a fenced `put` with the lease's token and resolves on `value_put`. */
  putValue(lease: Lease, value: Uint8Array): Promise<void>;
  /** Told once when the lease is lost against the holder's will (deadline, revoked, session expired): for events and the auto-release. */
  leaseLost(lease: Lease, error: LockLostError): void;
  /** Told once when the hold no longer exists on the server (or the session is gone). */
  leaseEnded(lease: Lease): void;
}

/** The fields of a grant that a Lease is made from. */
export interface LeaseGrant {
  readonly name: string;
  readonly token: number;
  readonly mode: LockMode;
  readonly permits: number;
  readonly requestId: number;
  readonly value: Uint8Array;
}

/**
 * A hold on a named resource, granted to this client's session.
 *
 * The lease is trusted until the session's deadline (send time of the last acknowledged
 * keepalive + TTL - safety margin). The moment that can no longer be guaranteed — the deadline
 * passes, an administrator revokes the hold, the session expires, the client closes, or the
 * lease is released — `signal` aborts with a `LockLostError` as its reason, and
 * `assertValid()` throws it. Both are final: a lost lease never becomes valid again.
 *
 * Pass `token` to every downstream write so that the store can reject a stale holder (fencing).
 */
export class Lease implements AsyncDisposable {
  /** The resource's name. */
  readonly name: string;
  /** The fencing token: unique and strictly increasing across the cluster. */
  readonly token: number;
  readonly mode: LockMode;
  /** How many permits of the resource this hold takes. */
  readonly permits: number;
  /** The session request id that was granted (useful in logs; matches `lockctl lock NAME`). */
  readonly requestId: number;
  /** Aborts, with a LockLostError as `signal.reason`, when the lease can no longer be trusted. */
  readonly signal: AbortSignal;

  #value: Uint8Array;
  readonly #owner: LeaseOwner;
  readonly #controller = new AbortController();
  #lost: LockLostError | undefined;
  #ended = false;
  #releasing: Promise<void> | undefined;

  /** Made by the SDK on a grant; applications receive leases, they do not construct them. */
  constructor(owner: LeaseOwner, grant: LeaseGrant) {
    this.#owner = owner;
    this.name = grant.name;
    this.token = grant.token;
    this.mode = grant.mode;
    this.permits = grant.permits;
    this.requestId = grant.requestId;
    this.#value = grant.value;
    this.signal = this.#controller.signal;
  }

  /** The resource's fenced value: as granted, or as last `put` by this lease. Do not mutate it. */
  get value(): Uint8Array {
    return this.#value;
  }

  /** Whether the lease may still be trusted right now (checks the deadline synchronously). */
  get valid(): boolean {
    this.checkDeadline();
    return this.#lost === undefined;
  }

  /** The error the lease was lost with, if it was. */
  get lostError(): LockLostError | undefined {
    this.checkDeadline();
    return this.#lost;
  }

  /** Milliseconds until the lease's deadline (0 once lost). */
  get remainingMs(): number {
    if (!this.valid) return 0;
    return Math.max(0, this.#owner.sessionDeadline() - this.#owner.now());
  }

  /**
   * Throws the LockLostError when the lease can no longer be trusted. Synchronous and based on
   * the monotonic clock, not on a timer: after a long pause (GC, SIGSTOP) it throws on the first
   * call, before any timer has had a chance to run. Call it right before every side effect the
   * lock protects.
   */
  assertValid(): void {
    this.checkDeadline();
    if (this.#lost !== undefined) throw this.#lost;
  }

  /**
   * Releases the hold. Idempotent: every call returns the same promise. Resolves once the server
   * confirmed, or at once when the hold is already gone (lost, session expired, client closed).
   * `signal` aborts (reason 'released') as soon as the release starts.
   */
  release(): Promise<void> {
    this.#releasing ??= this.releaseOnce();
    return this.#releasing;
  }

  /**
   * Sets the resource's fenced value, fenced by this lease's token: the server refuses it unless
   * the token is still a current hold. Rejects with LockLostError when the lease is already lost.
   */
  async put(value: Uint8Array | string): Promise<void> {
    this.assertValid();
    const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
    await this.#owner.putValue(this, bytes);
    this.#value = bytes;
  }

  /** `await using lease = await client.acquire(...)` releases at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }

  /** Marks the lease lost (first call wins) and aborts `signal`. Returns whether it acted. SDK-internal. */
  lose(reason: LockLostReason, detail = ''): boolean {
    if (this.#lost !== undefined) return false;
    const err = new LockLostError(this.name, this.token, reason, detail);
    this.#lost = err;
    this.#controller.abort(err);
    if (reason !== 'released' && reason !== 'client closed') this.#owner.leaseLost(this, err);
    return true;
  }

  /** The hold no longer exists on the server. SDK-internal; idempotent. */
  ended(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#owner.leaseEnded(this);
  }

  /** Whether the server-side hold is known to be gone. */
  get isEnded(): boolean {
    return this.#ended;
  }

  /** Loses the lease when the session deadline has passed. SDK-internal; cheap, called often. */
  checkDeadline(): void {
    if (this.#lost === undefined && this.#owner.now() >= this.#owner.sessionDeadline()) this.lose('deadline');
  }

  private async releaseOnce(): Promise<void> {
    this.checkDeadline();
    this.lose('released');
    if (this.#ended) return;
    try {
      await this.#owner.releaseHold(this);
    } finally {
      this.ended();
    }
  }
}
