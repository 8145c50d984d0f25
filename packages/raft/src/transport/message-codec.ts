/**
 * The payload codec of the gRPC transport: a batch of Raft messages as one MessagePack array.
 *
 * The bytes are plain MessagePack (`useRecords: false`), so they carry no msgpackr-specific
 * shared structures and stay readable across msgpackr versions and by other implementations.
 * Decoding is the trust boundary of the transport: whatever a peer (or anything that can reach
 * the port) sends is validated here before the core sees it, because the core asserts on its
 * inputs and a malformed message from the wire must never turn into a crash of this node.
 */
import { Packr } from 'msgpackr';

import type { Message, MessageType } from '../core/types';

// One instance for the whole process: pack/unpack are synchronous and, without records, keep no
// state between calls that could leak from one batch into another.
const packr = new Packr({ useRecords: false });

/**
 * A payload that is not a MessagePack array at all. The sender is not speaking this protocol (or
 * the bytes were corrupted), so the stream it came on should not be trusted any further.
 */
export class MessageDecodeError extends Error {
  override readonly name = 'MessageDecodeError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Encodes a batch of messages as one MessagePack array.
 *
 * The returned Buffer may be a view into a slab that msgpackr shares between calls; later calls
 * never overwrite it, but callers must not mutate it.
 */
export function encodeMessages(messages: readonly Message[]): Buffer {
  return packr.pack(messages);
}

/** Called for each element of a decoded batch that is not a valid message; it is then dropped. */
export type InvalidMessageHandler = (reason: string, position: number) => void;

/**
 * Decodes a payload produced by {@link encodeMessages} and validates every element.
 *
 * Throws {@link MessageDecodeError} when the payload is not a MessagePack array. Elements that
 * are not valid messages are reported to `onInvalid` and left out; the rest keep their order.
 * Byte fields (`Entry.data`, `SnapshotChunk.data`) are Buffers that are views into `payload`
 * (no copy): the caller must not reuse `payload`'s memory while the messages are alive.
 */
export function decodeMessages(payload: Uint8Array, onInvalid: InvalidMessageHandler): Message[] {
  let decoded: unknown;
  try {
    decoded = packr.unpack(payload);
  } catch (err) {
    throw new MessageDecodeError(`payload of ${payload.length} bytes is not MessagePack: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  if (!Array.isArray(decoded)) {
    throw new MessageDecodeError(`payload decodes to ${describe(decoded)}, not an array of messages`);
  }
  const items: unknown[] = decoded;
  // The common case is an all-valid batch: return the decoded array itself instead of copying it.
  let valid: Message[] | null = null;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const reason = validateMessage(item);
    if (reason === null) {
      if (valid !== null) valid.push(item as Message);
      continue;
    }
    onInvalid(reason, i);
    if (valid === null) valid = items.slice(0, i) as Message[];
  }
  return valid ?? (items as Message[]);
}

/**
 * Checks that `value` has the shape of a {@link Message}: a known `type`, string ids, safe
 * non-negative integers where the type has numbers, booleans, strings and byte arrays where it has
 * those. Returns why it is invalid, or null when it is valid. Unknown extra fields are tolerated
 * (a newer peer may add some).
 */
export function validateMessage(value: unknown): string | null {
  if (!isRecord(value)) return `message is ${describe(value)}, not an object`;
  const type = value['type'];
  if (typeof type !== 'string' || !isMessageType(type)) return `unknown message type ${describe(type)}`;
  if (typeof value['from'] !== 'string') return `${type}: from is ${describe(value['from'])}, not a string`;
  if (typeof value['to'] !== 'string') return `${type}: to is ${describe(value['to'])}, not a string`;
  const common = checkIndex(value, type, 'term');
  if (common !== null) return common;
  switch (type) {
    case 'app':
      return (
        checkIndex(value, type, 'index') ??
        checkIndex(value, type, 'logTerm') ??
        checkIndex(value, type, 'commit') ??
        checkEntries(value['entries'])
      );
    case 'appResp':
      return (
        checkIndex(value, type, 'index') ??
        checkBoolean(value, type, 'reject') ??
        checkIndex(value, type, 'hintIndex') ??
        checkIndex(value, type, 'hintTerm')
      );
    case 'vote':
    case 'preVote':
      return (
        checkIndex(value, type, 'lastIndex') ??
        checkIndex(value, type, 'lastTerm') ??
        checkBoolean(value, type, 'transfer')
      );
    case 'voteResp':
    case 'preVoteResp':
      return checkBoolean(value, type, 'reject');
    case 'heartbeat':
      return checkIndex(value, type, 'commit') ?? checkString(value, type, 'ctx');
    case 'heartbeatResp':
      return checkString(value, type, 'ctx');
    case 'snap':
      return (
        checkSnapshotMeta(value['meta']) ??
        checkIndex(value, type, 'offset') ??
        checkIndex(value, type, 'totalBytes') ??
        checkBytes(value, type, 'data') ??
        checkBoolean(value, type, 'done')
      );
    case 'snapResp':
      return (
        checkIndex(value, type, 'snapIndex') ??
        checkIndex(value, type, 'nextOffset') ??
        checkBoolean(value, type, 'reject') ??
        checkIndex(value, type, 'index')
      );
    case 'timeoutNow':
      return null;
    default:
      return assertNever(type);
  }
}

/**
 * A cheap upper-bound-ish estimate of a message's encoded size, for bounding send queues without
 * encoding twice. Only the byte payloads matter at scale; the fixed parts are a rough constant.
 */
export function estimateMessageBytes(message: Message): number {
  switch (message.type) {
    case 'app': {
      let bytes = 96;
      for (const entry of message.entries) bytes += 32 + entry.data.byteLength;
      return bytes;
    }
    case 'snap':
      return (
        160 +
        message.data.byteLength +
        16 * (message.meta.confState.voters.length + message.meta.confState.learners.length)
      );
    default:
      return 96;
  }
}

// A Record<MessageType, true> makes the compiler flag a message type added to types.ts but
// forgotten here (and in the switch above, through assertNever).
const MESSAGE_TYPES: Readonly<Record<MessageType, true>> = {
  app: true,
  appResp: true,
  vote: true,
  preVote: true,
  voteResp: true,
  preVoteResp: true,
  heartbeat: true,
  heartbeatResp: true,
  snap: true,
  snapResp: true,
  timeoutNow: true,
};

function isMessageType(type: string): type is MessageType {
  return Object.prototype.hasOwnProperty.call(MESSAGE_TYPES, type);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

/** Terms, indexes, offsets and sizes: the core asserts they are safe non-negative integers. */
function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function checkIndex(obj: Record<string, unknown>, type: string, field: string): string | null {
  const v = obj[field];
  return isIndex(v) ? null : `${type}: ${field} is ${describe(v)}, not a safe non-negative integer`;
}

function checkBoolean(obj: Record<string, unknown>, type: string, field: string): string | null {
  const v = obj[field];
  return typeof v === 'boolean' ? null : `${type}: ${field} is ${describe(v)}, not a boolean`;
}

function checkString(obj: Record<string, unknown>, type: string, field: string): string | null {
  const v = obj[field];
  return typeof v === 'string' ? null : `${type}: ${field} is ${describe(v)}, not a string`;
}

function checkBytes(obj: Record<string, unknown>, type: string, field: string): string | null {
  const v = obj[field];
  return v instanceof Uint8Array ? null : `${type}: ${field} is ${describe(v)}, not bytes`;
}

function checkEntries(entries: unknown): string | null {
  if (!Array.isArray(entries)) return `app: entries is ${describe(entries)}, not an array`;
  const list: unknown[] = entries;
  for (let i = 0; i < list.length; i++) {
    const entry = list[i];
    if (!isRecord(entry)) return `app: entries[${i}] is ${describe(entry)}, not an object`;
    const where = `app: entries[${i}]`;
    const reason = checkIndex(entry, where, 'term') ?? checkIndex(entry, where, 'index') ?? checkBytes(entry, where, 'data');
    if (reason !== null) return reason;
    const entryType = entry['type'];
    if (entryType !== 'normal' && entryType !== 'confChange') {
      return `${where}: type is ${describe(entryType)}, not 'normal' or 'confChange'`;
    }
  }
  return null;
}

function checkSnapshotMeta(meta: unknown): string | null {
  if (!isRecord(meta)) return `snap: meta is ${describe(meta)}, not an object`;
  const reason = checkIndex(meta, 'snap: meta', 'index') ?? checkIndex(meta, 'snap: meta', 'term');
  if (reason !== null) return reason;
  const conf = meta['confState'];
  if (!isRecord(conf)) return `snap: meta.confState is ${describe(conf)}, not an object`;
  for (const field of ['voters', 'learners'] as const) {
    const ids = conf[field];
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
      return `snap: meta.confState.${field} is ${describe(ids)}, not an array of node ids`;
    }
  }
  return null;
}

/** A short, bounded description of an untrusted value for log and error messages. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof Uint8Array) return `${value.byteLength} bytes`;
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return String(value);
    default:
      return `a${typeof value === 'object' ? 'n' : ''} ${typeof value}`;
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function assertNever(value: never): never {
  throw new Error(`unhandled message type ${String(value)}`);
}
