import { assert } from './assert';
import { validateConfig, type RaftConfig, type RaftConfigInput } from './config';
import { silentLogger } from './logger';
import type { Progress } from './progress';
import { decodeConfChange } from './confchange';
import { Raft, type ProposeResult } from './raft';
import type { ConfChange, ConfState, Entry, HardState, Message, NodeId, Ready, Role, SoftState } from './types';

/** The leader's view of one member. */
export interface MemberProgress {
  readonly match: number;
  readonly next: number;
  readonly state: string;
  readonly learner: boolean;
  /** Messages this leader received from it (grows while it is alive; 0 again for a new leader). */
  readonly heard: number;
}

/** A snapshot of the node's state for status output and tests. */
export interface Status {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId;
  readonly lead: NodeId;
  readonly role: Role;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly firstIndex: number;
  readonly confState: ConfState;
  readonly leadTransferee: NodeId;
  /** On the leader: each member's replication progress. */
  readonly progress: ReadonlyMap<NodeId, MemberProgress>;
}

/**
 * The single-threaded API of the pure core (etcd-io/raft RawNode). It does no I/O and reads no
 * clock: the caller ticks it, steps messages into it, and processes each Ready in order
 * (persist -> send -> apply -> advance) before asking for the next.
 */
export class RawNode {
  /**
   * The role state machine itself, for the core's own unit tests. The shell (node/, sim/) reads
   * the core only through the methods below, so the Raft's fields can change without it noticing.
   */
  readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;
  private readonly cfg: RaftConfig;
  /** Ready handed out and not yet advanced; a second one before advance() is a bug. */
  private outstanding: Ready | null = null;

  constructor(input: RaftConfigInput) {
    this.cfg = validateConfig(input, input.logger ?? silentLogger);
    this.raft = new Raft(this.cfg);
    this.prevSoft = this.softState();
    // A bootstrapped node has entries to persist and a hard state to write even though it
    // "started" there, so compare against the stored hard state.
    this.prevHard = this.cfg.storage.initialState().hardState;
  }

  tick(): void {
    this.raft.tick();
  }

  step(m: Message): void {
    this.raft.step(m);
  }

  campaign(): void {
    this.raft.campaignNow();
  }

  propose(data: Uint8Array): ProposeResult {
    return this.raft.propose(data);
  }

  proposeBatch(items: readonly Uint8Array[]): ProposeResult {
    return this.raft.proposeBatch(items);
  }

  proposeConfChange(cc: ConfChange): ProposeResult {
    return this.raft.proposeConfChange(cc);
  }

  transferLeader(to: NodeId): ProposeResult {
    return this.raft.transferLeader(to);
  }

  /** Ask for a linearizable read; the answer comes as a ReadState carrying `ctx`. */
  readIndex(ctx: string): boolean {
    return this.raft.readIndex(ctx);
  }

  reportUnreachable(id: NodeId): void {
    this.raft.reportUnreachable(id);
  }

  private softState(): SoftState {
    return { lead: this.raft.lead, role: this.raft.role };
  }

  private hardState(): HardState {
    return { term: this.raft.term, vote: this.raft.vote, commit: this.raft.log.committed };
  }

  hasReady(): boolean {
    const r = this.raft;
    const soft = this.softState();
    if (soft.lead !== this.prevSoft.lead || soft.role !== this.prevSoft.role) return true;
    const hs = this.hardState();
    if (hs.term !== this.prevHard.term || hs.vote !== this.prevHard.vote || hs.commit !== this.prevHard.commit) return true;
    return (
      r.log.unstable.snapshot !== null ||
      r.log.unstable.entries.length > 0 ||
      r.msgs.length > 0 ||
      r.readStates.length > 0 ||
      r.log.hasNextCommittedEnts()
    );
  }

  ready(): Ready {
    assert(this.outstanding === null, 'ready() called again before advance()');
    const r = this.raft;
    const soft = this.softState();
    const hs = this.hardState();
    const softChanged = soft.lead !== this.prevSoft.lead || soft.role !== this.prevSoft.role;
    const hardChanged = hs.term !== this.prevHard.term || hs.vote !== this.prevHard.vote || hs.commit !== this.prevHard.commit;
    const entries = r.log.unstable.entries.slice();
    const snapshot = r.log.unstable.snapshot;
    const rd: Ready = {
      softState: softChanged ? soft : null,
      hardState: hardChanged ? hs : null,
      entries,
      snapshot,
      committedEntries: r.log.nextCommittedEnts(this.cfg.maxCommittedBytesPerReady),
      messages: r.msgs,
      readStates: r.readStates,
      // Only a change of term or vote, new entries or a snapshot need an fsync; a commit index
      // alone can be recovered from peers.
      mustSync: entries.length > 0 || snapshot !== null || hs.term !== this.prevHard.term || hs.vote !== this.prevHard.vote,
    };
    r.msgs = [];
    r.readStates = [];
    this.outstanding = rd;
    if (softChanged) this.prevSoft = soft;
    return rd;
  }

  /**
   * Heartbeats queued since the outstanding Ready, for the shell to send while that Ready is
   * still being persisted: a slow fsync (a busy disk, a big batch of client entries) must not
   * silence the leader for an election timeout. Only a leader's, and only once its term is
   * durable (a Ready that carries the term change has been advanced); a heartbeat needs nothing
   * else to be durable (a leader's messages may go out before its own persist, §10.2.1).
   * Everything else stays queued for the next Ready.
   */
  takeHeartbeats(): Message[] {
    const r = this.raft;
    if (this.outstanding === null || r.role !== 'leader' || this.prevHard.term !== r.term) return [];
    const out: Message[] = [];
    const keep: Message[] = [];
    for (const m of r.msgs) (m.type === 'heartbeat' ? out : keep).push(m);
    if (out.length > 0) r.msgs = keep;
    return out;
  }

