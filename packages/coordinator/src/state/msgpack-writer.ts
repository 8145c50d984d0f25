/**
 * A MessagePack writer that gives, for the values the snapshot holds (strings, numbers,
 * Uint8Arrays, arrays and plain objects written field by field), exactly the bytes that
 * codec.ts's Packr ({ useRecords: false }) gives, without building the plain structure first:
 * objects are always map16 (0xde), small non-negative integers below 0x80 are positive fixints,
 * other integers take the smallest int/uint of up to 32 bits, everything else is a float64,
 * strings take the header of their UTF-8 length (strings under 64 characters are encoded in
 * JS, longer ones by Buffer, as Packr does) and bytes are bin 8/16/32.
 * codec-snapshot-bytes.test.ts compares it with Packr on many states.
 */

/** Thrown for a value the writer does not encode like Packr; the caller then falls back to Packr. */
export class NotWritable extends Error {
  override readonly name = 'NotWritable';
}

/** A map key: its whole encoding (fixstr of an ASCII name under 32 bytes). */
export function keyBytes(key: string): Uint8Array {
  if (!/^[\x20-\x7e]{0,31}$/.test(key)) throw new Error(`key '${key}' is not a short printable ASCII name`);
  const out = new Uint8Array(key.length + 1);
  out[0] = 0xa0 | key.length;
  for (let i = 0; i < key.length; i++) out[i + 1] = key.charCodeAt(i);
  return out;
}

export class MsgpackWriter {
  private buf: Buffer;
  private view: DataView;
  private pos = 0;

  constructor(sizeHint: number) {
    this.buf = Buffer.allocUnsafe(Math.max(sizeHint, 1024));
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** The bytes written so far (a view of the writer's buffer). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  /** A map16 header, as Packr writes every plain object. */
  map(size: number): void {
    this.room(3);
    const b = this.buf;
    b[this.pos++] = 0xde;
    b[this.pos++] = size >> 8;
    b[this.pos++] = size & 0xff;
  }

  array(length: number): void {
    this.room(5);
    const b = this.buf;
    if (length < 0x10) {
      b[this.pos++] = 0x90 | length;
    } else if (length < 0x10000) {
      b[this.pos++] = 0xdc;
      b[this.pos++] = length >> 8;
      b[this.pos++] = length & 0xff;
    } else {
      b[this.pos++] = 0xdd;
      this.view.setUint32(this.pos, length);
      this.pos += 4;
    }
  }

  key(encoded: Uint8Array): void {
    const n = encoded.length;
    this.room(n);
    const b = this.buf;
    for (let i = 0; i < n; i++) b[this.pos++] = encoded[i] as number;
  }

  /** A string, number or Uint8Array; anything else throws NotWritable. */
  value(v: unknown): void {
    if (typeof v === 'number') this.number(v);
    else if (typeof v === 'string') this.string(v);
    else if (v instanceof Uint8Array) this.binary(v);
    else throw new NotWritable(`a snapshot field holds a ${typeof v}`);
  }

  number(v: number): void {
    this.room(9);
    const b = this.buf;
    if (v >>> 0 === v) {
      if (v < 0x80) {
        b[this.pos++] = v;
      } else if (v < 0x100) {
        b[this.pos++] = 0xcc;
        b[this.pos++] = v;
      } else if (v < 0x10000) {
        b[this.pos++] = 0xcd;
        b[this.pos++] = v >> 8;
        b[this.pos++] = v & 0xff;
      } else {
        b[this.pos++] = 0xce;
        this.view.setUint32(this.pos, v);
        this.pos += 4;
      }
    } else if (v >> 0 === v) {
      if (v >= -0x20) {
        b[this.pos++] = 0x100 + v;
      } else if (v >= -0x80) {
        b[this.pos++] = 0xd0;
        b[this.pos++] = v + 0x100;
      } else if (v >= -0x8000) {
        b[this.pos++] = 0xd1;
        this.view.setInt16(this.pos, v);
        this.pos += 2;
      } else {
        b[this.pos++] = 0xd2;
        this.view.setInt32(this.pos, v);
        this.pos += 4;
      }
    } else {
      b[this.pos++] = 0xcb;
      this.view.setFloat64(this.pos, v);
      this.pos += 8;
    }
  }

  string(s: string): void {
    const chars = s.length;
    const headerSize = chars < 0x20 ? 1 : chars < 0x100 ? 2 : chars < 0x10000 ? 3 : 5;
    this.room(headerSize + chars * 3);
    const b = this.buf;
    const start = this.pos + headerSize;
    let length: number;
    if (chars < 0x40) {
      let p = start;
      for (let i = 0; i < chars; i++) {
        let c1 = s.charCodeAt(i);
        if (c1 < 0x80) {
          b[p++] = c1;
        } else if (c1 < 0x800) {
          b[p++] = (c1 >> 6) | 0xc0;
          b[p++] = (c1 & 0x3f) | 0x80;
        } else {
          const c2 = s.charCodeAt(i + 1);
          if ((c1 & 0xfc00) === 0xd800 && (c2 & 0xfc00) === 0xdc00) {
            // A surrogate pair; a lone surrogate is written like any other 3-byte unit (as Packr does).
            c1 = 0x10000 + ((c1 & 0x03ff) << 10) + (c2 & 0x03ff);
            i++;
            b[p++] = (c1 >> 18) | 0xf0;
            b[p++] = ((c1 >> 12) & 0x3f) | 0x80;
            b[p++] = ((c1 >> 6) & 0x3f) | 0x80;
            b[p++] = (c1 & 0x3f) | 0x80;
          } else {
            b[p++] = (c1 >> 12) | 0xe0;
            b[p++] = ((c1 >> 6) & 0x3f) | 0x80;
            b[p++] = (c1 & 0x3f) | 0x80;
          }
        }
      }
      length = p - start;
    } else {
      length = b.write(s, start, 'utf8');
    }
    // The header goes before the bytes; when the guess from the character count was too small, move them.
    let p = this.pos;
    if (length < 0x20) {
      b[p++] = 0xa0 | length;
    } else if (length < 0x100) {
      if (headerSize < 2) b.copyWithin(p + 2, p + 1, p + 1 + length);
      b[p++] = 0xd9;
      b[p++] = length;
    } else if (length < 0x10000) {
      if (headerSize < 3) b.copyWithin(p + 3, p + 2, p + 2 + length);
      b[p++] = 0xda;
      b[p++] = length >> 8;
      b[p++] = length & 0xff;
    } else {
      if (headerSize < 5) b.copyWithin(p + 5, p + 3, p + 3 + length);
      b[p++] = 0xdb;
      this.view.setUint32(p, length);
      p += 4;
    }
    this.pos = p + length;
  }

  binary(v: Uint8Array): void {
    const length = v.byteLength;
    this.room(length + 5);
    const b = this.buf;
    if (length < 0x100) {
      b[this.pos++] = 0xc4;
      b[this.pos++] = length;
    } else if (length < 0x10000) {
      b[this.pos++] = 0xc5;
      b[this.pos++] = length >> 8;
      b[this.pos++] = length & 0xff;
    } else {
      b[this.pos++] = 0xc6;
      this.view.setUint32(this.pos, length);
      this.pos += 4;
    }
    b.set(v, this.pos);
    this.pos += length;
  }
}
