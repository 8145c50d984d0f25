import { Packr } from 'msgpackr';
import { type Command, parseCommand, type ParseResult } from './commands';

/**
 * Standard MessagePack with no record extension and no shared structures (STYLE.md 6.1), so
 * the bytes depend only on the value and field order: the same plain value always encodes to
 * the same bytes, which is what makes snapshots comparable across replicas.
 */
const packr = new Packr({ useRecords: false });

export function encodeCommand(command: Command): Uint8Array {
  return packr.pack(command);
}

/**
 * What `decodeCommand` answers: a command, a decodable value that is no valid command, or bytes
 * that are not MessagePack at all (`undecodable`): only a bug or corruption produces those, since
 * every entry is encoded by the leader with `encodeCommand`.
 */
export type DecodeResult = ParseResult | { readonly ok: false; readonly message: string; readonly undecodable: true };

/** Decodes and shape-checks one entry's data; never throws. */
export function decodeCommand(data: Uint8Array): DecodeResult {
  let decoded: unknown;
  try {
    decoded = packr.unpack(asBuffer(data));
  } catch (err) {
    return { ok: false, message: `undecodable command: ${err instanceof Error ? err.message : String(err)}`, undecodable: true };
  }
  return parseCommand(decoded);
}

/** Encodes a plain value (the snapshot structure): no Maps, no undefined, fields in a fixed order. */
export function encodePlain(value: unknown): Uint8Array {
  return packr.pack(value);
}

/** Decodes bytes from `encodePlain`. Binary fields come back as views into `data`: copy what you keep. */
export function decodePlain(data: Uint8Array): unknown {
  return packr.unpack(asBuffer(data));
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
