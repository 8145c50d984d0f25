import type { ConfState, Entry, HardState, InitialState, Snapshot } from '../core/types';

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

/** A snapshot older than the one already stored was offered. */
export class SnapshotOutOfDateError extends Error {
  override readonly name = 'SnapshotOutOfDateError';
  constructor(readonly index: number, readonly current: number) {
    super(`snapshot at ${index} is older than the stored one at ${current}`);
  }
}

/** A storage adapter failed; `cause` holds the underlying error. The node must stop. */
export class StorageError extends Error {
  override readonly name = 'StorageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
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

/** One durable write, produced from a Ready by the shell. */
export interface PersistBatch {
  readonly hardState: HardState | null;
  /** Entries to append; any stored entries at or after entries[0].index are replaced. */
  readonly entries: readonly Entry[];
  /** A snapshot received from the leader: replaces the whole log up to its index. */
  readonly snapshot: Snapshot | null;
}

/**
 * A storage adapter the shell can write. `persist` turns a whole Ready into ONE write (synced
 * when `sync`), and only after it resolves do the read methods reflect it.
 */
export interface WritableStorage extends Storage {
  persist(batch: PersistBatch, options: { sync: boolean }): Promise<void>;
  /**
   * Record a snapshot the local state machine took at `index` (which must be applied, and
   * therefore committed and stored) and drop log entries up to `index - keepEntries`, so slow
   * followers can still catch up from the log instead of a snapshot.
   */
  compact(index: number, confState: ConfState, data: Uint8Array, keepEntries: number): Promise<void>;
  close(): Promise<void>;
}

export const EMPTY_CONF_STATE: ConfState = Object.freeze({ voters: [], learners: [] });
