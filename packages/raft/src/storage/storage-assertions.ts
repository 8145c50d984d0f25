/**
 * Boundary assertions of LevelStorage: the core is trusted, but a bad index must never reach the
 * disk. Hot paths (term, entries, every persisted entry) test first and build a message only on
 * failure.
 */
import assert from 'node:assert/strict';
import type { ConfState, Entry, HardState, SnapshotMeta } from '../core/types';

export function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

export function assertIndex(value: number, what: string): void {
  if (!isIndex(value)) assert.fail(`${what} must be a non-negative safe integer, got ${value}`);
}

export function assertEntry(entry: Entry): void {
  if (!isIndex(entry.index) || !isIndex(entry.term) || entry.index < 1 || entry.term < 1) {
    assert.fail(`entry index and term must be safe integers >= 1, got index ${entry.index} term ${entry.term}`);
  }
  if (entry.type !== 'normal' && entry.type !== 'confChange') {
    assert.fail(`entry ${entry.index} has unknown type ${String(entry.type)}`);
  }
  if (!(entry.data instanceof Uint8Array)) assert.fail(`entry ${entry.index} data must be a Uint8Array`);
}

export function assertHardState(hs: HardState): void {
  assertIndex(hs.term, 'hardState.term');
  assertIndex(hs.commit, 'hardState.commit');
  assert(typeof hs.vote === 'string', 'hardState.vote must be a string');
}

export function assertSnapshotMeta(meta: SnapshotMeta): void {
  assertIndex(meta.index, 'snapshot index');
  assertIndex(meta.term, 'snapshot term');
  assertConfState(meta.confState, 'snapshot confState');
}

export function assertConfState(cs: ConfState, what: string): void {
  assert(isStringArray(cs.voters) && isStringArray(cs.learners), `${what} must hold string arrays`);
}
