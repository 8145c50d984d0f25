import { isUtf8 } from 'node:buffer';
import type * as grpc from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';

/**
 * Strict UTF-8 for every `string` field of a request.
 *
 * protobufjs (under proto-loader) decodes `string` fields leniently: each invalid byte sequence
 * becomes U+FFFD, so the bytes `ff fe 41` and `ef bf bd ef bf bd 41` (a real "\ufffd\ufffdA")
 * arrive as the same name, and different byte strings would collapse into one lock. Only the
 * raw message can tell them apart, so the server wraps each method's deserializer: it scans the
 * wire bytes along the message's descriptor, notes every string field that is not valid UTF-8,
 * and the handlers refuse the request (validate.ts) before anything is proposed.
 */

/** A string field whose bytes are not valid UTF-8: its path (e.g. `lock.name`) and the bytes in hex. */
export interface InvalidUtf8 {
  readonly field: string;
  readonly hex: string;
}

const invalid = new WeakMap<object, InvalidUtf8>();

/** The first string field of `decoded` that arrived as invalid UTF-8, if any. */
export function invalidUtf8Of(decoded: unknown): InvalidUtf8 | undefined {
  return typeof decoded === 'object' && decoded !== null ? invalid.get(decoded) : undefined;
}

interface FieldInfo {
  readonly name: string;
  readonly kind: 'string' | 'message' | 'other';
  /** Fully qualified message type name for `message` fields. */
  readonly typeName: string;
}

/** Field number → what the scanner needs to know, per fully qualified message name. */
export type Schema = ReadonlyMap<string, ReadonlyMap<number, FieldInfo>>;

interface DescriptorField {
  name: string;
  number: number;
  type: string;
  typeName: string;
}

/** Builds the scanner's schema from a proto-loader package definition (messages only). */
export function schemaOf(def: PackageDefinition): Schema {
  const out = new Map<string, Map<number, FieldInfo>>();
  for (const [fqName, entry] of Object.entries(def)) {
    const t = (entry as { type?: { field?: DescriptorField[] } }).type;
    const fields = t?.field;
    if (fields === undefined || !('format' in entry) || !String(entry.format).includes('DescriptorProto')) continue;
    const pkg = fqName.slice(0, fqName.lastIndexOf('.'));
    const m = new Map<number, FieldInfo>();
    for (const f of fields) {
      const kind = f.type === 'TYPE_STRING' ? 'string' : f.type === 'TYPE_MESSAGE' ? 'message' : 'other';
      const ref = f.typeName.startsWith('.') ? f.typeName.slice(1) : f.typeName.includes('.') ? f.typeName : `${pkg}.${f.typeName}`;
      m.set(f.number, { name: f.name, kind, typeName: ref });
    }
    out.set(fqName, m);
  }
  // A message field whose type holds no string at any depth (a keepalive's) is skipped like a
  // number: the scan runs on every request, thousands a second on a leader.
  const holdsText = new Set<string>();
  for (let grew = true; grew; ) {
    grew = false;
    for (const [typeName, fields] of out) {
      if (holdsText.has(typeName)) continue;
      for (const f of fields.values()) {
        if (f.kind === 'string' || (f.kind === 'message' && holdsText.has(f.typeName))) {
          holdsText.add(typeName);
          grew = true;
          break;
        }
      }
    }
  }
  for (const fields of out.values()) {
    for (const [num, f] of fields) if (f.kind === 'message' && !holdsText.has(f.typeName)) fields.set(num, { ...f, kind: 'other' });
  }
  return out;
}

class Truncated extends Error {}

/**
 * The first string field of the message `typeName` encoded in `buf[start, end)` whose bytes are
 * not valid UTF-8, or undefined. Malformed wire data is left to the real decoder (which refuses
 * it): the scan then reports nothing.
 */
export function findInvalidUtf8(schema: Schema, typeName: string, buf: Uint8Array, start = 0, end = buf.length, prefix = ''): InvalidUtf8 | undefined {
  try {
    return scan(schema, typeName, buf, start, end, prefix, 0);
  } catch (e) {
    if (e instanceof Truncated) return undefined;
    throw e;
  }
}

function scan(schema: Schema, typeName: string, buf: Uint8Array, start: number, end: number, prefix: string, depth: number): InvalidUtf8 | undefined {
  const fields = schema.get(typeName);
  if (fields === undefined || depth > 32) return undefined;
  let pos = start;
  const varint = (): number => {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw new Truncated();
      const b = buf[pos++] as number;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw new Truncated();
  };
  while (pos < end) {
    const key = varint();
    const num = Math.floor(key / 8);
    const wire = key % 8;
    switch (wire) {
      case 0:
        varint();
        break;
      case 1:
        pos += 8;
        break;
      case 5:
        pos += 4;
        break;
      case 2: {
        const len = varint();
        const from = pos;
        pos += len;
        if (pos > end) throw new Truncated();
        const f = fields.get(num);
        if (f === undefined) break;
        const path = prefix === '' ? f.name : `${prefix}.${f.name}`;
        if (f.kind === 'string') {
          const bytes = buf.subarray(from, pos);
          if (!isUtf8(bytes)) return { field: path, hex: Buffer.from(bytes.subarray(0, 64)).toString('hex') + (len > 64 ? '…' : '') };
        } else if (f.kind === 'message') {
          const bad = scan(schema, f.typeName, buf, from, pos, path, depth + 1);
          if (bad !== undefined) return bad;
        }
        break;
      }
      default:
        throw new Truncated(); // groups (3, 4) and unknown wire types: not in lock.proto
    }
  }
  return undefined;
}

/**
 * A copy of `service` whose request deserializers also record invalid UTF-8 string fields
 * (see `invalidUtf8Of`). Responses and everything else are unchanged.
 */
export function withStrictUtf8(service: grpc.ServiceDefinition, schema: Schema, pkg: string): grpc.ServiceDefinition {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(service) as [string, grpc.MethodDefinition<unknown, unknown> & { requestType?: { type?: { name?: string } } }][]) {
    const reqName = method.requestType?.type?.name;
    const typeName = reqName === undefined ? '' : `${pkg}.${reqName}`;
    const decode = method.requestDeserialize;
    out[name] = {
      ...method,
      requestDeserialize: (buf: Buffer): unknown => {
        const decoded = decode(buf);
        const bad = typeName === '' ? undefined : findInvalidUtf8(schema, typeName, buf);
        if (bad !== undefined && typeof decoded === 'object' && decoded !== null) invalid.set(decoded, bad);
        return decoded;
      },
    };
  }
  return out as grpc.ServiceDefinition;
}
