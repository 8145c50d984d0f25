/**
 * Requests on the session stream that await an answer under their request id, and the ones the
 * session sends for its own leases (release, fenced put, the release of an orphaned hold).
 */
import { errorFromStatus, FailedPreconditionError, isLockError, type LockError, NotFoundError, SessionExpiredError } from './errors';
import type { Lease } from './lease';
import type { AcquireRequest, AcquireResponse } from './wire';

/** A request on the stream that expects an answer carrying its request id. */
export interface Pending {
  readonly id: number;
  readonly kind: 'lock' | 'release' | 'put';
  /** Resource name (for reconciling holds on resume). */
  readonly name: string;
  readonly request: AcquireRequest;
  /** Written on some stream at least once (the server may have it). */
  sent: boolean;
  /** The caller cancelled it after it was sent; a `cancel` follows every (re)send. */
  cancelled: boolean;
  /** An answer for this id; returns true when it is final (the request leaves `inflight`). */
  onAnswer(response: AcquireResponse): boolean;
  /** No answer will ever come (session gone, client closed, cluster unavailable). */
  onAbandon(error: LockError): void;
  /** The stream broke while the request was in flight (it will be resent). */
  onStreamLost?(): void;
}

/** Releases the hold of `lease`; resolves once it is gone (answered, or the session is). */
export function releasePending(id: number, lease: Lease, resolve: () => void, reject: (err: LockError) => void): Pending {
  return {
    id,
    kind: 'release',
    name: lease.name,
    request: { release: { requestId: id, name: lease.name, token: lease.token } },
    sent: false,
    cancelled: false,
    onAnswer: (res) => {
      if (res.msg === 'released') {
        resolve();
        return true;
      }
      if (res.msg === 'failed') {
        const err = errorFromStatus(res.failed.code, res.failed.message, 'release', res.failed.errorCode);
        // The hold is gone either way: not ours any more, or the session is gone.
        if (err instanceof FailedPreconditionError || err instanceof NotFoundError || err instanceof SessionExpiredError) resolve();
        else reject(err);
        return true;
      }
      return false;
    },
    onAbandon: (err) => (isLockError(err, 'ERR_CLUSTER_UNAVAILABLE') ? reject(err) : resolve()),
  };
}

/** Writes `value` fenced by the lease's token; a refusal as not the holder ends the lease. */
export function putPending(id: number, lease: Lease, value: Uint8Array, resolve: () => void, reject: (err: LockError) => void): Pending {
  return {
    id,
    kind: 'put',
    name: lease.name,
    request: { put: { requestId: id, name: lease.name, token: lease.token, value } },
    sent: false,
    cancelled: false,
    onAnswer: (res) => {
      if (res.msg === 'valuePut') {
        resolve();
        return true;
      }
      if (res.msg === 'failed') {
        const err = errorFromStatus(res.failed.code, res.failed.message, 'put', res.failed.errorCode);
        if (isLockError(err, 'ERR_NOT_HOLDER')) {
          // The server says the token is no longer held: the lease is over.
          lease.lose('revoked', res.failed.message);
          lease.ended();
        }
        reject(err);
        return true;
      }
      return false;
    },
    onAbandon: reject,
  };
}

/** Gives back a hold nobody owns; its answer (or none) concerns nobody. */
export function orphanReleasePending(id: number, name: string, token: number): Pending {
  return {
    id,
    kind: 'release',
    name,
    request: { release: { requestId: id, name, token } },
    sent: false,
    cancelled: false,
    onAnswer: (res) => res.msg === 'released' || res.msg === 'failed',
    onAbandon: () => undefined,
  };
}

/** The request id an answer is for; -1 for messages that answer no request. */
export function requestIdOf(res: AcquireResponse): number {
  switch (res.msg) {
    case 'granted':
      return res.granted.requestId;
    case 'queued':
      return res.queued.requestId;
    case 'released':
      return res.released.requestId;
    case 'failed':
      return res.failed.requestId;
    case 'valuePut':
      return res.valuePut.requestId;
    default:
      return -1;
  }
}
