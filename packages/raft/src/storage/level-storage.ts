import assert from 'node:assert/strict';
import { Level } from 'level';
import { Packr } from 'msgpackr';
import { EMPTY_HARD_STATE } from '../core/types';
import { crc32c } from './crc32c';
import { prefixed, writeBatch, type Op, type RawDb } from './level-batch';
import type { ConfState, Entry, EntryType, HardState, InitialState, Snapshot, SnapshotMeta } from '../core/types';
import {
  CompactedError,
  EMPTY_CONF_STATE,
  SnapshotOutOfDateError,
  StorageError,
  UnavailableError,
} from './storage';
import type { PersistBatch, WritableStorage } from './storage';

/*
 * On-disk layout (one LevelDB database per node; every key and value is raw bytes):
 *
 *   meta/format    msgpack 2                        layout version; refuse to open anything else
 *   meta/identity  C(msgpack {clusterId, nodeId})   whose data dir this is; set when it is created
 *   meta/hardState C(msgpack {term, vote, commit})
 *   meta/logStart  C(msgpack {index, term})         the entry just before the first stored entry
 *   snap/meta      C(msgpack {index, term, confState, dataCrc})
 *   snap/data      raw bytes                        opaque state machine snapshot; CRC-32C in meta
 *   log/<index>    C(msgpack [index, term, typeCode, data]); <index> = 8 bytes big-endian
 *
 * C(x) is x behind its CRC-32C (4 bytes, big-endian), checked on every read: a flipped bit
 * stops the node with the key named instead of being applied (format 1 had no checksums).
 *
 * Invariants (checked at open): logStart.index <= snap.index <= lastIndex, and the log holds
 * exactly the indexes (logStart.index, lastIndex] with no gap. Log values are tuples rather than
 * maps because they are the hot path: several per fsync, tens of thousands per second.
 */

const FORMAT_VERSION = 2;
const CRC_BYTES = 4;
const INDEX_KEY_BYTES = 8;
const TWO_POW_32 = 0x1_0000_0000;

/** Sublevel names; a change here orphans existing data, so they are part of the format. */
const META = 'meta';
const SNAP = 'snap';
const LOG = 'log';

const utf8 = new TextEncoder();
const META_FORMAT = utf8.encode('format');
const META_IDENTITY = utf8.encode('identity');
const META_HARD_STATE = utf8.encode('hardState');
const META_LOG_START = utf8.encode('logStart');
const SNAP_META = utf8.encode('meta');
const SNAP_DATA = utf8.encode('data');

/** Entry types on disk, by position: a small integer, since the string would dominate small entries. */
const ENTRY_TYPES: readonly EntryType[] = ['normal', 'confChange'];

/** Mirror arrays shed their compacted prefix once it is this long and half the array. */
const MIN_HEAD_TO_RECLAIM = 4096;

/** Position just before the first stored log entry: (0, 0) until the first compaction. */
interface LogStart {
  readonly index: number;
  readonly term: number;
}

function openSublevel(db: RawDb, name: string) {
  return db.sublevel<Uint8Array, Uint8Array>(name, { keyEncoding: 'view', valueEncoding: 'view' });
}
type Sublevel = ReturnType<typeof openSublevel>;

const EMPTY_DATA = new Uint8Array(0);
const EMPTY_SNAPSHOT: Snapshot = Object.freeze({
  meta: Object.freeze({ index: 0, term: 0, confState: EMPTY_CONF_STATE }),
  data: EMPTY_DATA,
});

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

/** The owner of a data dir: the cluster and the node it belongs to. */
export interface DataDirIdentity {
  readonly clusterId: string;
  readonly nodeId: string;
}

/** The data dir belongs to another node or cluster (see {@link LevelStorageOptions.identity}). */
export class DataDirIdentityError extends StorageError {
  constructor(
    readonly dir: string,
    readonly stored: DataDirIdentity,
    readonly expected: DataDirIdentity,
  ) {
    super(
      `data dir ${dir} belongs to node "${stored.nodeId}" of cluster "${stored.clusterId}", ` +
        `not to node "${expected.nodeId}" of cluster "${expected.clusterId}": refusing to start on it ` +
        `(check --data-dir, --id and --cluster-id)`,
    );
  }
}

/**
 * The LevelDB key of log entry `index`: 8 bytes, big-endian, so byte order is log order.
 * Exported for tools and tests that inspect a data directory.
 */
