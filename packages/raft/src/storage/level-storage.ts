import assert from 'node:assert/strict';
import { Level } from 'level';
import type { ConfState, Entry, HardState, InitialState, Snapshot, SnapshotMeta } from '../core/types';
import { crc32c } from './crc32c';
import { prefixed, writeBatch, type Op, type RawDb } from './level-batch';
import { encodeIndexKey, LOG, META, META_HARD_STATE, META_LOG_START, SNAP, SNAP_DATA, SNAP_META, utf8, type DataDirIdentity, type LogStart } from './level-layout';
import { claimIdentity, load, type Loaded, type LoadSource } from './level-load';
import { encodeEntry, errorMessage, packFramed } from './level-records';
import {
  assertConfState,
  assertEntry,
  assertHardState,
  assertIndex,
  assertSnapshotMeta,
} from './storage-assertions';
import { CompactedError, SnapshotOutOfDateError, StorageError, UnavailableError } from './storage';
import type { PersistBatch, WritableStorage } from './storage';

// The format lives in level-layout.ts (keys) and level-records.ts (values); opening in level-load.ts.
export { decodeIndexKey, encodeIndexKey, type DataDirIdentity } from './level-layout';
export { DataDirIdentityError } from './level-load';
export { decodeLogRecord, encodeLogRecord } from './level-records';

function openSublevel(db: RawDb, name: string) {
  return db.sublevel<Uint8Array, Uint8Array>(name, { keyEncoding: 'view', valueEncoding: 'view' });
}
type Sublevel = ReturnType<typeof openSublevel>;

function putOp(sublevel: Sublevel, key: Uint8Array, value: Uint8Array): Op {
  return { type: 'put', sublevel, key, value };
}

/** Mirror arrays shed their compacted prefix once it is this long and half the array. */
const MIN_HEAD_TO_RECLAIM = 4096;

/** Options for {@link LevelStorage.open}. */
export interface LevelStorageOptions {
  /**
   * Create an empty database when `dir` holds none (default true). Pass false on a restart that
   * must find its data, so a volume that failed to mount fails loudly instead of the node
   * rejoining with an empty log.
   */
  readonly createIfMissing?: boolean;
  /**
   * Whose data dir this must be. Recorded when the database is created (or first opened with an
   * identity); afterwards a different one is refused with a {@link DataDirIdentityError}, so a
   * node never runs on another node's or another cluster's log.
   */
  readonly identity?: DataDirIdentity;
}

/**
 * `Storage` over LevelDB (`level`), for real nodes.
 *
 * Reads are synchronous and served from an in-memory mirror of everything durable: hard state,
 * the latest snapshot (meta and data) and every uncompacted log entry, loaded by
 * {@link LevelStorage.open}. The mirror changes only after a write has resolved, so readers
 * never see data that a crash could still take back.
 *
 * Writes (`persist`, `compact`) each map to exactly one atomic LevelDB batch and run one at a
 * time in call order, whatever the caller awaits. After a failed write the on-disk state is
 * unknown (an fsync error may or may not have reached the disk), so every later write rejects
 * with a `StorageError` and the node must stop and restart from what is on disk.
 *
 * Ownership: the storage keeps references to the entries, hard state, snapshot and snapshot
 * data it is given and hands the same objects back from its reads; nobody may mutate them.
 */
export class LevelStorage implements WritableStorage {
  private hardState: HardState;
  private snap: Snapshot;
  private logStart: LogStart;
  /**
   * Stored entries: `ents[head + k]` has index `logStart.index + 1 + k`. Compaction advances
   * `head` instead of copying the array, so appends and compactions stay O(changed entries).
   */
  private ents: Entry[];
  private head = 0;
  private readonly logPrefix: Uint8Array; // log sublevel's: records go straight to the root db (cheaper)
  /** Tail of the write queue; each write starts after the previous one settled. */
  private tail: Promise<void> = Promise.resolve();
  private failure: unknown = undefined;
  private closed = false;

  private constructor(
    private readonly db: RawDb,
    private readonly metaDb: Sublevel,
    private readonly snapDb: Sublevel,
    logDb: Sublevel,
    loaded: Loaded,
  ) {
    this.hardState = loaded.hardState;
    this.snap = loaded.snapshot;
    this.logStart = loaded.logStart;
    this.ents = loaded.entries;
    this.logPrefix = utf8.encode(logDb.prefix);
  }

