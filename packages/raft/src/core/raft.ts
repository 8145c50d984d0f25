import { assert, assertNever } from './assert';
import type { RaftConfig } from './config';
import { Progress } from './progress';
import { RaftLog } from './raft-log';
import type {
  AppendMessage,
  AppendResponse,
  ConfChange,
  ConfState,
  Entry,
  HeartbeatMessage,
  HeartbeatResponse,
  Message,
  NodeId,
  ReadState,
  Role,
  Snapshot,
  SnapshotChunk,
  SnapshotResponse,
  VoteMessage,
} from './types';
import { CompactedError } from './storage';

/** Why a proposal was not accepted; the analogue of etcd's ErrProposalDropped. */
export type ProposeRefusal = 'notLeader' | 'transferring' | 'confChangePending' | 'invalidConfChange';
export type ProposeResult =
  | { readonly ok: true; readonly index: number; readonly term: number }
  | { readonly ok: false; readonly reason: ProposeRefusal; readonly detail: string };

interface PendingRead {
  readonly ctx: string;
  readonly index: number;
  readonly acks: Set<NodeId>;
}

interface SnapshotReceive {
  readonly from: NodeId;
  readonly index: number;
  readonly term: number;
  readonly totalBytes: number;
  readonly chunks: Uint8Array[];
  received: number;
}

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
  /** Progress of every member (voters and learners, self included); meaningful on the leader. */
  readonly prs = new Map<NodeId, Progress>();
  voters = new Set<NodeId>();
  learners = new Set<NodeId>();
  msgs: Message[] = [];
  readStates: ReadState[] = [];

  private readonly cfg: RaftConfig;
  private votes = new Map<NodeId, boolean>();
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  /** Target of an ongoing leadership transfer; proposals are refused meanwhile. */
  leadTransferee: NodeId = '';
  /** No new membership change is accepted until the log is applied past this index. */
  private pendingConfIndex = 0;
  private pendingReads: PendingRead[] = [];
  /** Reads asked before this leader committed an entry of its term: served once it has. */
  private readsAwaitingCommit: string[] = [];
  private snapshotReceive: SnapshotReceive | null = null;

  constructor(cfg: RaftConfig) {
    this.cfg = cfg;
    this.id = cfg.id;
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
    if (this.voters.size === 0 && this.learners.size === 0 && storage.lastIndex() === 0 && cfg.peers.length > 0) {
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
    const ents: Entry[] = peers.map((node, i) => ({
      term: 1,
      index: i + 1,
      type: 'confChange',
      data: encodeConfChange({ type: 'addVoter', node, context: '' }),
    }));
    this.log.append(ents);
    this.log.commitTo(ents.length);
    this.term = 1;
    for (const node of peers) this.applyConfChange({ type: 'addVoter', node, context: '' });
  }

  // ---------------------------------------------------------------- membership

  promotable(): boolean {
    return this.voters.has(this.id);
  }

  applyConfState(cs: ConfState): void {
    this.voters = new Set(cs.voters);
    this.learners = new Set(cs.learners);
    this.prs.clear();
    const next = this.log.lastIndex() + 1;
    for (const id of cs.voters) this.prs.set(id, new Progress(next, this.cfg.maxInflightMsgs, false));
    for (const id of cs.learners) this.prs.set(id, new Progress(next, this.cfg.maxInflightMsgs, true));
  }

  confState(): ConfState {
    return { voters: [...this.voters].sort(), learners: [...this.learners].sort() };
  }

  /** Apply a committed membership change (called as its entry is handed to the application). */
  applyConfChange(cc: ExtendedConfChange): void {
    const next = this.log.lastIndex() + 1;
    switch (cc.type) {
      case 'addVoter':
        this.learners.delete(cc.node);
        this.voters.add(cc.node);
        break;
      case 'addLearner':
        if (this.voters.has(cc.node)) return;
        this.learners.add(cc.node);
        break;
      case 'promote':
        if (!this.learners.has(cc.node)) return;
        this.learners.delete(cc.node);
        this.voters.add(cc.node);
        break;
      case 'remove':
        this.voters.delete(cc.node);
        this.learners.delete(cc.node);
        this.prs.delete(cc.node);
        break;
      default:
        assertNever(cc);
    }
    if (cc.type !== 'remove') {
      const pr = this.prs.get(cc.node);
      if (pr === undefined) {
        this.prs.set(cc.node, new Progress(next, this.cfg.maxInflightMsgs, this.learners.has(cc.node)));
      } else {
        pr.isLearner = this.learners.has(cc.node);
      }
    }
    if (this.role !== 'leader') return;
    if (cc.type === 'remove' && cc.node === this.id) {
      // A removed leader steps down; the remaining members elect a leader among themselves.
      this.becomeFollower(this.term, '');
      return;
    }
    if (cc.type === 'remove' && cc.node === this.leadTransferee) this.leadTransferee = '';
    // The quorum may have shrunk: entries may now be committed.
    if (this.maybeCommit()) this.bcastAppend();
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
    this.votes = new Map();
    this.leadTransferee = '';
    this.pendingReads = [];
    this.readsAwaitingCommit = [];
    const next = this.log.lastIndex() + 1;
    for (const [id, pr] of this.prs) {
      const fresh = new Progress(next, this.cfg.maxInflightMsgs, pr.isLearner);
      if (id === this.id) fresh.match = this.log.stableIndex();
      this.prs.set(id, fresh);
    }
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.role = 'follower';
    this.lead = lead;
  }

  private becomePreCandidate(): void {
    assert(this.role !== 'leader', 'a leader cannot become a pre-candidate');
    // PreVote changes neither term nor vote: a partitioned node rejoining cannot disrupt the cluster.
    this.votes = new Map();
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
    this.bcastAppend();
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
      if (this.cfg.checkQuorum && !this.quorumActive()) {
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
      const last = this.pendingReads[this.pendingReads.length - 1];
      this.bcastHeartbeat(last?.ctx ?? '');
      this.resendStalled();
    }
  }

  /** CheckQuorum: did a majority of voters (self included) talk to us since the last round? */
  private quorumActive(): boolean {
    let active = 0;
    for (const id of this.voters) {
      const pr = this.prs.get(id);
      if (pr === undefined) continue;
      if (id === this.id || pr.recentActive) active++;
      if (id !== this.id) pr.recentActive = false;
    }
    return active >= quorumSize(this.voters.size);
  }

  /**
   * A lost append in replicate state is otherwise only noticed at the next proposal. Two
   * heartbeat rounds without progress: probe again from the match point.
   */
  private resendStalled(): void {
    const last = this.log.lastIndex();
    for (const [id, pr] of this.prs) {
      if (id === this.id) continue;
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
    this.recordVote(this.id, true);
    if (this.tally() === 'won') {
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

  private recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  private tally(): 'won' | 'lost' | 'pending' {
    let granted = 0;
    let rejected = 0;
    for (const id of this.voters) {
      const v = this.votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    const q = quorumSize(this.voters.size);
    if (granted >= q) return 'won';
    if (rejected > this.voters.size - q) return 'lost';
    return 'pending';
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
    if (this.voters.size === 0 && this.learners.size === 0) return true;
    return this.voters.has(from) || this.learners.has(from);
  }

  private handleVote(m: VoteMessage): void {
    // No configuration yet (waiting to be added, or back with an empty data dir): no voter, and a vote it gave before may be forgotten.
    const canVote = (this.voters.size > 0 || this.learners.size > 0) &&
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
        this.handleAppend(m);
        break;
      case 'heartbeat':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        break;
      case 'snap':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshotChunk(m);
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
        this.handleAppend(m);
        break;
      case 'heartbeat':
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        break;
      case 'snap':
        this.becomeFollower(m.term, m.from);
        this.handleSnapshotChunk(m);
        break;
      case 'voteResp':
      case 'preVoteResp': {
        const expected = this.role === 'preCandidate' ? 'preVoteResp' : 'voteResp';
        if (m.type !== expected) return;
        this.recordVote(m.from, !m.reject);
        const result = this.tally();
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
        this.handleHeartbeatResponse(m, pr);
        break;
      case 'snapResp':
        this.handleSnapshotResponse(m, pr);
        break;
      default:
        break;
    }
  }

  // ---------------------------------------------------------------- follower side of replication

  private handleAppend(m: AppendMessage): void {
    const base = { from: this.id, to: m.from, term: this.term, hintIndex: 0, hintTerm: 0 } as const;
    if (m.index < this.log.committed) {
      this.send({ type: 'appResp', ...base, index: this.log.committed, reject: false });
      return;
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      this.send({ type: 'appResp', ...base, index: lastNew, reject: false });
      return;
    }
    // Point the leader at our last entry whose term is at most its logTerm: every index above it
    // is certain to conflict, so whole terms are skipped in one round trip.
    const hintIndex = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    const hintTerm = this.log.term(hintIndex);
    this.send({ type: 'appResp', ...base, index: m.index, reject: true, hintIndex, hintTerm });
  }

  private handleHeartbeat(m: HeartbeatMessage): void {
    this.log.commitTo(Math.min(m.commit, this.log.lastIndex()));
    this.send({ type: 'heartbeatResp', from: this.id, to: m.from, term: this.term, ctx: m.ctx });
  }

  private handleSnapshotChunk(m: SnapshotChunk): void {
    const respond = (nextOffset: number, reject: boolean): void => {
      this.send({ type: 'snapResp', from: this.id, to: m.from, term: this.term, snapIndex: m.meta.index, nextOffset, reject, index: 0 });
    };
    if (m.meta.index <= this.log.committed) {
      // Already have everything it covers; tell the leader where we are.
      this.snapshotReceive = null;
      this.send({ type: 'appResp', from: this.id, to: m.from, term: this.term, index: this.log.committed, reject: false, hintIndex: 0, hintTerm: 0 });
      return;
    }
    let rx = this.snapshotReceive;
    const same = rx !== null && rx.index === m.meta.index && rx.term === m.meta.term && rx.from === m.from;
    if (m.offset === 0 && !same) {
      rx = { from: m.from, index: m.meta.index, term: m.meta.term, totalBytes: m.totalBytes, chunks: [], received: 0 };
      this.snapshotReceive = rx;
    }
    if (rx === null || rx.index !== m.meta.index || rx.term !== m.meta.term || rx.from !== m.from) {
      respond(0, true);
      return;
    }
    // The sizes come from the wire: a chunk that contradicts them restarts the transfer instead of
    // tripping an assertion (or buffering more than the announced size).
    const end = m.offset + m.data.byteLength;
    const badSize =
      m.totalBytes !== rx.totalBytes
        ? `announces ${m.totalBytes} bytes, the transfer ${rx.totalBytes}`
        : end > rx.totalBytes
          ? `ends at byte ${end}, past its total of ${rx.totalBytes}`
          : m.done && end !== rx.totalBytes
            ? `is the last one but ends at byte ${end} of ${rx.totalBytes}`
            : null;
    if (badSize !== null && m.offset === rx.received) {
      this.cfg.logger.warn({ id: this.id, from: m.from, index: m.meta.index, offset: m.offset }, `rejecting snapshot chunk: it ${badSize}`);
      this.snapshotReceive = null;
      respond(0, true);
      return;
    }
    if (m.offset !== rx.received) {
      // A duplicate or a gap: say which byte we need.
      respond(rx.received, false);
      return;
    }
    rx.chunks.push(m.data);
    rx.received += m.data.byteLength;
    if (!m.done) {
      respond(rx.received, false);
      return;
    }
    this.snapshotReceive = null;
    const data = concatChunks(rx.chunks, rx.received);
    const invalid =
      m.meta.confState.voters.length === 0 ? 'its configuration has no voters' : this.cfg.validateSnapshot(data);
    if (invalid !== null) {
      // Refused before restore, so nothing of it reaches the storage.
      this.cfg.logger.warn({ id: this.id, from: m.from, index: m.meta.index, bytes: data.byteLength }, `rejecting snapshot: ${invalid}`);
      respond(0, true);
      return;
    }
    const snap: Snapshot = { meta: m.meta, data };
    // Only what the snapshot vouches for may be reported as matching: after a fast-forward our
    // log past the snapshot index may still hold another leader's uncommitted entries.
    const installed = this.restore(snap);
    // After a fast-forward the commit index is the snapshot's index, whose entry matches.
    const match = installed ? this.log.lastIndex() : this.log.committed;
    if (installed) this.cfg.logger.info({ id: this.id, index: snap.meta.index, term: snap.meta.term }, 'installed snapshot');
    this.send({ type: 'appResp', from: this.id, to: m.from, term: this.term, index: match, reject: false, hintIndex: 0, hintTerm: 0 });
  }

  /** Install a leader's snapshot; false when our log already contains it. */
  private restore(snap: Snapshot): boolean {
    if (snap.meta.index <= this.log.committed) return false;
    if (this.log.matchTerm(snap.meta.index, snap.meta.term)) {
      // Our log has the entry: fast-forward the commit instead of discarding the log.
      this.log.commitTo(snap.meta.index);
      return false;
    }
    this.log.restore(snap);
    this.applyConfState(snap.meta.confState);
    return true;
  }

  // ---------------------------------------------------------------- leader side of replication

  private handleAppendResponse(m: AppendResponse, pr: Progress): void {
    if (m.reject) {
      let nextProbe = m.hintIndex;
      if (m.hintTerm > 0) nextProbe = this.log.findConflictByTerm(m.hintIndex, m.hintTerm);
      if (pr.maybeDecrTo(m.index, nextProbe)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    const oldPaused = pr.isPaused();
    const updated = pr.maybeUpdate(m.index);
    if (pr.state === 'snapshot') {
      const pending = pr.pendingSnapshot?.meta.index ?? 0;
      if (pr.match + 1 >= this.log.firstIndex()) {
        // The log can take it from here.
        pr.becomeProbe();
        pr.becomeReplicate();
      } else if (pr.match >= pending) {
        // The follower already had what this snapshot holds (or installed it) but is still
        // behind our log's start: send the newest snapshot instead of waiting forever.
        pr.becomeProbe();
        this.sendAppend(m.from);
        return;
      } else {
        return;
      }
    } else if (!updated) {
      if (oldPaused && !pr.isPaused()) this.sendAppend(m.from);
      return;
    }
    switch (pr.state) {
      case 'probe':
        pr.becomeReplicate();
        break;
      case 'snapshot':
        break;
      case 'replicate':
        pr.inflights.freeLE(m.index);
        break;
    }
    if (this.maybeCommit()) {
      this.bcastAppend();
    } else if (oldPaused || pr.match < this.log.lastIndex()) {
      this.sendAppend(m.from);
    }
    // Keep the pipeline full after a burst of acknowledgements.
    while (pr.next <= this.log.lastIndex() && !pr.isPaused()) {
      if (!this.sendAppend(m.from)) break;
    }
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.sendTimeoutNow(m.from);
    }
  }

  private handleHeartbeatResponse(m: HeartbeatResponse, pr: Progress): void {
    pr.probeSent = false;
    if (pr.match < this.log.lastIndex()) this.sendAppend(m.from);
    if (m.ctx !== '') this.ackRead(m.ctx, m.from);
  }

  private handleSnapshotResponse(m: SnapshotResponse, pr: Progress): void {
    if (pr.state !== 'snapshot' || pr.pendingSnapshot === null || pr.pendingSnapshot.meta.index !== m.snapIndex) return;
    if (!m.reject && m.nextOffset <= pr.snapshotOffset) return;
    pr.snapshotOffset = m.reject ? 0 : m.nextOffset;
    this.sendSnapshotChunk(m.from, pr);
  }

  /** Send the next batch of entries to `to`; returns whether a message went out. */
  private sendAppend(to: NodeId): boolean {
    const pr = this.prs.get(to);
    if (pr === undefined || to === this.id || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    let ents: Entry[];
    if (prevIndex < this.log.firstIndex() - 1 || (prevTerm === 0 && prevIndex > 0)) {
      return this.startSnapshot(to, pr);
    }
    try {
      ents = this.log.entriesFrom(pr.next, this.cfg.maxBytesPerMsg);
    } catch (e) {
      if (e instanceof CompactedError) return this.startSnapshot(to, pr);
      throw e;
    }
    if (ents.length === 0 && pr.state === 'replicate') return false;
    this.send({ type: 'app', from: this.id, to, term: this.term, index: prevIndex, logTerm: prevTerm, entries: ents, commit: this.log.committed });
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
    const snap = this.log.snapshot();
    assert(snap.meta.index > 0, `need a snapshot for ${to} but none exists (first index ${this.log.firstIndex()})`);
    pr.becomeSnapshot(snap);
    this.cfg.logger.info({ id: this.id, to, index: snap.meta.index, bytes: snap.data.byteLength }, 'sending snapshot');
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
      from: this.id,
      to,
      term: this.term,
      meta: snap.meta,
      offset,
      totalBytes: snap.data.byteLength,
      data: snap.data.subarray(offset, end),
      done: end === snap.data.byteLength,
    });
  }

  private bcastAppend(): void {
    for (const id of this.prs.keys()) if (id !== this.id) this.sendAppend(id);
  }

  private bcastHeartbeat(ctx: string): void {
    for (const [id, pr] of this.prs) {
      if (id === this.id) continue;
      // A follower must not learn of a commit beyond what it is known to have.
      const commit = Math.min(pr.match, this.log.committed);
      this.send({ type: 'heartbeat', from: this.id, to: id, term: this.term, commit, ctx });
    }
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send({ type: 'timeoutNow', from: this.id, to, term: this.term });
  }

  /** Advance the commit index to the highest index stored on a quorum of voters, if in this term. */
  private maybeCommit(): boolean {
    const matches: number[] = [];
    for (const id of this.voters) matches.push(this.prs.get(id)?.match ?? 0);
    if (matches.length === 0) return false;
    matches.sort((a, b) => b - a);
    const idx = matches[quorumSize(matches.length) - 1] ?? 0;
    const before = this.log.committed;
    if (!this.log.maybeCommit(idx, this.term)) return false;
    this.onCommitAdvanced(before);
    return true;
  }

  private onCommitAdvanced(before: number): void {
    if (this.readsAwaitingCommit.length > 0 && this.committedInTerm() && before < this.log.committed) {
      const waiting = this.readsAwaitingCommit;
      this.readsAwaitingCommit = [];
      for (const ctx of waiting) this.readIndex(ctx);
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
    if (this.maybeCommit()) this.bcastAppend();
  }

  propose(data: Uint8Array): ProposeResult {
    const refused = this.refuseProposal();
    if (refused !== null) return refused;
    const index = this.appendEntries([{ term: 0, index: 0, type: 'normal', data }]);
    this.bcastAppend();
    return { ok: true, index, term: this.term };
  }

  /** Propose several entries at once (one append message per follower). */
  proposeBatch(items: readonly Uint8Array[]): ProposeResult {
    const refused = this.refuseProposal();
    if (refused !== null) return refused;
    if (items.length === 0) return { ok: true, index: this.log.lastIndex(), term: this.term };
    const index = this.appendEntries(items.map((data) => ({ term: 0, index: 0, type: 'normal' as const, data })));
    this.bcastAppend();
    return { ok: true, index: index - items.length + 1, term: this.term };
  }

  proposeConfChange(cc: ConfChange): ProposeResult {
    const refused = this.refuseProposal();
    if (refused !== null) return refused;
    if (this.pendingConfIndex > this.log.applied) {
      return { ok: false, reason: 'confChangePending', detail: `a membership change at index ${this.pendingConfIndex} is not applied yet (applied ${this.log.applied})` };
    }
    const invalid = this.validateConfChange(cc);
    if (invalid !== null) return { ok: false, reason: 'invalidConfChange', detail: invalid };
    const index = this.appendEntries([{ term: 0, index: 0, type: 'confChange', data: encodeConfChange(cc) }]);
    this.pendingConfIndex = index;
    this.bcastAppend();
    return { ok: true, index, term: this.term };
  }

  private validateConfChange(cc: ConfChange): string | null {
    if (cc.node === '') return 'node id must not be empty';
    switch (cc.type) {
      case 'addLearner':
        if (this.voters.has(cc.node)) return `node ${cc.node} is already a voter`;
        if (this.learners.has(cc.node)) return `node ${cc.node} is already a learner`;
        return null;
      case 'promote':
        if (!this.learners.has(cc.node)) return `node ${cc.node} is not a learner`;
        return null;
      case 'remove':
        if (!this.voters.has(cc.node) && !this.learners.has(cc.node)) return `node ${cc.node} is not a member`;
        if (this.voters.has(cc.node) && this.voters.size === 1) return `cannot remove ${cc.node}, the last voter`;
        return null;
      default:
        return assertNever(cc.type);
    }
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
      this.readsAwaitingCommit.push(ctx);
      return true;
    }
    const index = this.log.committed;
    if (this.voters.size === 1 && this.voters.has(this.id)) {
      this.readStates.push({ index, ctx });
      return true;
    }
    this.pendingReads.push({ ctx, index, acks: new Set([this.id]) });
    for (const id of this.voters) {
      if (id === this.id) continue;
      const pr = this.prs.get(id);
      this.send({ type: 'heartbeat', from: this.id, to: id, term: this.term, commit: Math.min(pr?.match ?? 0, this.log.committed), ctx });
    }
    return true;
  }

  private ackRead(ctx: string, from: NodeId): void {
    const at = this.pendingReads.findIndex((r) => r.ctx === ctx);
    if (at < 0) return;
    const read = this.pendingReads[at];
    if (read === undefined || !this.voters.has(from)) return;
    read.acks.add(from);
    let acked = 0;
    for (const id of read.acks) if (this.voters.has(id)) acked++;
    if (acked < quorumSize(this.voters.size)) return;
    // A quorum confirmed leadership after every earlier read was asked: release them too.
    const done = this.pendingReads.splice(0, at + 1);
    for (const r of done) this.readStates.push({ index: r.index, ctx: r.ctx });
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
    else this.sendAppend(to);
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

/** The smallest majority of n voters. */
export function quorumSize(n: number): number {
  return Math.floor(n / 2) + 1;
}

function concatChunks(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

/** `addVoter` is used only to bootstrap a new cluster's founding members. */
export type ExtendedConfChange = ConfChange | { readonly type: 'addVoter'; readonly node: NodeId; readonly context: string };

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** Membership entries are JSON so they stay readable in a log dump and independent of any codec. */
export function encodeConfChange(cc: ExtendedConfChange): Uint8Array {
  return textEncoder.encode(JSON.stringify({ type: cc.type, node: cc.node, context: cc.context }));
}

export function decodeConfChange(data: Uint8Array): ExtendedConfChange {
  const v: unknown = JSON.parse(textDecoder.decode(data));
  assert(typeof v === 'object' && v !== null, 'membership entry is not an object');
  const o = v as Record<string, unknown>;
  const type = o['type'];
  assert(type === 'addVoter' || type === 'addLearner' || type === 'promote' || type === 'remove', `unknown membership change ${String(type)}`);
  assert(typeof o['node'] === 'string' && typeof o['context'] === 'string', 'membership entry lacks node or context');
  return { type, node: o['node'], context: o['context'] };
}
