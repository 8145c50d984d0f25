import { assert, assertNever } from './assert';
import type { RaftConfig } from './config';
import { bootstrapEntries, decodeConfChange, encodeConfChange, validateConfChange, type ExtendedConfChange } from './confchange';
import { FollowerReplication } from './follower-replication';
import { LeaderReplication } from './leader-replication';
import type { Progress } from './progress';
import { RaftLog } from './raft-log';
import { ReadOnly } from './read-only';
import { ProgressTracker } from './tracker';
import type { AppendResponse, ConfChange, ConfState, Entry, Message, NodeId, ReadState, Role, VoteMessage } from './types';

/** Why a proposal was not accepted; the analogue of etcd's ErrProposalDropped. */
export type ProposeRefusal = 'notLeader' | 'transferring' | 'confChangePending' | 'invalidConfChange';
export type ProposeResult =
  | { readonly ok: true; readonly index: number; readonly term: number }
  | { readonly ok: false; readonly reason: ProposeRefusal; readonly detail: string };

const EMPTY = new Uint8Array(0);

/**
 * The Raft role state machine (Ongaro's thesis; the etcd-io/raft shape). Purely reactive: it
 * changes only in `tick`, `step` and the proposal methods, and its only outputs are the fields
 * that RawNode turns into a Ready (`msgs`, `readStates`, the log's unstable part and commit).
 */
