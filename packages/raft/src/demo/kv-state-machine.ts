import { Packr } from 'msgpackr';
import type { Entry } from '../core/types';
import type { StateMachine } from '../node/state-machine';

const packr = new Packr({ useRecords: false });

/** A put of the demo key-value machine. */
export interface KvPut {
  readonly key: string;
  readonly value: string;
}

export function encodePut(put: KvPut): Uint8Array {
  return packr.pack(put);
}

/**
 * The small replicated application of the Raft demo, test and benchmark: a string map.
 * `digest()` summarizes the state so replicas can be compared across processes.
 */
export class KvStateMachine implements StateMachine<number> {
  private readonly map = new Map<string, string>();
  applied = 0;

  apply(entry: Entry): number {
    const put = packr.unpack(entry.data) as KvPut;
    this.map.set(put.key, put.value);
    this.applied = entry.index;
    return this.map.size;
  }

  get(key: string): string | undefined {
    return this.map.get(key);
  }

  size(): number {
    return this.map.size;
  }

  snapshot(): Uint8Array {
    const entries = [...this.map.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return packr.pack({ applied: this.applied, entries });
  }

  restore(data: Uint8Array): void {
    const v = packr.unpack(data) as { applied: number; entries: [string, string][] };
    this.map.clear();
    for (const [k, val] of v.entries) this.map.set(k, val);
    this.applied = v.applied;
  }

  /** FNV-1a over the sorted contents: equal digests mean equal maps. */
  digest(): string {
    let h = 0x811c9dc5;
    const keys = [...this.map.keys()].sort();
    for (const k of keys) {
      const s = `${k}=${this.map.get(k) ?? ''};`;
      for (let i = 0; i < s.length; i++) {
        h ^= s.charCodeAt(i);
        h = Math.imul(h, 0x01000193);
      }
    }
    return (h >>> 0).toString(16);
  }
}
