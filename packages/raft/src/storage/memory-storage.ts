import { assert } from '../core/assert';
import type { ConfState, Entry, HardState, InitialState, Snapshot } from '../core/types';
import { EMPTY_HARD_STATE } from '../core/types';
import { limitSize } from '../core/raft-log';
import {
  CompactedError,
  EMPTY_CONF_STATE,
  SnapshotOutOfDateError,
  UnavailableError,
  type PersistBatch,
  type WritableStorage,
} from './storage';

const EMPTY_SNAPSHOT: Snapshot = { meta: { index: 0, term: 0, confState: EMPTY_CONF_STATE }, data: new Uint8Array(0) };

/**
 * Storage in memory: the reference implementation of the Storage contract, used by the
 * simulator and unit tests. Everything here counts as durable (the simulator models a crash by
 * dropping what the shell had not yet persisted, which never reached this object).
 *
 * The log holds a dummy entry at position 0 for the entry preceding the first stored one, so
 * term(firstIndex - 1) is always answerable (etcd's MemoryStorage does the same).
 */
export class MemoryStorage implements WritableStorage {
  private hard: HardState = EMPTY_HARD_STATE;
  private snap: Snapshot = EMPTY_SNAPSHOT;
  /** ents[0] is the dummy at index firstIndex-1 (data unused). */
  private ents: Entry[] = [{ term: 0, index: 0, type: 'normal', data: new Uint8Array(0) }];
  /** Writes so far, for tests that count batches. */
  persistCount = 0;

  initialState(): InitialState {
    return { hardState: this.hard, confState: this.snap.meta.confState };
  }

  private offset(): number {
    return (this.ents[0] as Entry).index;
  }

  firstIndex(): number {
    return this.offset() + 1;
  }

  lastIndex(): number {
    return this.offset() + this.ents.length - 1;
  }

  term(index: number): number {
    const off = this.offset();
    if (index < off) throw new CompactedError(index, off + 1);
    if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    return (this.ents[index - off] as Entry).term;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    const off = this.offset();
    if (lo <= off) throw new CompactedError(lo, off + 1);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1, this.lastIndex());
    return limitSize(this.ents.slice(lo - off, hi - off), maxBytes);
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Apply a batch as the shell would, synchronously. */
  persistSync(batch: PersistBatch): void {
    this.persistCount++;
    if (batch.snapshot !== null) this.applySnapshot(batch.snapshot);
    if (batch.entries.length > 0) this.append(batch.entries);
    if (batch.hardState !== null) this.hard = batch.hardState;
  }

  persist(batch: PersistBatch): Promise<void> {
    this.persistSync(batch);
    return Promise.resolve();
  }

  private applySnapshot(snap: Snapshot): void {
    if (snap.meta.index <= this.snap.meta.index) throw new SnapshotOutOfDateError(snap.meta.index, this.snap.meta.index);
    this.snap = snap;
    this.ents = [{ term: snap.meta.term, index: snap.meta.index, type: 'normal', data: new Uint8Array(0) }];
  }

  private append(entries: readonly Entry[]): void {
    const first = entries[0] as Entry;
    const off = this.offset();
    // Entries wholly inside the compacted part are already known; skip them.
    if (first.index + entries.length - 1 <= off) return;
    const from = Math.max(first.index, off + 1);
    const kept = entries.slice(from - first.index);
    assert(from <= this.lastIndex() + 1, `append at ${from} leaves a gap after ${this.lastIndex()}`);
    this.ents.length = from - off;
    for (const e of kept) this.ents.push(e);
  }

  compactSync(index: number, confState: ConfState, data: Uint8Array, keepEntries: number): void {
    if (index <= this.snap.meta.index) throw new SnapshotOutOfDateError(index, this.snap.meta.index);
    assert(index <= this.lastIndex(), `snapshot at ${index} is past the last index ${this.lastIndex()}`);
    this.snap = { meta: { index, term: this.term(index), confState }, data };
    const cut = Math.max(index - keepEntries, this.offset());
    if (cut > this.offset()) {
      const off = this.offset();
      const dummy = this.ents[cut - off] as Entry;
      this.ents = [{ term: dummy.term, index: dummy.index, type: 'normal', data: new Uint8Array(0) }, ...this.ents.slice(cut - off + 1)];
    }
  }

  compact(index: number, confState: ConfState, data: Uint8Array, keepEntries: number): Promise<void> {
    this.compactSync(index, confState, data, keepEntries);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** A deep-enough copy: what survives a crash of the node that owns it. */
  clone(): MemoryStorage {
    const c = new MemoryStorage();
    c.hard = this.hard;
    c.snap = this.snap;
    c.ents = this.ents.slice();
    return c;
  }
}