export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = '';
  lead: NodeId = '';
  role: Role = 'follower';
  readonly log: RaftLog;
  readonly tracker: ProgressTracker;
  msgs: Message[] = [];
  readStates: ReadState[] = [];

  private readonly cfg: RaftConfig;
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  /** Target of an ongoing leadership transfer; proposals are refused meanwhile. */
  leadTransferee: NodeId = '';
  /** No new membership change is accepted until the log is applied past this index. */
  private pendingConfIndex = 0;
  private readonly readOnly = new ReadOnly();
  private readonly replication: LeaderReplication;
  private readonly follower: FollowerReplication;

  constructor(cfg: RaftConfig) {
    this.cfg = cfg;
    this.id = cfg.id;
    this.tracker = new ProgressTracker(cfg.maxInflightMsgs);
    this.replication = new LeaderReplication(this, cfg, (m) => this.send(m));
    this.follower = new FollowerReplication(this, cfg, (m) => this.send(m));
    const storage = cfg.storage;
    const { hardState, confState } = storage.initialState();
    this.log = new RaftLog(storage, cfg.applied);
    this.applyConfState(confState);
    const snapIndex = storage.snapshot().meta.index;
    if (this.log.applied > snapIndex) {
      for (const e of this.log.slice(snapIndex + 1, this.log.applied + 1, Number.MAX_SAFE_INTEGER)) {
        if (e.type === 'confChange') this.applyConfChange(decodeConfChange(e.data));
      }
    }
    if (!this.tracker.hasConfig() && storage.lastIndex() === 0 && cfg.peers.length > 0) {
      this.bootstrap(cfg.peers);
    }
    if (hardState.term > 0 || hardState.vote !== '') {
      this.term = hardState.term;
      this.vote = hardState.vote;
    }
    if (hardState.commit > this.log.committed) this.log.commitTo(hardState.commit);
    this.becomeFollower(this.term, '');
  }

  /**
   * A brand-new cluster: the founding members are written as committed membership entries at
   * term 1, identically on every founder, so the configuration is in the log like any later change.
   */
  private bootstrap(peers: readonly NodeId[]): void {
    const ents = bootstrapEntries(peers);
    this.log.append(ents);
    this.log.commitTo(ents.length);
    this.term = 1;
    for (const node of peers) this.applyConfChange({ type: 'addVoter', node, context: '' });
  }

  // ---------------------------------------------------------------- membership

  get voters(): ReadonlySet<NodeId> {
    return this.tracker.voters;
  }

  get learners(): ReadonlySet<NodeId> {
    return this.tracker.learners;
  }

  /** Progress of every member (voters and learners, self included); meaningful on the leader. */
  get prs(): ReadonlyMap<NodeId, Progress> {
    return this.tracker.prs;
  }

  promotable(): boolean {
    return this.voters.has(this.id);
  }

  applyConfState(cs: ConfState): void {
    this.tracker.applyConfState(cs, this.log.lastIndex() + 1);
  }

  confState(): ConfState {
    return this.tracker.confState();
  }

  /** Apply a committed membership change (called as its entry is handed to the application). */
  applyConfChange(cc: ExtendedConfChange): void {
    if (!this.tracker.applyChange(cc, this.log.lastIndex() + 1)) return;
    if (this.role !== 'leader') return;
    if (cc.type === 'remove' && cc.node === this.id) {
      // A removed leader steps down; the remaining members elect a leader among themselves.
      this.becomeFollower(this.term, '');
      return;
    }
    if (cc.type === 'remove' && cc.node === this.leadTransferee) this.leadTransferee = '';
    // The quorum may have shrunk: entries may now be committed.
    if (this.maybeCommit()) this.replication.bcastAppend();
  }

  // ---------------------------------------------------------------- roles

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = '';
    }
    this.lead = '';
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.cfg.rng.int(this.cfg.electionTicks, 2 * this.cfg.electionTicks);
    this.tracker.resetVotes();
    this.leadTransferee = '';
    this.readOnly.reset();
    this.tracker.resetProgress(this.log.lastIndex() + 1, this.id, this.log.stableIndex());
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.role = 'follower';
    this.lead = lead;
  }

  private becomePreCandidate(): void {
    assert(this.role !== 'leader', 'a leader cannot become a pre-candidate');
    // PreVote changes neither term nor vote: a partitioned node rejoining cannot disrupt the cluster.
    this.tracker.resetVotes();
    this.role = 'preCandidate';
    this.lead = '';
  }

  private becomeCandidate(): void {
    assert(this.role !== 'leader', 'a leader cannot become a candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  private becomeLeader(): void {
    assert(this.role === 'candidate', `only a candidate can become leader (was ${this.role})`);
    this.reset(this.term);
    this.role = 'leader';
    this.lead = this.id;
    const self = this.prs.get(this.id);
    if (self !== undefined) {
      self.becomeReplicate();
      self.recentActive = true;
    }
    // Membership changes wait until the log up to here is applied: that closes the single-server
    // change bug where a new leader races an uncommitted change of its predecessor.
    this.pendingConfIndex = this.log.lastIndex();
    // The term-start no-op commits the predecessors' entries (only current-term entries count).
    this.appendEntries([{ term: this.term, index: 0, type: 'normal', data: EMPTY }]);
    this.replication.bcastAppend();
    this.cfg.logger.info({ id: this.id, term: this.term }, 'became leader');
  }

  // ---------------------------------------------------------------- ticks

  tick(): void {
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup(false);
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTicks) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum && !this.tracker.quorumActive(this.id)) {
        this.cfg.logger.warn({ id: this.id, term: this.term }, 'stepped down: no quorum heard from within an election timeout');
        this.becomeFollower(this.term, '');
        return;
      }
      if (this.leadTransferee !== '') {
        this.cfg.logger.info({ id: this.id, to: this.leadTransferee }, 'leadership transfer timed out');
        this.leadTransferee = '';
      }
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.replication.bcastHeartbeat(this.readOnly.lastCtx());
      this.replication.resendStalled();
    }
  }

  // ---------------------------------------------------------------- elections

  /** Start an election (PreVote first unless this is a leadership transfer). */
  hup(transfer: boolean): void {
    if (this.role === 'leader' || !this.promotable()) return;
    if (this.log.hasPendingConfChange()) {
      this.cfg.logger.info({ id: this.id }, 'not campaigning: a committed membership change is not applied yet');
      return;
    }
    if (this.cfg.preVote && !transfer) this.campaign('preVote', false);
    else this.campaign('vote', transfer);
  }

  private campaign(kind: 'preVote' | 'vote', transfer: boolean): void {
    let term: number;
    if (kind === 'preVote') {
      this.becomePreCandidate();
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      term = this.term;
    }
    this.tracker.recordVote(this.id, true);
    if (this.tracker.tallyVotes() === 'won') {
      // A single voter wins at once.
      if (kind === 'preVote') this.campaign('vote', transfer);
      else this.becomeLeader();
      return;
    }
    const lastIndex = this.log.lastIndex();
    const lastTerm = this.log.lastTerm();
    for (const id of [...this.voters].sort()) {
      if (id === this.id) continue;
      this.send({ type: kind, from: this.id, to: id, term, lastIndex, lastTerm, transfer });
    }
  }

  // ---------------------------------------------------------------- step

  step(m: Message): void {
    if (m.to !== this.id) return;
    if (!this.mayHearFrom(m.from)) {
      this.cfg.logger.warn({ id: this.id, from: m.from, type: m.type, term: m.term }, `dropping ${m.type} from non-member ${m.from}`);
      return;
    }
    if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'preVote') {
        const inLease = this.cfg.checkQuorum && this.lead !== '' && this.electionElapsed < this.cfg.electionTicks;
        if (!m.transfer && inLease) {
          // We heard from a live leader recently: ignore a disruptive candidate (thesis §4.2.3).
          return;
        }
      }
      if (m.type === 'preVote') {
        // Never change term on a PreVote.
      } else if (m.type === 'preVoteResp' && !m.reject) {
        // Our PreVote was granted at m.term (our term + 1); the real election bumps the term.
      } else if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, '');
      }
    } else if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === 'app' || m.type === 'heartbeat')) {
        // A stale leader (e.g. healed from a partition) learns our term and steps down; without
        // this answer, with CheckQuorum or PreVote, it could keep a follower from ever electing.
        this.send({ type: 'appResp', from: this.id, to: m.from, term: this.term, index: 0, reject: false, hintIndex: 0, hintTerm: 0 });
      } else if (m.type === 'preVote') {
        this.send({ type: 'preVoteResp', from: this.id, to: m.from, term: this.term, reject: true });
      }
      return;
    }

    if (m.type === 'vote' || m.type === 'preVote') {
      this.handleVote(m);
      return;
    }
    switch (this.role) {
      case 'leader':
        this.stepLeader(m);
        break;
      case 'candidate':
      case 'preCandidate':
        this.stepCandidate(m);
        break;
      case 'follower':
        this.stepFollower(m);
        break;
      default:
        assertNever(this.role);
    }
  }

  /**
   * Only members of the configuration may move this node: a removed node, or anything that can
   * reach the peer port, must not depose the leader with a higher term. A node with no
   * configuration yet (one waiting to be added) hears anyone, since it cannot know the leader.
   */
  private mayHearFrom(from: NodeId): boolean {
    return !this.tracker.hasConfig() || this.tracker.isMember(from);
  }

  private handleVote(m: VoteMessage): void {
    // No configuration yet (waiting to be added, or back with an empty data dir): no voter, and a vote it gave before may be forgotten.
    const canVote = this.tracker.hasConfig() &&
      (this.vote === m.from || (this.vote === '' && this.lead === '') || (m.type === 'preVote' && m.term > this.term));
    const respType = m.type === 'vote' ? 'voteResp' : 'preVoteResp';
    if (canVote && this.log.isUpToDate(m.lastIndex, m.lastTerm)) {
      // A granted PreVote answers at the candidate's future term so it can count it.
      this.send({ type: respType, from: this.id, to: m.from, term: m.term, reject: false });
      if (m.type === 'vote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: respType, from: this.id, to: m.from, term: this.term, reject: true });
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'app':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.follower.onAppend(m);
        break;
      case 'heartbeat':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.follower.onHeartbeat(m);
        break;
      case 'snap':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.follower.onSnapshotChunk(m);
        break;
      case 'timeoutNow':
        this.cfg.logger.info({ id: this.id, from: m.from, term: this.term }, 'leadership transfer: campaigning now');
        this.hup(true);
        break;
      default:
        break;
    }
  }

  private stepCandidate(m: Message): void {
    switch (m.type) {
      case 'app':
        this.becomeFollower(m.term, m.from);
        this.follower.onAppend(m);
        break;
      case 'heartbeat':
        this.becomeFollower(m.term, m.from);
        this.follower.onHeartbeat(m);
        break;
      case 'snap':
        this.becomeFollower(m.term, m.from);
        this.follower.onSnapshotChunk(m);
        break;
      case 'voteResp':
      case 'preVoteResp': {
        const expected = this.role === 'preCandidate' ? 'preVoteResp' : 'voteResp';
        if (m.type !== expected) return;
        this.tracker.recordVote(m.from, !m.reject);
        const result = this.tracker.tallyVotes();
        if (result === 'won') {
          if (this.role === 'preCandidate') this.campaign('vote', false);
          else this.becomeLeader();
        } else if (result === 'lost') {
          this.becomeFollower(this.term, '');
        }
        break;
      }
      default:
        break;
    }
  }

  private stepLeader(m: Message): void {
    const pr = this.prs.get(m.from);
    if (pr === undefined) return;
    pr.recentActive = true;
    pr.heard++;
    switch (m.type) {
      case 'appResp':
        this.handleAppendResponse(m, pr);
        break;
      case 'heartbeatResp':
        this.replication.onHeartbeatResponse(m, pr);
        if (m.ctx !== '') this.releaseReads(this.readOnly.ack(m.ctx, m.from, this.voters));
        break;
      case 'snapResp':
        this.replication.onSnapshotResponse(m, pr);
        break;
      default:
        break;
    }
  }

  // ---------------------------------------------------------------- leader side of replication

  private handleAppendResponse(m: AppendResponse, pr: Progress): void {
    const wasPaused = pr.isPaused();
    if (!this.replication.onAppendResponse(m, pr)) return;
    this.replication.afterProgress(m.from, pr, this.maybeCommit(), wasPaused);
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.sendTimeoutNow(m.from);
    }
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send({ type: 'timeoutNow', from: this.id, to, term: this.term });
  }

  /** Advance the commit index to the highest index stored on a quorum of voters, if in this term. */
  private maybeCommit(): boolean {
    if (this.voters.size === 0) return false;
    const idx = this.tracker.committed();
    const before = this.log.committed;
    if (!this.log.maybeCommit(idx, this.term)) return false;
    this.onCommitAdvanced(before);
    return true;
  }

  private onCommitAdvanced(before: number): void {
    if (this.readOnly.hasAwaitingCommit() && this.committedInTerm() && before < this.log.committed) {
      for (const ctx of this.readOnly.takeAwaitingCommit()) this.readIndex(ctx);
    }
  }

  private committedInTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  // ---------------------------------------------------------------- proposals

  private appendEntries(ents: Entry[]): number {
    let li = this.log.lastIndex();
    const stamped = ents.map((e) => ({ term: this.term, index: ++li, type: e.type, data: e.data }));
    li = this.log.append(stamped);
    // The leader's own copy counts toward the quorum only once it is durable: see onStable.
    return li;
  }

  /**
   * The shell made the log durable up to (index, term). On the leader this is its own
   * acknowledgement, which may complete a quorum.
   */
  onStable(index: number, term: number): void {
    if (this.role !== 'leader' || this.log.term(index) !== term) return;
    const self = this.prs.get(this.id);
    if (self === undefined || !self.maybeUpdate(index)) return;
    if (this.maybeCommit()) this.replication.bcastAppend();
  }

  propose(data: Uint8Array): ProposeResult {
    return this.proposeBatch([data]);
  }

  /** Propose several entries at once (one append message per follower). */
  proposeBatch(items: readonly Uint8Array[]): ProposeResult {
    const refused = this.refuseProposal();
    if (refused !== null) return refused;
    if (items.length === 0) return { ok: true, index: this.log.lastIndex(), term: this.term };
    const index = this.appendEntries(items.map((data) => ({ term: 0, index: 0, type: 'normal' as const, data })));
    this.replication.bcastAppend();
    return { ok: true, index: index - items.length + 1, term: this.term };
  }

  proposeConfChange(cc: ConfChange): ProposeResult {
    const refused = this.refuseProposal();
    if (refused !== null) return refused;
    if (this.pendingConfIndex > this.log.applied) {
      return { ok: false, reason: 'confChangePending', detail: `a membership change at index ${this.pendingConfIndex} is not applied yet (applied ${this.log.applied})` };
    }
    const invalid = validateConfChange(cc, this.voters, this.learners);
    if (invalid !== null) return { ok: false, reason: 'invalidConfChange', detail: invalid };
    const index = this.appendEntries([{ term: 0, index: 0, type: 'confChange', data: encodeConfChange(cc) }]);
    this.pendingConfIndex = index;
    this.replication.bcastAppend();
    return { ok: true, index, term: this.term };
  }

  private refuseProposal(): Extract<ProposeResult, { ok: false }> | null {
    if (this.role !== 'leader') {
      return { ok: false, reason: 'notLeader', detail: this.lead === '' ? 'no leader is known' : `the leader is ${this.lead}` };
    }
    if (this.leadTransferee !== '') {
      return { ok: false, reason: 'transferring', detail: `leadership is being transferred to ${this.leadTransferee}` };
    }
    return null;
  }

  /**
   * Linearizable read (thesis §6.4): remember the commit index, confirm leadership with a
   * heartbeat round, then report the index in a ReadState. Returns false if not leader.
   */
  readIndex(ctx: string): boolean {
    if (this.role !== 'leader') return false;
    if (!this.committedInTerm()) {
      this.readOnly.awaitCommit(ctx);
      return true;
    }
    const index = this.log.committed;
    if (this.voters.size === 1 && this.voters.has(this.id)) {
      this.readStates.push({ index, ctx });
      return true;
    }
    this.readOnly.add(ctx, index, this.id);
    for (const id of this.voters) if (id !== this.id) this.replication.sendHeartbeat(id, ctx);
    return true;
  }

  private releaseReads(done: readonly ReadState[]): void {
    for (const r of done) this.readStates.push(r);
  }

  transferLeader(to: NodeId): ProposeResult {
    if (this.role !== 'leader') return { ok: false, reason: 'notLeader', detail: 'only the leader can transfer leadership' };
    if (to === this.id) return { ok: true, index: this.log.lastIndex(), term: this.term };
    if (!this.voters.has(to)) return { ok: false, reason: 'invalidConfChange', detail: `node ${to} is not a voter` };
    if (this.leadTransferee === to) return { ok: true, index: this.log.lastIndex(), term: this.term };
    this.leadTransferee = to;
    // The transfer must finish within an election timeout or it is abandoned.
    this.electionElapsed = 0;
    const pr = this.prs.get(to);
    if (pr !== undefined && pr.match === this.log.lastIndex()) this.sendTimeoutNow(to);
    else this.replication.sendAppend(to);
    return { ok: true, index: this.log.lastIndex(), term: this.term };
  }

  reportUnreachable(id: NodeId): void {
    const pr = this.prs.get(id);
    if (this.role !== 'leader' || pr === undefined) return;
    if (pr.state === 'replicate') pr.becomeProbe();
  }

  private send(m: Message): void {
    this.msgs.push(m);
  }

  /** Campaign at once if promotable (tests and operators). */
  campaignNow(): void {
    this.hup(false);
  }

  /** Election timing, for status output. */
  electionState(): { electionElapsed: number; randomizedElectionTimeout: number } {
    return { electionElapsed: this.electionElapsed, randomizedElectionTimeout: this.randomizedElectionTimeout };
  }
}
