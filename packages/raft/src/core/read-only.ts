import { hasQuorum } from './quorum';
import type { NodeId, ReadState } from './types';

interface PendingRead {
  readonly ctx: string;
  readonly index: number;
  readonly acks: Set<NodeId>;
}

/**
 * The leader's linearizable reads in flight (thesis §6.4; etcd-io/raft's read_only.go): each
 * remembers the commit index at the time it was asked and is released once a quorum of voters
 * has answered a heartbeat sent after it. Only the leader uses it; a role change resets it.
 */
export class ReadOnly {
  private pending: PendingRead[] = [];
  /** Reads asked before this leader committed an entry of its term: served once it has. */
  private awaitingCommit: string[] = [];

  reset(): void {
    this.pending = [];
    this.awaitingCommit = [];
  }

  /** The newest pending read, carried by the next heartbeat round ('' when none). */
  lastCtx(): string {
    return this.pending[this.pending.length - 1]?.ctx ?? '';
  }

  awaitCommit(ctx: string): void {
    this.awaitingCommit.push(ctx);
  }

  hasAwaitingCommit(): boolean {
    return this.awaitingCommit.length > 0;
  }

  /** The reads that waited for this term's first commit, handed back to be asked again. */
  takeAwaitingCommit(): string[] {
    const waiting = this.awaitingCommit;
    this.awaitingCommit = [];
    return waiting;
  }

  /** A read at commit index `index`, acknowledged by the leader `self` so far. */
  add(ctx: string, index: number, self: NodeId): void {
    this.pending.push({ ctx, index, acks: new Set([self]) });
  }

  /** A voter answered the heartbeat carrying `ctx`: the reads it releases, oldest first. */
  ack(ctx: string, from: NodeId, voters: ReadonlySet<NodeId>): ReadState[] {
    const at = this.pending.findIndex((r) => r.ctx === ctx);
    if (at < 0) return [];
    const read = this.pending[at];
    if (read === undefined || !voters.has(from)) return [];
    read.acks.add(from);
    if (!hasQuorum(voters, (id) => read.acks.has(id))) return [];
    // A quorum confirmed leadership after every earlier read was asked: release them too.
    return this.pending.splice(0, at + 1).map((r) => ({ index: r.index, ctx: r.ctx }));
  }
}
