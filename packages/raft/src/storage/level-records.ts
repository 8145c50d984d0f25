/**
 * The bytes of LevelStorage's records (see level-layout.ts): checksummed MessagePack, encoded
 * and decoded. Pure; every decoding failure becomes a StorageError naming the key.
 */
import { Packr } from 'msgpackr';
import type { Entry, EntryType, HardState, SnapshotMeta } from '../core/types';
import { crc32c } from './crc32c';
import type { DataDirIdentity, LogStart } from './level-layout';
import { isIndex, isStringArray } from './storage-assertions';
import { StorageError } from './storage';

const CRC_BYTES = 4;

/** Entry types on disk, by position: a small integer, since the string would dominate small entries. */
const ENTRY_TYPES: readonly EntryType[] = ['normal', 'confChange'];

/** Standard MessagePack (no records, no shared structures), so the bytes never depend on state. */
const packr = new Packr({ useRecords: false });

export function pack(value: unknown): Uint8Array {
  return packr.pack(value);
}

/** Plain MessagePack, unchecked: only meta/format is stored that way. */
export function unpack(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}

/** `payload` behind its CRC-32C: what every checksummed record holds. */
function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(CRC_BYTES + payload.byteLength);
  new DataView(out.buffer, out.byteOffset, CRC_BYTES).setUint32(0, crc32c(payload));
  out.set(payload, CRC_BYTES);
  return out;
}

export function packFramed(value: unknown): Uint8Array {
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

export function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/**
 * One stored log record's value decoded and checked, as `open` reads it; throws StorageError
 * naming `keyName` for anything else. Exported for tools and the fuzzer.
 */
export function decodeLogRecord(bytes: Uint8Array, keyName = 'log record'): Entry {
  return decodeRecord(keyName, bytes, decodeEntry);
}

/** The stored value of one log entry (see level-layout.ts). Exported for tools and the fuzzer. */
export function encodeLogRecord(entry: Entry): Uint8Array {
  return encodeEntry(entry);
}

export function encodeEntry(entry: Entry): Uint8Array {
  return packFramed([entry.index, entry.term, entry.type === 'normal' ? 0 : 1, entry.data]);
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
export function decodeRecord<T>(keyName: string, bytes: Uint8Array, decode: (value: unknown) => T): T {
  const payload = unframe(keyName, bytes);
  try {
    return decode(packr.unpack(payload));
  } catch (err) {
    throw new StorageError(`corrupt record ${keyName}: ${errorMessage(err)}`, { cause: err });
  }
}

export function decodeIdentity(value: unknown): DataDirIdentity {
  const { clusterId, nodeId } = asRecord(value);
  if (typeof clusterId !== 'string' || typeof nodeId !== 'string') corrupt('expected {clusterId, nodeId}');
  return { clusterId, nodeId };
}

export function decodeEntry(value: unknown): Entry {
  if (!Array.isArray(value) || value.length !== 4) corrupt('expected [index, term, type, data]');
  const [index, term, typeCode, data] = value as unknown[];
  if (!isIndex(index) || !isIndex(term)) corrupt('index and term must be non-negative safe integers');
  const type = typeof typeCode === 'number' ? ENTRY_TYPES[typeCode] : undefined;
  if (type === undefined) corrupt(`unknown entry type code ${String(typeCode)}`);
  if (!(data instanceof Uint8Array)) corrupt('data must be bytes');
  return { term, index, type, data: asUint8Array(data) };
}

export function decodeHardState(value: unknown): HardState {
  const { term, vote, commit } = asRecord(value);
  if (!isIndex(term) || !isIndex(commit) || typeof vote !== 'string') corrupt('expected {term, vote, commit}');
  return { term, vote, commit };
}

export function decodeLogStart(value: unknown): LogStart {
  const { index, term } = asRecord(value);
  if (!isIndex(index) || !isIndex(term)) corrupt('expected {index, term}');
  return { index, term };
}

export function decodeSnapshotMeta(value: unknown): SnapshotMeta & { readonly dataCrc: number } {
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

/** LevelDB and msgpackr hand out Buffers; readers get plain Uint8Arrays, as they were written. */
export function asUint8Array(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
