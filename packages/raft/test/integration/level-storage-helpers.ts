/** Entries, batches and raw LevelDB handles for the LevelStorage tests. */
import { Level } from 'level';
import type { ConfState, Entry, EntryType, HardState } from '../../src/core/types';
import type { PersistBatch } from '../../src/storage/storage';

export const CONF: ConfState = { voters: ['a', 'b', 'c'], learners: ['d'] };

export function entry(index: number, term: number, type: EntryType = 'normal', data?: Uint8Array): Entry {
  return { index, term, type, data: data ?? new TextEncoder().encode(`cmd-${index}`) };
}

/** Entries lo..hi (inclusive) with the term chosen by `termOf`. */
export function range(lo: number, hi: number, termOf: (index: number) => number = () => 1): Entry[] {
  const out: Entry[] = [];
  for (let i = lo; i <= hi; i++) out.push(entry(i, termOf(i)));
  return out;
}

export function batch(parts: Partial<PersistBatch>): PersistBatch {
  return { hardState: null, entries: [], snapshot: null, ...parts };
}

export function hardState(term: number, vote: string, commit: number): HardState {
  return { term, vote, commit };
}

/** A raw handle on the same directory, to damage what LevelStorage wrote. */
export function rawDb(dir: string): Level<Uint8Array, Uint8Array> {
  return new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
}

export function rawSublevel(db: Level<Uint8Array, Uint8Array>, name: string) {
  return db.sublevel<Uint8Array, Uint8Array>(name, { keyEncoding: 'view', valueEncoding: 'view' });
}
