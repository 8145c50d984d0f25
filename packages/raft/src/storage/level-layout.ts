/*
 * The on-disk format of LevelStorage: what lives under which key, and how log keys are spelled.
 * Pure: nothing here touches the database.
 *
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
import { assertIndex } from './storage-assertions';

export const FORMAT_VERSION = 2;
const INDEX_KEY_BYTES = 8;
const TWO_POW_32 = 0x1_0000_0000;

/** Sublevel names; a change here orphans existing data, so they are part of the format. */
export const META = 'meta';
export const SNAP = 'snap';
export const LOG = 'log';

export const utf8 = new TextEncoder();
export const META_FORMAT = utf8.encode('format');
export const META_IDENTITY = utf8.encode('identity');
export const META_HARD_STATE = utf8.encode('hardState');
export const META_LOG_START = utf8.encode('logStart');
export const SNAP_META = utf8.encode('meta');
export const SNAP_DATA = utf8.encode('data');

/** Position just before the first stored log entry: (0, 0) until the first compaction. */
export interface LogStart {
  readonly index: number;
  readonly term: number;
}

/** The owner of a data dir: the cluster and the node it belongs to. */
export interface DataDirIdentity {
  readonly clusterId: string;
  readonly nodeId: string;
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
export function describeLogKey(key: Uint8Array): string {
  const hex = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex');
  const index = decodeIndexKey(key);
  return index === undefined ? `${LOG}/${hex}` : `${LOG}/${hex} (index ${index})`;
}

export function describeIndex(index: number): string {
  return describeLogKey(encodeIndexKey(index));
}
