import type { Entry, InitialState, Snapshot } from './types';

/*
 * The read-only storage contract the core needs. The adapters in storage/ implement it (with the
 * write side, WritableStorage, that only the shell uses); the core never imports storage/.
 */

/** The requested index precedes the first index still in the log (it was compacted into a snapshot). */
export class CompactedError extends Error {
  override readonly name = 'CompactedError';
  constructor(readonly index: number, readonly firstIndex: number) {
    super(`index ${index} is compacted; the log starts at ${firstIndex}`);
  }
}

/** The requested index is past the last index in the log. */
export class UnavailableError extends Error {
  override readonly name = 'UnavailableError';
  constructor(readonly index: number, readonly lastIndex: number) {
    super(`index ${index} is unavailable; the log ends at ${lastIndex}`);
  }
}

/**
 * The read side of the durable log, as the core sees it. Every method is synchronous and
 * reflects only what `persist` has made durable; entries not yet persisted live in the core's
 * unstable log. Indexes: the snapshot covers [1, snapshot.index]; the log holds
 * (snapshot.index, lastIndex()]. `term(snapshot.index)` is answered from the snapshot.
 */
export interface Storage {
  initialState(): InitialState;
  /** Entries in [lo, hi), at most `maxBytes` of data (always at least one entry). */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  /** Term of the entry at `index`; valid for index in [firstIndex()-1, lastIndex()]. */
  term(index: number): number;
  /** The first index still available as an entry (snapshot index + 1). */
  firstIndex(): number;
  lastIndex(): number;
  /** The latest snapshot (an empty snapshot at index 0 when there is none). */
  snapshot(): Snapshot;
}
