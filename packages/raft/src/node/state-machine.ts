import type { Entry } from '../core/types';

/**
 * The replicated application. `apply` must be deterministic: given the same entries in the same
 * order, every replica must reach the same state and return the same results (hashicorp/raft
 * FSM contract). It is called once per committed `normal` entry with non-empty data, in index
 * order; the leader's no-op and membership entries are not passed to it.
 */
export interface StateMachine<Result = unknown> {
  apply(entry: Entry): Result;
  /** Serialize the whole state as of the last applied entry. Must not change the state. */
  snapshot(): Uint8Array;
  /** Replace the whole state with a snapshot taken by `snapshot()` on any replica. */
  restore(data: Uint8Array): void;
  /**
   * Decode `data` fully without installing it: null when `restore` would accept it, else why
   * not. A snapshot received from a peer is checked with it before anything is persisted.
   */
  validateSnapshot?(data: Uint8Array): string | null;
}
