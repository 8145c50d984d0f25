import { Inflights } from './inflights';
import type { Snapshot } from './types';

/**
 * How the leader replicates to one peer:
 * - probe: one message at a time until the match point is found (after a rejection or restart);
 * - replicate: optimistic pipelining, bounded by inflights;
 * - snapshot: sending a snapshot in chunks; appends are paused until it is installed.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  /** Highest index known to be replicated on the peer. */
  match = 0;
  /** Next index to send. Invariant: match < next. */
  next: number;
  state: ProgressState = 'probe';
  /** In probe state: a message is outstanding, wait for its answer (or a heartbeat response). */
  probeSent = false;
  /** Heard from the peer since the last CheckQuorum round. */
  recentActive = false;
  /** Messages the leader received from the peer (its liveness, for dead-member cleanup). */
  heard = 0;
  isLearner: boolean;
  readonly inflights: Inflights;
  /** In snapshot state: the snapshot being sent and the next byte to send. */
  pendingSnapshot: Snapshot | null = null;
  snapshotOffset = 0;
  snapshotOffsetAtLastHeartbeat = -1;
  /** Match seen at the last heartbeat tick, to notice a stalled pipeline (a lost append). */
  matchAtLastHeartbeat = 0;
  stalledHeartbeats = 0;

  constructor(next: number, maxInflight: number, isLearner: boolean) {
    this.next = next;
    this.inflights = new Inflights(maxInflight);
    this.isLearner = isLearner;
  }

  private resetState(state: ProgressState): void {
    this.probeSent = false;
    this.pendingSnapshot = null;
    this.snapshotOffset = 0;
    this.state = state;
    this.inflights.reset();
    this.stalledHeartbeats = 0;
  }

  becomeProbe(): void {
    if (this.state === 'snapshot' && this.pendingSnapshot !== null) {
      const snapIndex = this.pendingSnapshot.meta.index;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, snapIndex + 1);
    } else {
      this.resetState('probe');
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshot: Snapshot): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshot;
  }

  /** The peer acknowledged `n`; returns whether it was news. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /**
   * The peer rejected an append at `rejected`; its log has nothing that can match above
   * `matchHint`. Returns false when the rejection is stale (answers an older message).
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }
}