  /**
   * Committed entries the shell may apply now, while the outstanding Ready is still being
   * persisted: an acknowledgement that arrives during the leader's own fsync need not wait for
   * it (and the proposals behind that fsync) to be answered. The shell must have applied the
   * outstanding Ready's committed entries already, and must apply these at once, in order: they
   * count as applied from here on. Only entries that are durable here too (below the unstable
   * part), none while a snapshot is in flight, and none from a membership change on, whose
   * effect on the core is applied by advance().
   */
  takeCommitted(): Entry[] {
    const rd = this.outstanding;
    if (rd === null || rd.snapshot !== null) return [];
    const log = this.raft.log;
    const handedOut = Math.max(log.applied, rd.committedEntries[rd.committedEntries.length - 1]?.index ?? 0);
    const hi = Math.min(log.committed, log.unstable.offset - 1);
    if (hi <= handedOut || log.unstable.snapshot !== null) return [];
    const ents = log.slice(handedOut + 1, hi + 1, this.cfg.maxCommittedBytesPerReady);
    let n = 0;
    while (n < ents.length && (ents[n] as Entry).type !== 'confChange') n++;
    const out = n === ents.length ? ents : ents.slice(0, n);
    const last = out[out.length - 1];
    if (last !== undefined) log.appliedTo(last.index);
    return out;
  }

  /** The shell finished with `rd`: its entries are durable, its committed entries applied. */
  advance(rd: Ready): void {
    assert(this.outstanding === rd, 'advance() with a Ready that is not the outstanding one');
    this.outstanding = null;
    const r = this.raft;
    if (rd.hardState !== null) this.prevHard = rd.hardState;
    const last = rd.entries[rd.entries.length - 1];
    if (last !== undefined) {
      r.log.unstable.stableTo(last.index, last.term);
      r.onStable(last.index, last.term);
    }
    if (rd.snapshot !== null) {
      r.log.unstable.stableSnapTo(rd.snapshot.meta.index);
      r.log.appliedToSnapshot(rd.snapshot.meta.index);
    }
    const lastCommitted = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastCommitted !== undefined) {
      for (const e of rd.committedEntries) this.applyEntryEffects(e);
      // takeCommitted may have moved past them already.
      if (lastCommitted.index > r.log.applied) r.log.appliedTo(lastCommitted.index);
    }
  }

  private applyEntryEffects(e: Entry): void {
    if (e.type === 'confChange') this.raft.applyConfChange(decodeConfChange(e.data));
  }

  // Read-only views of the core for the shell (the Raft itself stays inside the core).

  /** The leader this node knows of ('' when none). */
  leader(): NodeId {
    return this.raft.lead;
  }

  term(): number {
    return this.raft.term;
  }

  role(): Role {
    return this.raft.role;
  }

  /** Highest index applied: handed out in a Ready and advanced, or taken by takeCommitted. */
  applied(): number {
    return this.raft.log.applied;
  }

  committed(): number {
    return this.raft.log.committed;
  }

  firstIndex(): number {
    return this.raft.log.firstIndex();
  }

  lastIndex(): number {
    return this.raft.log.lastIndex();
  }

  /** The term of the entry at `index` in this node's log (0 outside it). */
  logTerm(index: number): number {
    return this.raft.log.term(index);
  }

  confState(): ConfState {
    return this.raft.confState();
  }

  /** The voters, in the order they joined the configuration. */
  voters(): NodeId[] {
    return [...this.raft.voters];
  }

  /** The learners, in the order they joined the configuration. */
  learners(): NodeId[] {
    return [...this.raft.learners];
  }

  isVoter(id: NodeId): boolean {
    return this.raft.voters.has(id);
  }

  isLearner(id: NodeId): boolean {
    return this.raft.learners.has(id);
  }

  /** On the leader: how far `id` has replicated (undefined elsewhere, or for a non-member). */
  progressOf(id: NodeId): MemberProgress | undefined {
    if (this.raft.role !== 'leader') return undefined;
    const pr = this.raft.prs.get(id);
    return pr === undefined ? undefined : memberProgress(pr);
  }

  /** The voter leadership is being handed to ('' when no transfer is under way). */
  leadTransferee(): NodeId {
    return this.raft.leadTransferee;
  }

  status(): Status {
    const r = this.raft;
    const progress = new Map<NodeId, MemberProgress>();
    if (r.role === 'leader') {
      for (const [id, pr] of r.prs) progress.set(id, memberProgress(pr));
    }
    return {
      id: r.id,
      term: r.term,
      vote: r.vote,
      lead: r.lead,
      role: r.role,
      commit: r.log.committed,
      applied: r.log.applied,
      lastIndex: r.log.lastIndex(),
      firstIndex: r.log.firstIndex(),
      confState: r.confState(),
      leadTransferee: r.leadTransferee,
      progress,
    };
  }
}

function memberProgress(pr: Progress): MemberProgress {
  return { match: pr.match, next: pr.next, state: pr.state, learner: pr.isLearner, heard: pr.heard };
}
