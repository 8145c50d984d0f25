import { assert } from './assert';
import type { RaftConfig } from './config';
import type { Progress } from './progress';
import type { RaftLog } from './raft-log';
import { CompactedError } from './storage';
import type { AppendResponse, Entry, HeartbeatResponse, Message, NodeId, SnapshotResponse } from './types';

/** What the leader's replication reads of the Raft it serves. */
export interface LeaderView {
  readonly id: NodeId;
  readonly term: number;
  readonly log: RaftLog;
  /** Every member's progress, self included. */
  readonly prs: ReadonlyMap<NodeId, Progress>;
}

/**
 * The leader's side of log replication: what to send each follower (entries, a snapshot in
 * chunks, heartbeats) given its Progress, and how its answers move that Progress. Deciding what
 * is committed stays with the Raft, which the answers report to.
 */
export class LeaderReplication {
  constructor(
    private readonly r: LeaderView,
    private readonly cfg: RaftConfig,
    private readonly send: (m: Message) => void,
  ) {}

  /** Send the next batch of entries to `to`; returns whether a message went out. */
  sendAppend(to: NodeId): boolean {
    const { r } = this;
    const pr = r.prs.get(to);
    if (pr === undefined || to === r.id || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = r.log.term(prevIndex);
    let ents: Entry[];
    if (prevIndex < r.log.firstIndex() - 1 || (prevTerm === 0 && prevIndex > 0)) {
      return this.startSnapshot(to, pr);
    }
    try {
      ents = r.log.entriesFrom(pr.next, this.cfg.maxBytesPerMsg);
    } catch (e) {
      if (e instanceof CompactedError) return this.startSnapshot(to, pr);
      throw e;
    }
    if (ents.length === 0 && pr.state === 'replicate') return false;
    this.send({ type: 'app', from: r.id, to, term: r.term, index: prevIndex, logTerm: prevTerm, entries: ents, commit: r.log.committed });
    const last = ents[ents.length - 1];
    if (pr.state === 'replicate' && last !== undefined) {
      pr.next = last.index + 1;
      pr.inflights.add(last.index);
    } else if (pr.state === 'probe') {
      pr.probeSent = true;
    }
    return true;
  }

  private startSnapshot(to: NodeId, pr: Progress): boolean {
    if (!pr.recentActive) {
      // Do not ship a whole snapshot to a peer that may be down.
      return false;
    }
    const snap = this.r.log.snapshot();
    assert(snap.meta.index > 0, `need a snapshot for ${to} but none exists (first index ${this.r.log.firstIndex()})`);
    pr.becomeSnapshot(snap);
    this.cfg.logger.info({ id: this.r.id, to, index: snap.meta.index, bytes: snap.data.byteLength }, 'sending snapshot');
    this.sendSnapshotChunk(to, pr);
    return true;
  }

  private sendSnapshotChunk(to: NodeId, pr: Progress): void {
    const snap = pr.pendingSnapshot;
    if (snap === null) return;
    const offset = Math.min(pr.snapshotOffset, snap.data.byteLength);
    const end = Math.min(offset + this.cfg.snapshotChunkBytes, snap.data.byteLength);
    this.send({
      type: 'snap',
      from: this.r.id,
      to,
      term: this.r.term,
      meta: snap.meta,
      offset,
      totalBytes: snap.data.byteLength,
      data: snap.data.subarray(offset, end),
      done: end === snap.data.byteLength,
    });
  }

  bcastAppend(): void {
    for (const id of this.r.prs.keys()) if (id !== this.r.id) this.sendAppend(id);
  }

  sendHeartbeat(to: NodeId, ctx: string): void {
    const { r } = this;
    // A follower must not learn of a commit beyond what it is known to have.
    const commit = Math.min(r.prs.get(to)?.match ?? 0, r.log.committed);
    this.send({ type: 'heartbeat', from: r.id, to, term: r.term, commit, ctx });
  }

  bcastHeartbeat(ctx: string): void {
    for (const id of this.r.prs.keys()) if (id !== this.r.id) this.sendHeartbeat(id, ctx);
  }

  /**
   * A lost append in replicate state is otherwise only noticed at the next proposal. Two
   * heartbeat rounds without progress: probe again from the match point.
   */
  resendStalled(): void {
    const last = this.r.log.lastIndex();
    for (const [id, pr] of this.r.prs) {
      if (id === this.r.id) continue;
      if (pr.state === 'snapshot') {
        if (pr.snapshotOffset === pr.snapshotOffsetAtLastHeartbeat) this.sendSnapshotChunk(id, pr);
        pr.snapshotOffsetAtLastHeartbeat = pr.snapshotOffset;
        continue;
      }
      if (pr.match >= last || pr.match !== pr.matchAtLastHeartbeat) {
        pr.matchAtLastHeartbeat = pr.match;
        pr.stalledHeartbeats = 0;
        continue;
      }
      pr.stalledHeartbeats++;
      if (pr.stalledHeartbeats >= 2) {
        pr.stalledHeartbeats = 0;
        if (pr.state === 'replicate') pr.becomeProbe();
        else pr.probeSent = false;
        this.sendAppend(id);
      }
    }
  }

  /**
   * Move the follower's Progress by its answer to an append. True when its match advanced, so
   * the leader should see whether more is committed and keep sending (`afterProgress`).
   */
  onAppendResponse(m: AppendResponse, pr: Progress): boolean {
    const log = this.r.log;
    if (m.reject) {
      let nextProbe = m.hintIndex;
      if (m.hintTerm > 0) nextProbe = log.findConflictByTerm(m.hintIndex, m.hintTerm);
      if (pr.maybeDecrTo(m.index, nextProbe)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return false;
    }
    const oldPaused = pr.isPaused();
    const updated = pr.maybeUpdate(m.index);
    if (pr.state === 'snapshot') {
      const pending = pr.pendingSnapshot?.meta.index ?? 0;
      if (pr.match + 1 < log.firstIndex()) {
        if (pr.match >= pending) {
          // The follower already had what this snapshot holds (or installed it) but is still
          // behind our log's start: send the newest snapshot instead of waiting forever.
          pr.becomeProbe();
          this.sendAppend(m.from);
        }
        return false;
      }
      // The log can take it from here.
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (!updated) {
      if (oldPaused && !pr.isPaused()) this.sendAppend(m.from);
      return false;
    }
    if (pr.state === 'probe') pr.becomeReplicate();
    else if (pr.state === 'replicate') pr.inflights.freeLE(m.index);
    return true;
  }

  /**
   * After a follower's match advanced (and the leader tried to commit): catch it up. With
   * `committed` the leader already broadcast the new commit index.
   */
  afterProgress(to: NodeId, pr: Progress, committed: boolean, wasPaused: boolean): void {
    if (committed) this.bcastAppend();
    else if (wasPaused || pr.match < this.r.log.lastIndex()) this.sendAppend(to);
    // Keep the pipeline full after a burst of acknowledgements.
    while (pr.next <= this.r.log.lastIndex() && !pr.isPaused()) {
      if (!this.sendAppend(to)) break;
    }
  }

  onHeartbeatResponse(m: HeartbeatResponse, pr: Progress): void {
    pr.probeSent = false;
    if (pr.match < this.r.log.lastIndex()) this.sendAppend(m.from);
  }

  onSnapshotResponse(m: SnapshotResponse, pr: Progress): void {
    if (pr.state !== 'snapshot' || pr.pendingSnapshot === null || pr.pendingSnapshot.meta.index !== m.snapIndex) return;
    if (!m.reject && m.nextOffset <= pr.snapshotOffset) return;
    pr.snapshotOffset = m.reject ? 0 : m.nextOffset;
    this.sendSnapshotChunk(m.from, pr);
  }
}