export function encodeIndexKey(index: number): Uint8Array {
  assertIndex(index, 'log index');
  const high = Math.floor(index / TWO_POW_32);
  const low = index >>> 0;
  const key = new Uint8Array(INDEX_KEY_BYTES);
  key[0] = high >>> 24;
  key[1] = (high >>> 16) & 0xff;
  key[2] = (high >>> 8) & 0xff;
  key[3] = high & 0xff;
  key[4] = low >>> 24;
  key[5] = (low >>> 16) & 0xff;
  key[6] = (low >>> 8) & 0xff;
  key[7] = low & 0xff;
  return key;
}

/** Inverse of {@link encodeIndexKey}; undefined when `key` is not a valid index key. */
export function decodeIndexKey(key: Uint8Array): number | undefined {
  if (key.byteLength !== INDEX_KEY_BYTES) return undefined;
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  const index = view.getUint32(0) * TWO_POW_32 + view.getUint32(4);
  return Number.isSafeInteger(index) ? index : undefined;
}

/** How a log key appears in error messages: `log/00000000000000ab (index 171)`. */
function describeLogKey(key: Uint8Array): string {
  const hex = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex');
  const index = decodeIndexKey(key);
  return index === undefined ? `${LOG}/${hex}` : `${LOG}/${hex} (index ${index})`;
}

function describeIndex(index: number): string {
  return describeLogKey(encodeIndexKey(index));
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
      const loaded = await load(db, metaDb, snapDb, logDb);
      if (options.identity !== undefined) await claimIdentity(dir, db, metaDb, loaded, options.identity);
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

function putOp(sublevel: Sublevel, key: Uint8Array, value: Uint8Array): Op {
  return { type: 'put', sublevel, key, value };
}


// ---------------------------------------------------------------------------------------------
// Encoding and loading

/** Standard MessagePack (no records, no shared structures), so the bytes never depend on state. */
const packr = new Packr({ useRecords: false });

function pack(value: unknown): Uint8Array {
  return packr.pack(value);
}

/** `payload` behind its CRC-32C: what every checksummed record holds. */
function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(CRC_BYTES + payload.byteLength);
  new DataView(out.buffer, out.byteOffset, CRC_BYTES).setUint32(0, crc32c(payload));
  out.set(payload, CRC_BYTES);
  return out;
}

function packFramed(value: unknown): Uint8Array {
  return frame(packr.pack(value));
}

/** The payload of a framed record; a StorageError naming the key when its checksum does not match. */
function unframe(keyName: string, bytes: Uint8Array): Uint8Array {
  if (bytes.byteLength < CRC_BYTES) {
    throw new StorageError(`corrupt record ${keyName}: ${bytes.byteLength} bytes, too short for its checksum`);
  }
  const stored = new DataView(bytes.buffer, bytes.byteOffset, CRC_BYTES).getUint32(0);
  const payload = bytes.subarray(CRC_BYTES);
  const actual = crc32c(payload);
  if (stored !== actual) {
    throw new StorageError(
      `corrupt record ${keyName}: checksum mismatch (stored ${hex32(stored)}, computed ${hex32(actual)}); ` +
        'refusing to load a damaged log',
    );
  }
  return payload;
}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/**
 * One stored log record's value decoded and checked, as `open` reads it; throws StorageError
 * naming `keyName` for anything else. Exported for tools and the fuzzer.
 */
export function decodeLogRecord(bytes: Uint8Array, keyName = 'log record'): Entry {
  return decodeRecord(keyName, bytes, decodeEntry);
}

/** The stored value of one log entry (see the layout above). Exported for tools and the fuzzer. */
export function encodeLogRecord(entry: Entry): Uint8Array {
  return encodeEntry(entry);
}

function encodeEntry(entry: Entry): Uint8Array {
  return packFramed([entry.index, entry.term, entry.type === 'normal' ? 0 : 1, entry.data]);
}

interface Loaded {
  readonly hardState: HardState;
  readonly snapshot: Snapshot;
  readonly logStart: LogStart;
  readonly entries: Entry[];
  readonly identity: DataDirIdentity | undefined;
}

/** Thrown by the decoders; turned into a StorageError that names the key. */
class CorruptRecord extends Error {}

function corrupt(what: string): never {
  throw new CorruptRecord(what);
}

/**
 * Check the checksum of the framed record `bytes` stored under `keyName` and decode it, turning
 * any failure into a StorageError naming it.
 */
function decodeRecord<T>(keyName: string, bytes: Uint8Array, decode: (value: unknown) => T): T {
  const payload = unframe(keyName, bytes);
  try {
    return decode(packr.unpack(payload));
  } catch (err) {
    throw new StorageError(`corrupt record ${keyName}: ${errorMessage(err)}`, { cause: err });
  }
}

