import type { RaftConfig } from './config';
import type { RaftLog } from './raft-log';
import { SnapshotReceiver } from './snapshot-receiver';
import type { AppendMessage, ConfState, HeartbeatMessage, Message, NodeId, Snapshot, SnapshotChunk } from './types';

/** What a follower's replication reads of the Raft it serves. */
export interface FollowerView {
  readonly id: NodeId;
  readonly term: number;
  readonly log: RaftLog;
  /** Take the configuration of an installed snapshot. */
  applyConfState(cs: ConfState): void;
}

/**
 * A follower's side of log replication: answer the leader's appends and heartbeats, reassemble
 * and install its snapshots. Every message is from a leader of the current term (the Raft has
 * checked); its content is still untrusted.
 */
export class FollowerReplication {
  private readonly snapshotReceiver = new SnapshotReceiver();

  constructor(
    private readonly r: FollowerView,
    private readonly cfg: RaftConfig,
    private readonly send: (m: Message) => void,
  ) {}

  onAppend(m: AppendMessage): void {
    const base = { from: this.r.id, to: m.from, term: this.r.term, hintIndex: 0, hintTerm: 0 } as const;
    if (m.index < this.r.log.committed) {
      this.send({ type: 'appResp', ...base, index: this.r.log.committed, reject: false });
      return;
    }
    const lastNew = this.r.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      this.send({ type: 'appResp', ...base, index: lastNew, reject: false });
      return;
    }
    // Point the leader at our last entry whose term is at most its logTerm: every index above it
    // is certain to conflict, so whole terms are skipped in one round trip.
    const hintIndex = this.r.log.findConflictByTerm(Math.min(m.index, this.r.log.lastIndex()), m.logTerm);
    const hintTerm = this.r.log.term(hintIndex);
    this.send({ type: 'appResp', ...base, index: m.index, reject: true, hintIndex, hintTerm });
  }

  onHeartbeat(m: HeartbeatMessage): void {
    this.r.log.commitTo(Math.min(m.commit, this.r.log.lastIndex()));
    this.send({ type: 'heartbeatResp', from: this.r.id, to: m.from, term: this.r.term, ctx: m.ctx });
  }

  onSnapshotChunk(m: SnapshotChunk): void {
    const respond = (nextOffset: number, reject: boolean): void => {
      this.send({ type: 'snapResp', from: this.r.id, to: m.from, term: this.r.term, snapIndex: m.meta.index, nextOffset, reject, index: 0 });
    };
    if (m.meta.index <= this.r.log.committed) {
      // Already have everything it covers; tell the leader where we are.
      this.snapshotReceiver.reset();
      this.send({ type: 'appResp', from: this.r.id, to: m.from, term: this.r.term, index: this.r.log.committed, reject: false, hintIndex: 0, hintTerm: 0 });
      return;
    }
    const got = this.snapshotReceiver.accept(m);
    if (got.kind === 'next') {
      if (got.badSize !== null) {
        this.cfg.logger.warn({ id: this.r.id, from: m.from, index: m.meta.index, offset: m.offset }, `rejecting snapshot chunk: it ${got.badSize}`);
      }
      respond(got.nextOffset, got.reject);
      return;
    }
    const invalid =
      m.meta.confState.voters.length === 0 ? 'its configuration has no voters' : this.cfg.validateSnapshot(got.data);
    if (invalid !== null) {
      // Refused before restore, so nothing of it reaches the storage.
      this.cfg.logger.warn({ id: this.r.id, from: m.from, index: m.meta.index, bytes: got.data.byteLength }, `rejecting snapshot: ${invalid}`);
      respond(0, true);
      return;
    }
    const snap: Snapshot = { meta: m.meta, data: got.data };
    // Only what the snapshot vouches for may be reported as matching: after a fast-forward our
    // log past the snapshot index may still hold another leader's uncommitted entries.
    const installed = this.restore(snap);
    // After a fast-forward the commit index is the snapshot's index, whose entry matches.
    const match = installed ? this.r.log.lastIndex() : this.r.log.committed;
    if (installed) this.cfg.logger.info({ id: this.r.id, index: snap.meta.index, term: snap.meta.term }, 'installed snapshot');
    this.send({ type: 'appResp', from: this.r.id, to: m.from, term: this.r.term, index: match, reject: false, hintIndex: 0, hintTerm: 0 });
  }

  /** Install a leader's snapshot; false when our log already contains it. */
  private restore(snap: Snapshot): boolean {
    if (snap.meta.index <= this.r.log.committed) return false;
    if (this.r.log.matchTerm(snap.meta.index, snap.meta.term)) {
      // Our log has the entry: fast-forward the commit instead of discarding the log.
      this.r.log.commitTo(snap.meta.index);
      return false;
    }
    this.r.log.restore(snap);
    this.r.applyConfState(snap.meta.confState);
    return true;
  }
}
