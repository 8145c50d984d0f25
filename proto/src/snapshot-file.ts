/**
 * The backup file `lockctl snapshot save` writes and `quorumlock-server --restore` reads. Shared
 * here because the two ends live in different packages and must agree byte for byte.
 *
 * Layout: the magic line `quorumlock-snapshot 1\n`, a 4-byte big-endian length and that many bytes
 * of JSON header (index, term, members, ...), the snapshot bytes (`header.dataBytes` of them, as
 * the leader's Raft snapshot holds them), and a 32-byte SHA-256 of everything before it. The
 * header is JSON so that `head -c 4096 FILE` tells a person what a file is.
 */
import { createHash } from 'node:crypto';

const MAGIC = Buffer.from('quorumlock-snapshot 1\n', 'latin1');
const LENGTH_BYTES = 4;
const SHA256_BYTES = 32;
/** A header is a few hundred bytes per member; anything near this is not one of ours. */
const MAX_HEADER_BYTES = 16 << 20;

export interface SnapshotFileMember {
  readonly id: string;
  readonly peerAddress: string;
  readonly clientAddress: string;
  readonly voter: boolean;
}

export interface SnapshotFileHeader {
  readonly format: 1;
  readonly clusterId: string;
  readonly index: number;
  readonly term: number;
  readonly members: readonly SnapshotFileMember[];
  /** The node that took the snapshot (the leader then). */
  readonly takenBy: string;
  /** When lockctl saved it (ISO 8601), for people; nothing reads it. */
  readonly savedAt: string;
  readonly dataBytes: number;
}

export interface SnapshotFile {
  readonly header: SnapshotFileHeader;
  readonly data: Uint8Array;
  /** Hex SHA-256 of the file without its last 32 bytes: the checksum it carries. */
  readonly sha256: string;
}

/** A file that is not a readable snapshot; the message names the file and what is wrong. */
export class SnapshotFileError extends Error {
  override readonly name = 'SnapshotFileError';
}

export function encodeSnapshotFile(header: SnapshotFileHeader, data: Uint8Array): { bytes: Buffer; sha256: string } {
  if (header.dataBytes !== data.byteLength) throw new SnapshotFileError(`header says ${header.dataBytes} bytes of data, got ${data.byteLength}`);
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(LENGTH_BYTES);
  length.writeUInt32BE(json.byteLength);
  const body = Buffer.concat([MAGIC, length, json, data]);
  const digest = createHash('sha256').update(body).digest();
  return { bytes: Buffer.concat([body, digest]), sha256: digest.toString('hex') };
}

/** Parses and verifies a snapshot file's bytes; `name` (its path) goes into every error. */
export function decodeSnapshotFile(bytes: Uint8Array, name: string): SnapshotFile {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (why: string): never => {
    throw new SnapshotFileError(`snapshot file ${name}: ${why}`);
  };
  if (buf.byteLength < MAGIC.byteLength || !buf.subarray(0, MAGIC.byteLength).equals(MAGIC)) {
    fail(`not a quorumlock snapshot (it does not start with ${JSON.stringify(MAGIC.toString('latin1'))}; written by \`lockctl snapshot save\`?)`);
  }
  if (buf.byteLength < MAGIC.byteLength + LENGTH_BYTES + SHA256_BYTES) fail(`truncated: ${buf.byteLength} bytes`);
  const body = buf.subarray(0, buf.byteLength - SHA256_BYTES);
  const stored = buf.subarray(buf.byteLength - SHA256_BYTES).toString('hex');
  const actual = createHash('sha256').update(body).digest('hex');
  if (stored !== actual) fail(`checksum mismatch: the file carries SHA-256 ${stored}, its contents hash to ${actual} (damaged or truncated)`);
  const headerBytes = body.readUInt32BE(MAGIC.byteLength);
  const headerStart = MAGIC.byteLength + LENGTH_BYTES;
  if (headerBytes > MAX_HEADER_BYTES || headerStart + headerBytes > body.byteLength) fail(`header length ${headerBytes} runs past the end of the file`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.subarray(headerStart, headerStart + headerBytes).toString('utf8'));
  } catch (e) {
    fail(`header is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const header = checkHeader(parsed, fail);
  const data = body.subarray(headerStart + headerBytes);
  if (data.byteLength !== header.dataBytes) fail(`header says ${header.dataBytes} bytes of snapshot data, the file has ${data.byteLength}`);
  return { header, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), sha256: stored };
}

function checkHeader(v: unknown, fail: (why: string) => never): SnapshotFileHeader {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail('header is not a JSON object');
  const h = v as Record<string, unknown>;
  if (h['format'] !== 1) fail(`header format ${JSON.stringify(h['format'])} is not 1 (a newer lockctl wrote it?)`);
  for (const f of ['index', 'term', 'dataBytes']) {
    const n = h[f];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) fail(`header field ${f} ${JSON.stringify(n)} is not a non-negative integer`);
  }
  if ((h['index'] as number) < 1) fail('header index 0: an empty snapshot');
  for (const f of ['clusterId', 'takenBy', 'savedAt']) if (typeof h[f] !== 'string') fail(`header field ${f} is not a string`);
  const members = h['members'];
  if (!Array.isArray(members)) return fail('header field members is not a list');
  for (const m of members as unknown[]) {
    const r = m as Record<string, unknown> | null;
    if (typeof r !== 'object' || r === null || typeof r['id'] !== 'string' || typeof r['voter'] !== 'boolean' || typeof r['peerAddress'] !== 'string' || typeof r['clientAddress'] !== 'string') {
      fail(`header member ${JSON.stringify(m)} is not {id, peerAddress, clientAddress, voter}`);
    }
  }
  return v as SnapshotFileHeader;
}
