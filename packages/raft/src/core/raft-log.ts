import { assert } from './assert';
import type { Entry, Snapshot } from './types';
import { Unstable } from './unstable';
import { CompactedError, type Storage } from './storage';

function entryBytes(e: Entry): number {
  return e.data.byteLength + 24;
}

/** Keep at most `maxBytes` of entries, but always the first. */
export function limitSize(ents: Entry[], maxBytes: number): Entry[] {
  let size = 0;
  for (let i = 0; i < ents.length; i++) {
    const e = ents[i];
    if (e === undefined) break;
    size += entryBytes(e);
    if (i > 0 && size > maxBytes) return ents.slice(0, i);
  }
  return ents;
}

/**
 * The log as the core sees it: the durable part in Storage followed by the Unstable part.
 */
export class RaftLog {
  readonly storage: Storage;
  readonly unstable: Unstable;
  /** Highest index known to be stored on a quorum. Invariant: applied <= committed <= lastIndex(). */
  committed: number;
  private appliedIndex: number;

  constructor(storage: Storage, applied: number) {
    this.storage = storage;
    this.unstable = new Unstable(storage.lastIndex() + 1);
    // Entries kept below the snapshot for slow followers are already reflected in the restored
    // state, so the snapshot index (not firstIndex - 1) is the floor of both indexes. The
    // application's applied index may exceed the stored commit, which is written without fsync.
    const snapIndex = storage.snapshot().meta.index;
    const hs = storage.initialState().hardState;
    this.appliedIndex = Math.max(applied, snapIndex);
    this.committed = Math.max(hs.commit, this.appliedIndex);
    assert(this.committed <= storage.lastIndex(), `commit ${this.committed} is past the stored log's end ${storage.lastIndex()}`);
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** The last index that is durable (in Storage, not only in the unstable part). */
  stableIndex(): number {
    if (this.unstable.snapshot !== null) return 0;
    return Math.min(this.unstable.offset - 1, this.storage.lastIndex());
  }

  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  /** Term at `index`, or 0 if it is outside [firstIndex()-1, lastIndex()] (compacted or absent). */
  term(index: number): number {
    const t = this.unstable.maybeTerm(index);
    if (t !== undefined) return t;
    if (index < this.firstIndex() - 1 || index > this.lastIndex()) return 0;
    if (index >= this.unstable.offset) return 0;
    return this.storage.term(index);
  }

  matchTerm(index: number, term: number): boolean {
    if (index < this.firstIndex() - 1 || index > this.lastIndex()) return false;
    return this.term(index) === term;
  }

  /** Raft §5.4.1: is a log ending at (lastIndex, lastTerm) at least as up to date as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Append `ents` that follow (index, logTerm) if that entry matches. Returns the new last index
   * of the appended range, or undefined if (index, logTerm) does not match.
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: readonly Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      assert(ci > this.committed, `entry ${ci} conflicts with committed entry (committed ${this.committed})`);
      const from = ci - (index + 1);
      this.append(ents.slice(from));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  append(ents: readonly Entry[]): number {
    const first = ents[0];
    if (first === undefined) return this.lastIndex();
    assert(first.index - 1 >= this.committed, `append at ${first.index} would overwrite committed ${this.committed}`);
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /** The index of the first entry of `ents` that is absent or differs in term; 0 if none. */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * The last index at or below `index` whose term is at most `term` (fast backtracking), or the
   * first index-1 if the search reaches the compacted part.
   */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex());
    const floor = this.firstIndex() - 1;
    for (; i > floor; i--) {
      if (this.term(i) <= term) return i;
    }
    return floor;
  }

  commitTo(index: number): void {
    if (index > this.committed) {
      assert(index <= this.lastIndex(), `commit ${index} is past the last index ${this.lastIndex()}`);
      this.committed = index;
    }
  }

  maybeCommit(index: number, term: number): boolean {
    if (index > this.committed && this.term(index) === term) {
      this.commitTo(index);
      return true;
    }
    return false;
  }

  /** Highest index handed to the application and acknowledged by advance(). */
  get applied(): number {
    return this.appliedIndex;
  }

  appliedTo(index: number): void {
    assert(index <= this.committed && index >= this.appliedIndex,
      `applied ${index} outside [applied ${this.appliedIndex}, committed ${this.committed}]`);
    this.appliedIndex = index;
  }

  /** The application restored a snapshot: everything up to its index counts as applied (never moves back). */
  appliedToSnapshot(index: number): void {
    if (index > this.appliedIndex) this.appliedIndex = index;
  }

  hasNextCommittedEnts(): boolean {
    return this.committed > this.applied && this.applied + 1 >= this.firstIndex();
  }

  nextCommittedEnts(maxBytes: number): Entry[] {
    if (!this.hasNextCommittedEnts()) return [];
    return this.slice(this.applied + 1, this.committed + 1, maxBytes);
  }

  /**
   * Entries in [lo, hi) capped at maxBytes. Throws CompactedError when lo is below firstIndex,
   * so the leader can fall back to a snapshot.
   */
  slice(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo >= hi) return [];
    const first = this.firstIndex();
    if (lo < first) throw new CompactedError(lo, first);
    assert(hi <= this.lastIndex() + 1, `slice [${lo},${hi}) past the last index ${this.lastIndex()}`);
    const off = this.unstable.offset;
    let ents: Entry[] = [];
    if (lo < off) {
      ents = this.storage.entries(lo, Math.min(hi, off), maxBytes);
      if (ents.length < Math.min(hi, off) - lo) return ents;
    }
    if (hi > off) {
      const u = this.unstable.slice(Math.max(lo, off), hi);
      ents = ents.length > 0 ? ents.concat(u) : u;
    }
    return limitSize(ents, maxBytes);
  }

  /** Entries from `lo` to the end of the log, capped at maxBytes. */
  entriesFrom(lo: number, maxBytes: number): Entry[] {
    if (lo > this.lastIndex()) return [];
    return this.slice(lo, this.lastIndex() + 1, maxBytes);
  }

  /** Whether an unapplied committed entry changes membership (no election until it is applied). */
  hasPendingConfChange(): boolean {
    if (this.committed <= this.applied) return false;
    let lo = Math.max(this.applied + 1, this.firstIndex());
    while (lo <= this.committed) {
      const ents = this.slice(lo, this.committed + 1, 1 << 20);
      for (const e of ents) if (e.type === 'confChange') return true;
      const last = ents[ents.length - 1];
      if (last === undefined) break;
      lo = last.index + 1;
    }
    return false;
  }

  restore(snapshot: Snapshot): void {
    this.committed = snapshot.meta.index;
    this.unstable.restore(snapshot);
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }
}