  /**
   * Open (or create) the database in `dir` and load it into memory. Rejects with a
   * `StorageError` naming the key when any record fails to decode or the log has a gap or
   * contradicts the snapshot: a damaged log must stop the node, never be silently truncated.
   */
  static async open(dir: string, options: LevelStorageOptions = {}): Promise<LevelStorage> {
    const db: RawDb = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
    try {
      await db.open({ createIfMissing: options.createIfMissing ?? true });
    } catch (err) {
      throw new StorageError(`cannot open LevelDB in ${dir}: ${errorMessage(err)}`, { cause: err });
    }
    const metaDb = openSublevel(db, META);
    const snapDb = openSublevel(db, SNAP);
    const logDb = openSublevel(db, LOG);
    try {
      const source: LoadSource = {
        meta: metaDb,
        snap: snapDb,
        log: logDb,
        hasAnyKey: async () => (await db.keys({ limit: 1 }).all()).length > 0,
        putMeta: (key, value) => db.batch([putOp(metaDb, key, value)], { sync: true }),
      };
      const loaded = await load(source);
      if (options.identity !== undefined) await claimIdentity(dir, source, loaded, options.identity);
      return new LevelStorage(db, metaDb, snapDb, logDb, loaded);
    } catch (err) {
      await db.close().catch(() => undefined);
      if (err instanceof StorageError) throw err;
      throw new StorageError(`cannot load LevelDB in ${dir}: ${errorMessage(err)}`, { cause: err });
    }
  }

