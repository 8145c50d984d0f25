/**
 * One lock request on the session, from submit to its final answer: a grant becomes a Lease,
 * `queued` answers are reported, and the caller's AbortSignal cancels the wait on the server too.
 */
import { errorFromStatus, LockCancelledError, type LockError } from './errors';
import type { Lease, LockMode } from './lease';
import type { QueuedEvent, AcquireOptions } from './lock-options';
import type { Logger } from './logger';
import type { GateTicket } from './name-gate';
import type { Pending } from './pending';
import type { Session } from './session';
import type { AcquireResponse, LockRequestMsg } from './wire';

/** What a lock request needs from its LockClient. */
export interface LockWaitOwner {
  readonly session: Session;
  readonly logger: Logger;
  /** Emits the client's `queued` event. */
  queued(e: QueuedEvent): void;
  /** The lease now owns the ticket: it is left when the lease ends. */
  adopt(lease: Lease, ticket: GateTicket): void;
  /** Releases a lease nobody will use, logging a failure. */
  giveBack(lease: Lease): void;
}

/** Sends one lock request. Owns `ticket`: it is left when no lease results, or when the lease ends. */
export function sendLock(owner: LockWaitOwner, base: Omit<LockRequestMsg, 'requestId'>, ticket: GateTicket, signal: AbortSignal | undefined, onQueued: AcquireOptions['onQueued']): Promise<Lease> {
  return new Promise<Lease>((resolve, reject) => {
    const msg: LockRequestMsg = { ...base, requestId: owner.session.nextRequestId() };
    const wait = new LockWait(owner, msg, ticket, signal, onQueued, resolve, reject);
    owner.session.submit(wait.pending);
    if (signal?.aborted === true) wait.onAbort();
    else signal?.addEventListener('abort', wait.onAbort, { once: true });
  });
}

class LockWait {
  readonly pending: Pending;
  private settled = false;

  constructor(
    private readonly owner: LockWaitOwner,
    private readonly msg: LockRequestMsg,
    private readonly ticket: GateTicket,
    private readonly signal: AbortSignal | undefined,
    private readonly onQueued: AcquireOptions['onQueued'],
    private readonly resolve: (lease: Lease) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    this.pending = {
      id: msg.requestId,
      kind: 'lock',
      name: msg.name,
      request: { lock: msg },
      sent: false,
      cancelled: false,
      onAnswer: (res) => this.answer(res),
      onAbandon: (err) => {
        ticket.leave();
        this.fail(err);
      },
      onStreamLost: () => {
        // The cancel will follow the resend; the caller need not wait for the new leader.
        if (this.pending.cancelled) this.fail(this.cancelledError());
      },
    };
  }

  /** The caller's signal aborted. */
  readonly onAbort = (): void => {
    switch (this.owner.session.cancel(this.pending)) {
      case 'dropped':
        this.ticket.leave();
        this.fail(this.cancelledError());
        return;
      case 'pending':
        this.fail(this.cancelledError());
        return;
      case 'sent':
      case 'answered':
        return; // the server's answer settles it
    }
  };

  /** An answer for this request; true when it is final. */
  private answer(res: AcquireResponse): boolean {
    switch (res.msg) {
      case 'queued':
        if (!this.pending.cancelled) this.reportQueued(res.queued.position);
        return false;
      case 'granted':
        this.granted(res.granted);
        return true;
      case 'failed': {
        this.ticket.leave();
        const f = res.failed;
        this.fail(errorFromStatus(f.code, f.message, this.msg.tryOnly ? 'tryLock' : 'lock', f.errorCode));
        return true;
      }
      default:
        return false;
    }
  }

  private reportQueued(position: number): void {
    const e: QueuedEvent = { name: this.msg.name, requestId: this.msg.requestId, position };
    this.owner.queued(e);
    try {
      this.onQueued?.(e);
    } catch (err) {
      this.owner.logger.warn({ err }, 'onQueued callback threw');
    }
  }

  private granted(g: { readonly name: string; readonly token: number; readonly value: Uint8Array }): void {
    const msg = this.msg;
    const mode: LockMode = msg.mode === 'SHARED' ? 'shared' : 'exclusive';
    const lease = this.owner.session.createLease({ name: g.name, token: g.token, mode, permits: Math.max(1, msg.permits), requestId: msg.requestId, value: g.value });
    this.owner.adopt(lease, this.ticket);
    if (this.pending.cancelled) {
      // The grant raced the cancel: give it straight back.
      this.owner.giveBack(lease);
      this.fail(this.cancelledError());
      return;
    }
    const lost = lease.lostError;
    if (lost !== undefined) this.fail(lost); // granted after the session deadline: cannot be trusted (it is released)
    else this.settle(() => this.resolve(lease));
  }

  /** Rejects; with the cancellation instead when the caller had cancelled. */
  private fail(err: LockError): void {
    this.settle(() => this.reject(this.pending.cancelled ? this.cancelledError() : err));
  }

  private settle(fn: () => void): void {
    if (this.settled) return;
    this.settled = true;
    this.signal?.removeEventListener('abort', this.onAbort);
    fn();
  }

  private cancelledError(): LockCancelledError {
    return new LockCancelledError(`acquire('${this.msg.name}') was cancelled by the caller's signal (request ${this.msg.requestId})`, { cause: this.signal?.reason });
  }
}
