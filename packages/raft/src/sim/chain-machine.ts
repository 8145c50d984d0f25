import type { Entry } from '../core/types';

/** The replicated application of the simulation: a hash chain over applied entries. */
export class ChainMachine {
  hash = '0';
  count = 0;

  apply(e: Entry): void {
    this.hash = fnv(`${this.hash}|${e.index}|${Buffer.from(e.data).toString('utf8')}`);
    this.count++;
  }

  snapshot(): Uint8Array {
    return Buffer.from(JSON.stringify({ hash: this.hash, count: this.count }));
  }

  restore(data: Uint8Array): void {
    if (data.byteLength === 0) {
      this.hash = '0';
      this.count = 0;
      return;
    }
    const v = JSON.parse(Buffer.from(data).toString('utf8')) as { hash: string; count: number };
    this.hash = v.hash;
    this.count = v.count;
  }
}

function fnv(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16);
}