  initialState(): InitialState {
    // The core replays confChange entries after the snapshot itself, so the snapshot's
    // membership is the only one storage needs to remember.
    return { hardState: this.hardState, confState: this.snap.meta.confState };
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    assertIndex(lo, 'lo');
    assertIndex(hi, 'hi');
    if (lo > hi) assert.fail(`entries: lo ${lo} > hi ${hi}`);
    if (!(maxBytes >= 0)) assert.fail(`entries: maxBytes must be >= 0, got ${maxBytes}`);
    const first = this.firstIndex();
    if (lo < first) throw new CompactedError(lo, first);
    const last = this.lastIndex();
    if (hi > last + 1) throw new UnavailableError(hi - 1, last);
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = this.head + (lo - first), end = this.head + (hi - first); i < end; i++) {
      const entry = this.ents[i] as Entry;
      bytes += entry.data.byteLength;
      if (bytes > maxBytes && out.length > 0) break;
      out.push(entry);
    }
    return out;
  }

  term(index: number): number {
    assertIndex(index, 'term index');
    const start = this.logStart;
    if (index === start.index) return start.term;
    if (index < start.index) throw new CompactedError(index, start.index + 1);
    const last = this.lastIndex();
    if (index > last) throw new UnavailableError(index, last);
    return (this.ents[this.head + (index - start.index - 1)] as Entry).term;
  }

  firstIndex(): number {
    return this.logStart.index + 1;
  }

  lastIndex(): number {
    return this.logStart.index + (this.ents.length - this.head);
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /**
   * Make `batch` durable in ONE LevelDB batch (fsynced when `sync`); the reads reflect it once
   * the promise resolves. A snapshot in the batch replaces the whole log; entries then
   * overwrite the log from `entries[0].index` on, dropping any longer conflicting suffix.
   * Rejects with `SnapshotOutOfDateError` for a snapshot not newer than the stored one, with an
   * `AssertionError` for a batch the core should never produce (a gap, an overwrite of
   * snapshotted entries), and with `StorageError` when the write fails.
   */
  persist(batch: PersistBatch, options: { sync: boolean }): Promise<void> {
    return this.enqueue(async () => {
      const ops: Op[] = [];
      const oldFirst = this.firstIndex();
      const oldLast = this.lastIndex();
      const snap = batch.snapshot;
      let base = this.logStart;
      if (snap !== null) {
        assertSnapshotMeta(snap.meta);
        if (snap.meta.index <= this.snap.meta.index) {
          throw new SnapshotOutOfDateError(snap.meta.index, this.snap.meta.index);
        }
        base = { index: snap.meta.index, term: snap.meta.term };
        this.putSnapshot(ops, snap);
        ops.push(putOp(this.metaDb, META_LOG_START, packFramed({ index: base.index, term: base.term })));
      }
      // Stored entries that survive: all of them, or none after a snapshot.
      let keptLast = snap === null ? oldLast : base.index;
      const ents = batch.entries;
      const first = ents[0];
      if (first !== undefined) {
        // Entries covered by a snapshot are applied, hence committed: rewriting them is a bug.
        const minIndex = Math.max(base.index, this.snap.meta.index) + 1;
        if (first.index < minIndex || first.index > keptLast + 1) {
          assert.fail(
            `persist: entries start at ${first.index}, but must start in [${minIndex}, ${keptLast + 1}] ` +
              `(log (${base.index}, ${keptLast}], snapshot at ${this.snap.meta.index})`,
          );
        }
        let prevTerm = first.index - 1 === base.index ? base.term : this.term(first.index - 1);
        for (let k = 0; k < ents.length; k++) {
          const entry = ents[k] as Entry;
          assertEntry(entry);
          if (entry.index !== first.index + k) {
            assert.fail(`persist: entries not contiguous at ${first.index + k}: got ${entry.index}`);
          }
          if (entry.term < prevTerm) {
            assert.fail(`persist: term goes backwards at ${entry.index}: ${entry.term} < ${prevTerm}`);
          }
          prevTerm = entry.term;
          ops.push({ type: 'put', key: this.logKey(entry.index), value: encodeEntry(entry) });
        }
        keptLast = first.index + ents.length - 1;
      }
      // Every old key outside the new range goes: below it after a snapshot, above it after a
      // shorter conflicting suffix. Keys inside it were overwritten (or kept) above.
      const newFirst = base.index + 1;
      for (let i = oldFirst; i <= oldLast && i < newFirst; i++) ops.push({ type: 'del', key: this.logKey(i) });
      for (let i = Math.max(oldFirst, keptLast + 1); i <= oldLast; i++) ops.push({ type: 'del', key: this.logKey(i) });
      const hs = batch.hardState;
      if (hs !== null) {
        assertHardState(hs);
        ops.push(putOp(this.metaDb, META_HARD_STATE, packFramed({ term: hs.term, vote: hs.vote, commit: hs.commit })));
      }
      if (ops.length === 0) return;

      await this.write(ops, options.sync);

      if (snap !== null) {
        this.snap = snap;
        this.logStart = base;
        this.ents = [];
        this.head = 0;
      }
      if (first !== undefined) {
        this.ents.length = this.head + (first.index - this.firstIndex());
        for (const entry of ents) this.ents.push(entry);
      }
      if (hs !== null) this.hardState = hs;
    });
  }

  /**
   * Record a snapshot the local state machine took at `index` (which must be stored, so its
   * term is known) and drop log entries up to `index - keepEntries`, in one synced batch.
   * `term(firstIndex() - 1)` stays answerable afterwards. Rejects with
   * `SnapshotOutOfDateError` when `index` is older than the stored snapshot.
   */
  compact(index: number, confState: ConfState, data: Uint8Array, keepEntries: number): Promise<void> {
    return this.enqueue(async () => {
      assertIndex(index, 'compact index');
      assert(index >= 1, 'compact: a snapshot must cover at least one entry');
      assert(Number.isSafeInteger(keepEntries) && keepEntries >= 0, `compact: bad keepEntries ${keepEntries}`);
      assertConfState(confState, 'compact confState');
      assert(data instanceof Uint8Array, 'compact: data must be a Uint8Array');
      if (index < this.snap.meta.index) throw new SnapshotOutOfDateError(index, this.snap.meta.index);
      const last = this.lastIndex();
      assert(index <= last, `compact: index ${index} is past the last stored index ${last}`);
      const meta: SnapshotMeta = {
        index,
        term: this.term(index),
        confState: { voters: [...confState.voters], learners: [...confState.learners] },
      };
      const snap: Snapshot = { meta, data };
      const ops: Op[] = [];
      this.putSnapshot(ops, snap);
      const oldStart = this.logStart;
      const compactTo = index - keepEntries;
      let newStart = oldStart;
      if (compactTo > oldStart.index) {
        newStart = { index: compactTo, term: this.term(compactTo) };
        for (let i = oldStart.index + 1; i <= compactTo; i++) ops.push({ type: 'del', key: this.logKey(i) });
        ops.push(putOp(this.metaDb, META_LOG_START, packFramed({ index: newStart.index, term: newStart.term })));
      }

      await this.write(ops, true);

      this.snap = snap;
      if (newStart !== oldStart) {
        this.head += newStart.index - oldStart.index;
        this.logStart = newStart;
        if (this.head >= MIN_HEAD_TO_RECLAIM && this.head * 2 >= this.ents.length) {
          this.ents = this.ents.slice(this.head);
          this.head = 0;
        }
      }
    });
  }

  /** Wait for queued writes to settle, then close the database. Reads keep working. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail;
    await this.db.close();
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.failure !== undefined) {
        throw new StorageError(`storage failed earlier: ${errorMessage(this.failure)}`, { cause: this.failure });
      }
      await task();
    };
    if (this.closed) return Promise.reject(new StorageError('storage is closed'));
    const result = this.tail.then(run);
    // The queue must survive a rejected write; the caller sees the rejection through `result`.
    this.tail = result.catch(() => undefined);
    return result;
  }

  private logKey(index: number): Uint8Array {
    return prefixed(this.logPrefix, encodeIndexKey(index));
  }

  private async write(ops: Op[], sync: boolean): Promise<void> {
    try {
      await writeBatch(this.db, ops, sync);
    } catch (err) {
      this.failure = err;
      throw new StorageError(`LevelDB batch of ${ops.length} operations failed: ${errorMessage(err)}`, { cause: err });
    }
  }

  private putSnapshot(ops: Op[], snap: Snapshot): void {
    const { index, term, confState } = snap.meta;
    ops.push(
      putOp(
        this.snapDb,
        SNAP_META,
        packFramed({ index, term, confState: { voters: confState.voters, learners: confState.learners }, dataCrc: crc32c(snap.data) }),
      ),
      // Stored raw: snapshot data can be large and msgpack would only add a copy.
      putOp(this.snapDb, SNAP_DATA, snap.data),
    );
  }
}

