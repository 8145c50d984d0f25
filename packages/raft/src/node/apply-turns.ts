import type { Entry } from '../core/types';

/** Committed entries applied per turn of the event loop (the rest wait for the next turn). */
export const APPLY_PER_TURN = 128;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Applies `entries` in order, yielding to the event loop after every APPLY_PER_TURN, so a burst of
 * commits leaves room for ticks, heartbeats and peers' messages between slices.
 */
export async function applyInSlices(entries: readonly Entry[], apply: (e: Entry) => void): Promise<void> {
  for (let i = 0; i < entries.length; i++) {
    if (i > 0 && i % APPLY_PER_TURN === 0) await nextTurn();
    apply(entries[i] as Entry);
  }
}
