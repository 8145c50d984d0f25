/**
 * Opening a LevelStorage database: read every record into memory, checking the format, the
 * checksums and the log's invariants (see level-layout.ts), and claim the data dir's identity.
 * A damaged log stops the node with the key named; it is never silently truncated. The database
 * is reached only through {@link LoadSource}, so this holds no LevelDB handle of its own.
 */
import type { Entry, HardState, Snapshot } from '../core/types';
import { EMPTY_HARD_STATE } from '../core/types';
import { crc32c } from './crc32c';
import {
  type DataDirIdentity,
  decodeIndexKey,
  describeIndex,
  describeLogKey,
  FORMAT_VERSION,
  type LogStart,
  META,
  META_FORMAT,
  META_HARD_STATE,
  META_IDENTITY,
  META_LOG_START,
  SNAP,
  SNAP_DATA,
  SNAP_META,
} from './level-layout';
import {
  asUint8Array,
  decodeEntry,
  decodeHardState,
  decodeIdentity,
  decodeLogStart,
  decodeRecord,
  decodeSnapshotMeta,
  errorMessage,
  hex32,
  pack,
  packFramed,
  unpack,
} from './level-records';
import { EMPTY_CONF_STATE, StorageError } from './storage';

/** The reads of one sublevel that loading needs (a `level` sublevel with byte keys has them). */
export interface RecordReader {
  getMany(keys: Uint8Array[]): Promise<(Uint8Array | undefined)[]>;
}

/** Iteration of the log sublevel in key order, in chunks. */
export interface LogReader {
  iterator(): { nextv(size: number): Promise<Array<[Uint8Array, Uint8Array]>>; close(): Promise<void> };
}

/** The database as loading sees it. */
export interface LoadSource {
  readonly meta: RecordReader;
  readonly snap: RecordReader;
  readonly log: LogReader;
  /** Whether the database holds any key at all. */
  hasAnyKey(): Promise<boolean>;
  /** Writes one record of the meta sublevel in its own synced batch. */
  putMeta(key: Uint8Array, value: Uint8Array): Promise<void>;
}

const EMPTY_DATA = new Uint8Array(0);
const EMPTY_SNAPSHOT: Snapshot = Object.freeze({
  meta: Object.freeze({ index: 0, term: 0, confState: EMPTY_CONF_STATE }),
  data: EMPTY_DATA,
});

/** The data dir belongs to another node or cluster (see `LevelStorageOptions.identity` in level-storage.ts). */
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

/** Everything durable, as `load` found it. */
export interface Loaded {
  readonly hardState: HardState;
  readonly snapshot: Snapshot;
  readonly logStart: LogStart;
  readonly entries: Entry[];
  readonly identity: DataDirIdentity | undefined;
}

export async function load(source: LoadSource): Promise<Loaded> {
  const [formatBytes, hsBytes, startBytes, identityBytes] = await source.meta.getMany([
    META_FORMAT,
    META_HARD_STATE,
    META_LOG_START,
    META_IDENTITY,
  ]);
  const [snapMetaBytes, snapData] = await source.snap.getMany([SNAP_META, SNAP_DATA]);
  await checkFormat(source, formatBytes);

  const hardState =
    hsBytes === undefined ? EMPTY_HARD_STATE : decodeRecord(`${META}/hardState`, hsBytes, decodeHardState);
  const logStart: LogStart =
    startBytes === undefined ? { index: 0, term: 0 } : decodeRecord(`${META}/logStart`, startBytes, decodeLogStart);
  const snapshot = loadSnapshot(snapMetaBytes, snapData);
  if (logStart.index > snapshot.meta.index) {
    throw new StorageError(
      `${META}/logStart index ${logStart.index} is past the snapshot index ${snapshot.meta.index}`,
    );
  }
  const entries = await loadLog(source.log, logStart);
  checkSnapshotInLog(snapshot, logStart, entries);
  const identity =
    identityBytes === undefined ? undefined : decodeRecord(`${META}/identity`, identityBytes, decodeIdentity);
  return { hardState, snapshot, logStart, entries, identity };
}

/** Records the format in a new database; refuses one written in a format this build does not read. */
async function checkFormat(source: LoadSource, formatBytes: Uint8Array | undefined): Promise<void> {
  if (formatBytes === undefined) {
    if (await source.hasAnyKey()) throw new StorageError(`${META}/format is missing from a non-empty database`);
    await source.putMeta(META_FORMAT, pack(FORMAT_VERSION));
    return;
  }
  // Unframed, so that every build can read it and refuse a format it does not know.
  let format: unknown;
  try {
    format = unpack(formatBytes);
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

function loadSnapshot(snapMetaBytes: Uint8Array | undefined, snapData: Uint8Array | undefined): Snapshot {
  if (snapMetaBytes === undefined) {
    if (snapData !== undefined) throw new StorageError(`${SNAP}/data is present without ${SNAP}/meta`);
    return EMPTY_SNAPSHOT;
  }
  const { dataCrc, ...meta } = decodeRecord(`${SNAP}/meta`, snapMetaBytes, decodeSnapshotMeta);
  if (snapData === undefined) throw new StorageError(`${SNAP}/data is missing for the snapshot at ${meta.index}`);
  const actual = crc32c(snapData);
  if (actual !== dataCrc) {
    throw new StorageError(
      `corrupt record ${SNAP}/data of the snapshot at index ${meta.index}: checksum mismatch ` +
        `(stored ${hex32(dataCrc)}, computed ${hex32(actual)}); refusing to load a damaged snapshot`,
    );
  }
  return { meta, data: asUint8Array(snapData) };
}

/** Every stored entry after `logStart`, checked to be contiguous, in order and non-decreasing in term. */
async function loadLog(logDb: LogReader, logStart: LogStart): Promise<Entry[]> {
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
  return entries;
}

/** The log must reach the snapshot's index and agree with its term there. */
function checkSnapshotInLog(snapshot: Snapshot, logStart: LogStart, entries: readonly Entry[]): void {
  const lastIndex = logStart.index + entries.length;
  const snapIndex = snapshot.meta.index;
  if (snapIndex > lastIndex) {
    throw new StorageError(`log ends at ${lastIndex}, before the snapshot index ${snapIndex}; ${describeIndex(lastIndex + 1)} is missing`);
  }
  const snapTerm = snapIndex === logStart.index ? logStart.term : entries[snapIndex - logStart.index - 1]?.term;
  if (snapTerm !== snapshot.meta.term) {
    throw new StorageError(`${SNAP}/meta term ${snapshot.meta.term} disagrees with the log term ${String(snapTerm)} at ${snapIndex}`);
  }
}

/**
 * Refuse a data dir recorded as another node's or cluster's; record `expected` in one that has
 * no identity yet (a new one, or one created by a caller that passed none).
 */
export async function claimIdentity(dir: string, source: LoadSource, loaded: Loaded, expected: DataDirIdentity): Promise<void> {
  const stored = loaded.identity;
  if (stored !== undefined) {
    if (stored.clusterId !== expected.clusterId || stored.nodeId !== expected.nodeId) {
      throw new DataDirIdentityError(dir, stored, expected);
    }
    return;
  }
  const value = { clusterId: expected.clusterId, nodeId: expected.nodeId };
  await source.putMeta(META_IDENTITY, packFramed(value));
}
