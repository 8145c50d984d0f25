import { applyToMembership, type ExtendedConfChange } from './confchange';
import { Progress } from './progress';
import { committedIndex, hasQuorum, voteResult, type VoteResult } from './quorum';
import type { ConfState, NodeId } from './types';

/**
 * The configuration and what the node knows of each member (etcd-io/raft's tracker package): the
 * voters and learners, every member's replication Progress (meaningful on the leader) and the
 * votes of the election in progress, with the quorum questions asked of them.
 */
export class ProgressTracker {
  voters = new Set<NodeId>();
  learners = new Set<NodeId>();
  /** Progress of every member (voters and learners, self included). */
  readonly prs = new Map<NodeId, Progress>();
  private votes = new Map<NodeId, boolean>();

  constructor(private readonly maxInflightMsgs: number) {}

  /** Take a whole configuration (the stored one, or a snapshot's); progress restarts at `next`. */
  applyConfState(cs: ConfState, next: number): void {
    this.voters = new Set(cs.voters);
    this.learners = new Set(cs.learners);
    this.prs.clear();
    for (const id of cs.voters) this.prs.set(id, new Progress(next, this.maxInflightMsgs, false));
    for (const id of cs.learners) this.prs.set(id, new Progress(next, this.maxInflightMsgs, true));
  }

  confState(): ConfState {
    return { voters: [...this.voters].sort(), learners: [...this.learners].sort() };
  }

  /** Apply a committed membership change; false when it is void (see applyToMembership). */
  applyChange(cc: ExtendedConfChange, next: number): boolean {
    if (!applyToMembership(this, cc)) return false;
    const pr = this.prs.get(cc.node);
    if (cc.type === 'remove') {
      this.prs.delete(cc.node);
    } else if (pr === undefined) {
      this.prs.set(cc.node, new Progress(next, this.maxInflightMsgs, this.learners.has(cc.node)));
    } else {
      pr.isLearner = this.learners.has(cc.node);
    }
    return true;
  }

  /** A node with no configuration yet (one waiting to be added) knows no members. */
  hasConfig(): boolean {
    return this.voters.size > 0 || this.learners.size > 0;
  }

  isMember(id: NodeId): boolean {
    return this.voters.has(id) || this.learners.has(id);
  }

  /** A new term: every member's progress starts over at `next`; our own match is what is durable. */
  resetProgress(next: number, self: NodeId, selfMatch: number): void {
    for (const [id, pr] of this.prs) {
      const fresh = new Progress(next, this.maxInflightMsgs, pr.isLearner);
      if (id === self) fresh.match = selfMatch;
      this.prs.set(id, fresh);
    }
  }

  /**
   * CheckQuorum: did a majority of voters (self included) talk to us since the last round? Starts
   * the next round.
   */
  quorumActive(self: NodeId): boolean {
    const active = hasQuorum(this.voters, (id) => {
      const pr = this.prs.get(id);
      return pr !== undefined && (id === self || pr.recentActive);
    });
    for (const [id, pr] of this.prs) if (id !== self && this.voters.has(id)) pr.recentActive = false;
    return active;
  }

  /** The highest index stored on a majority of voters (0 with no voters). */
  committed(): number {
    return committedIndex(this.voters, (id) => this.prs.get(id)?.match ?? 0);
  }

  resetVotes(): void {
    this.votes = new Map();
  }

  /** Only a voter's first answer in an election counts. */
  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): VoteResult {
    return voteResult(this.voters, this.votes);
  }
}
