import type { Storage } from '../core/storage';
import type { ConfState, Entry, HardState, Snapshot } from '../core/types';

// The read side the core needs lives in core/ (the core must not import the I/O shell); the
// adapters here implement it and the write side below.
export { CompactedError, UnavailableError, type Storage } from '../core/storage';

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
