import type { HardState } from '../core/types';
import type { WritableStorage } from '../storage/storage';

/**
 * A hard state whose only change is the commit index needs no fsync and nothing waits for it (a
 * lost one is learned again from the leader), but a LevelDB batch of its own for every commit
 * costs as much as the entries' batch. So it waits: it rides along with the next batch of
 * entries, or is written on its own by `flush` (the shell calls it every tick while no Ready is
 * being persisted), so an idle node's stored commit index lags by one tick at most.
 */
export class DeferredCommit {
  private pending: HardState | null = null;

  constructor(
    private readonly storage: WritableStorage,
    private readonly onError: (e: unknown) => void,
  ) {}

  defer(hs: HardState): void {
    this.pending = hs;
  }

  /** The hard state for the next batch: `hs` when it changed (it is newer), else the deferred one. */
  take(hs: HardState | null): HardState | null {
    const out = hs ?? this.pending;
    this.pending = null;
    return out;
  }

  /**
   * Write the deferred commit index now. Only while no other write of the shell is outstanding:
   * writes run in call order, so it can never overtake a newer hard state.
   */
  flush(): void {
    const hs = this.pending;
    if (hs === null) return;
    this.pending = null;
    this.storage.persist({ hardState: hs, entries: [], snapshot: null }, { sync: false }).catch(this.onError);
  }
}