async function load(
  db: RawDb,
  metaDb: Sublevel,
  snapDb: Sublevel,
  logDb: Sublevel,
): Promise<Loaded> {
  const [formatBytes, hsBytes, startBytes, identityBytes] = await metaDb.getMany([
    META_FORMAT,
    META_HARD_STATE,
    META_LOG_START,
    META_IDENTITY,
  ]);
  const [snapMetaBytes, snapData] = await snapDb.getMany([SNAP_META, SNAP_DATA]);

  if (formatBytes === undefined) {
    const anyKey = await db.keys({ limit: 1 }).all();
    if (anyKey.length > 0) throw new StorageError(`${META}/format is missing from a non-empty database`);
    await db.batch([putOp(metaDb, META_FORMAT, pack(FORMAT_VERSION))], { sync: true });
  } else {
    // Unframed, so that every build can read it and refuse a format it does not know.
    let format: unknown;
    try {
      format = packr.unpack(formatBytes);
    } catch (err) {
      throw new StorageError(`corrupt record ${META}/format: ${errorMessage(err)}`, { cause: err });
    }
    if (format !== FORMAT_VERSION) {
      const hint =
        format === 1
          ? ' (format 1 was written before records carried checksums; remove this member with `lockctl members remove`, ' +
            'empty its data dir and add it again with --join, so it copies a checked log from the leader)'
          : '';
      throw new StorageError(`${META}/format is ${String(format)}; this build reads format ${FORMAT_VERSION}${hint}`);
    }
  }

  const hardState =
    hsBytes === undefined ? EMPTY_HARD_STATE : decodeRecord(`${META}/hardState`, hsBytes, decodeHardState);
  const logStart: LogStart =
    startBytes === undefined ? { index: 0, term: 0 } : decodeRecord(`${META}/logStart`, startBytes, decodeLogStart);

  let snapshot = EMPTY_SNAPSHOT;
  if (snapMetaBytes !== undefined) {
    const { dataCrc, ...meta } = decodeRecord(`${SNAP}/meta`, snapMetaBytes, decodeSnapshotMeta);
    if (snapData === undefined) throw new StorageError(`${SNAP}/data is missing for the snapshot at ${meta.index}`);
    const actual = crc32c(snapData);
    if (actual !== dataCrc) {
      throw new StorageError(
        `corrupt record ${SNAP}/data of the snapshot at index ${meta.index}: checksum mismatch ` +
          `(stored ${hex32(dataCrc)}, computed ${hex32(actual)}); refusing to load a damaged snapshot`,
      );
    }
    snapshot = { meta, data: asUint8Array(snapData) };
  } else if (snapData !== undefined) {
    throw new StorageError(`${SNAP}/data is present without ${SNAP}/meta`);
  }
  if (logStart.index > snapshot.meta.index) {
    throw new StorageError(
      `${META}/logStart index ${logStart.index} is past the snapshot index ${snapshot.meta.index}`,
    );
  }

  const entries: Entry[] = [];
  let expected = logStart.index + 1;
  let prevTerm = logStart.term;
  const it = logDb.iterator();
  try {
    for (;;) {
      const chunk = await it.nextv(1024);
      if (chunk.length === 0) break;
      for (const [key, value] of chunk) {
        const name = describeLogKey(key);
        const index = decodeIndexKey(key);
        if (index === undefined) throw new StorageError(`malformed log key ${name}`);
        if (index < expected) {
          throw new StorageError(`stale log entry ${name}: the log starts after ${META}/logStart index ${logStart.index}`);
        }
        if (index > expected) {
          throw new StorageError(`log gap: ${describeIndex(expected)} is missing; the next stored key is ${name}`);
        }
        const entry = decodeRecord(name, value, decodeEntry);
        if (entry.index !== index) throw new StorageError(`corrupt record ${name}: it holds index ${entry.index}`);
        if (entry.term < prevTerm) {
          throw new StorageError(`corrupt record ${name}: term ${entry.term} is below the previous term ${prevTerm}`);
        }
        prevTerm = entry.term;
        entries.push(entry);
        expected++;
      }
    }
  } finally {
    await it.close();
  }

  const lastIndex = expected - 1;
  const snapIndex = snapshot.meta.index;
  if (snapIndex > lastIndex) {
    throw new StorageError(`log ends at ${lastIndex}, before the snapshot index ${snapIndex}; ${describeIndex(lastIndex + 1)} is missing`);
  }
  const snapTerm = snapIndex === logStart.index ? logStart.term : entries[snapIndex - logStart.index - 1]?.term;
  if (snapTerm !== snapshot.meta.term) {
    throw new StorageError(`${SNAP}/meta term ${snapshot.meta.term} disagrees with the log term ${String(snapTerm)} at ${snapIndex}`);
  }
  const identity =
    identityBytes === undefined ? undefined : decodeRecord(`${META}/identity`, identityBytes, decodeIdentity);
  return { hardState, snapshot, logStart, entries, identity };
}

