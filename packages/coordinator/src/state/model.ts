import type { LockMode } from './commands';
import type { Code, MachineErrorCode } from './status';

/**
 * The machine's mutable state. Everything here is replicated: it is rebuilt exactly by
 * `restore(snapshot())`, including the iteration order of every Map (see snapshot.ts).
 */

/** A granted hold, stored in its resource's `holders` (grant order = token order). */
export interface Hold {
  readonly sessionId: string;
  readonly requestId: number;
  readonly token: number;
  readonly mode: LockMode;
  /** Permits asked for (1 for a plain exclusive). */
  readonly permits: number;
  /** Permits it takes of the capacity: the whole capacity if exclusive. */
  readonly units: number;
  readonly grantedAt: number;
  readonly grantIndex: number;
  readonly lockDelayMs: number;
}

/** A queued request, shared by its resource's `queue` and its session's `pending`/`waiting`. */
export interface Waiter {
  /** Global enqueue order: ties within a priority are served by ascending seq. */
  readonly seq: number;
  readonly sessionId: string;
  readonly requestId: number;
  readonly name: string;
  readonly mode: LockMode;
  readonly permits: number;
  readonly units: number;
  readonly priority: number;
  readonly enqueuedAt: number;
  /** 0: no wait timeout. */
  readonly deadline: number;
  readonly lockDelayMs: number;
}

export interface Resource {
  readonly name: string;
  /** Fixed for the resource's lifetime (1 = mutex). */
  readonly capacity: number;
  /** Ordered by token. */
  readonly holders: Hold[];
  /** Ordered by priority (highest first), then seq. */
  readonly queue: Waiter[];
  /** Sum of `units` over holders; never above capacity. */
  used: number;
  /** The fenced value; empty: none. */
  value: Uint8Array;
  /** Newest token granted on this resource while it existed. */
  latestToken: number;
  /** Nobody is granted before this time; 0: no lock-delay running. */
  lockDelayUntil: number;
}

/** A remembered answer to a finished request, replayed when the same request id comes again. */
export type Outcome =
  | { readonly kind: 'granted'; readonly name: string; readonly token: number }
  | { readonly kind: 'released'; readonly name: string; readonly token: number }
  | { readonly kind: 'valuePut'; readonly name: string; readonly token: number }
  | { readonly kind: 'failed'; readonly code: Code; readonly message: string; readonly errorCode: MachineErrorCode };

export interface Session {
  readonly id: string;
  readonly clientName: string;
  readonly ttlMs: number;
  readonly openedAt: number;
  lastRenewal: number;
  /** lastRenewal + ttlMs, moved later by new-term skew shifts; never moves earlier. */
  deadline: number;
  /** name -> token of the session's hold on it (insertion order = token order). */
  readonly holds: Map<string, number>;
  /** requestId -> queued request (insertion order = seq order). */
  readonly pending: Map<number, Waiter>;
  /** name -> queued request on it (a session waits at most once per name). */
  readonly waiting: Map<string, Waiter>;
  /** requestId -> outcome, oldest first; bounded by `dedupeWindow`. */
  readonly done: Map<number, Outcome>;
  /** Who may resume it (issue 11); undefined for sessions opened before sessions had owners. */
  readonly ownership?: SessionOwnership;
}

/** What a resume must match: the opener's secret hash and, when it had one, its identity. */
export interface SessionOwnership {
  readonly secretHash: string;
  /** '' when the session was opened without authorization: then only the secret counts. */
  readonly owner: string;
}

/** The whole replicated state. */
export interface MachineState {
  /** Index of the last applied entry (0: none). */
  index: number;
  /** Term of the last applied entry: a larger term on the next entry starts a new term. */
  term: number;
  /** max over the stamps of every applied command; never decreases. */
  now: number;
  /** The newest fencing token granted by this machine (0: none). */
  lastToken: number;
  /** The next waiter's `seq`. */
  nextSeq: number;
  /** By id, in the order the sessions were opened. */
  readonly sessions: Map<string, Session>;
  /** By name, in the order the resources were created. */
  readonly resources: Map<string, Resource>;
}

export function emptyState(): MachineState {
  return { index: 0, term: 0, now: 0, lastToken: 0, nextSeq: 1, sessions: new Map(), resources: new Map() };
}