/**
 * Refuse a data dir recorded as another node's or cluster's; record `expected` in one that has
 * no identity yet (a new one, or one created by a caller that passed none).
 */
async function claimIdentity(dir: string, db: RawDb, metaDb: Sublevel, loaded: Loaded, expected: DataDirIdentity): Promise<void> {
  const stored = loaded.identity;
  if (stored !== undefined) {
    if (stored.clusterId !== expected.clusterId || stored.nodeId !== expected.nodeId) {
      throw new DataDirIdentityError(dir, stored, expected);
    }
    return;
  }
  const value = { clusterId: expected.clusterId, nodeId: expected.nodeId };
  await db.batch([putOp(metaDb, META_IDENTITY, packFramed(value))], { sync: true });
}

function decodeIdentity(value: unknown): DataDirIdentity {
  const { clusterId, nodeId } = asRecord(value);
  if (typeof clusterId !== 'string' || typeof nodeId !== 'string') corrupt('expected {clusterId, nodeId}');
  return { clusterId, nodeId };
}

function decodeEntry(value: unknown): Entry {
  if (!Array.isArray(value) || value.length !== 4) corrupt('expected [index, term, type, data]');
  const [index, term, typeCode, data] = value as unknown[];
  if (!isIndex(index) || !isIndex(term)) corrupt('index and term must be non-negative safe integers');
  const type = typeof typeCode === 'number' ? ENTRY_TYPES[typeCode] : undefined;
  if (type === undefined) corrupt(`unknown entry type code ${String(typeCode)}`);
  if (!(data instanceof Uint8Array)) corrupt('data must be bytes');
  return { term, index, type, data: asUint8Array(data) };
}

function decodeHardState(value: unknown): HardState {
  const { term, vote, commit } = asRecord(value);
  if (!isIndex(term) || !isIndex(commit) || typeof vote !== 'string') corrupt('expected {term, vote, commit}');
  return { term, vote, commit };
}

function decodeLogStart(value: unknown): LogStart {
  const { index, term } = asRecord(value);
  if (!isIndex(index) || !isIndex(term)) corrupt('expected {index, term}');
  return { index, term };
}

function decodeSnapshotMeta(value: unknown): SnapshotMeta & { readonly dataCrc: number } {
  const { index, term, confState, dataCrc } = asRecord(value);
  if (!isIndex(index) || !isIndex(term)) corrupt('expected {index, term, confState, dataCrc}');
  if (!isIndex(dataCrc) || dataCrc > 0xffffffff) corrupt('dataCrc must be a 32-bit checksum');
  const { voters, learners } = asRecord(confState);
  if (!isStringArray(voters) || !isStringArray(learners)) corrupt('confState must hold string arrays');
  return { index, term, confState: { voters, learners }, dataCrc };
}

function asRecord(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) corrupt('expected a map');
  return value as Record<string, unknown>;
}

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/** LevelDB and msgpackr hand out Buffers; readers get plain Uint8Arrays, as they were written. */
function asUint8Array(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// ---------------------------------------------------------------------------------------------
// Boundary assertions: the core is trusted, but a bad index must never reach the disk.

// Hot paths (term, entries, every persisted entry) test first and build a message only on failure.

function assertIndex(value: number, what: string): void {
  if (!isIndex(value)) assert.fail(`${what} must be a non-negative safe integer, got ${value}`);
}

function assertEntry(entry: Entry): void {
  if (!isIndex(entry.index) || !isIndex(entry.term) || entry.index < 1 || entry.term < 1) {
    assert.fail(`entry index and term must be safe integers >= 1, got index ${entry.index} term ${entry.term}`);
  }
  if (entry.type !== 'normal' && entry.type !== 'confChange') {
    assert.fail(`entry ${entry.index} has unknown type ${String(entry.type)}`);
  }
  if (!(entry.data instanceof Uint8Array)) assert.fail(`entry ${entry.index} data must be a Uint8Array`);
}

function assertHardState(hs: HardState): void {
  assertIndex(hs.term, 'hardState.term');
  assertIndex(hs.commit, 'hardState.commit');
  assert(typeof hs.vote === 'string', 'hardState.vote must be a string');
}

function assertSnapshotMeta(meta: SnapshotMeta): void {
  assertIndex(meta.index, 'snapshot index');
  assertIndex(meta.term, 'snapshot term');
  assertConfState(meta.confState, 'snapshot confState');
}

function assertConfState(cs: ConfState, what: string): void {
  assert(isStringArray(cs.voters) && isStringArray(cs.learners), `${what} must hold string arrays`);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
