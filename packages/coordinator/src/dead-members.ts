import type { Logger } from '@quorumlock/raft';
import type { Replica } from './replica';

export interface DeadMemberOptions {
  /** A member the leader has not heard from for this long is removed. */
  readonly timeoutMs: number;
  /** Only these may be removed (with StatefulSet discovery: the ordinals at or past --bootstrap-expect). */
  readonly removable: (id: string) => boolean;
  /** Never remove a voter if fewer voters than this would remain. */
  readonly minVoters: number;
  readonly logger: Logger;
}

/**
 * Autopilot-style dead-member cleanup, run by the leader (as Consul's and Vault's autopilot do):
 * a removable member the leader has not heard from for `timeoutMs` is removed from the
 * configuration, one at a time and never below `minVoters` voters. This is how a scale-down
 * finishes: `kubectl scale --replicas=3` stops pods 3 and 4, and once they have been silent for
 * the timeout the leader removes them, so the quorum is 2 of 3 again. A rolling restart, a drain
 * or a reschedule that brings the pod back within the timeout removes nothing; the founders
 * (ordinals below --bootstrap-expect) are never removed.
 */
export class DeadMembers {
  private readonly lastHeard = new Map<string, number>();
  /** Each member's `heard` counter at the last check: a change means it spoke since. */
  private readonly heardCount = new Map<string, number>();
  private leaderSince = -1;
  private removing = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly replica: Replica, private readonly o: DeadMemberOptions) {}

  start(): void {
    if (this.o.timeoutMs <= 0) return;
    this.timer = setInterval(() => this.check(), Math.max(50, Math.min(1000, Math.floor(this.o.timeoutMs / 4))));
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private check(): void {
    const node = this.replica.node;
    if (!node.isLeader()) {
      this.leaderSince = -1;
      this.lastHeard.clear();
      this.heardCount.clear();
      return;
    }
    const now = performance.now();
    // A new leader has heard from no one yet: everyone gets the full timeout from its election.
    if (this.leaderSince < 0) this.leaderSince = now;
    const st = node.status();
    let dead: string | undefined;
    for (const [id, pr] of st.progress) {
      if (id === this.replica.id) continue;
      const heard = pr.heard !== (this.heardCount.get(id) ?? 0);
      this.heardCount.set(id, pr.heard);
      if (heard || !this.lastHeard.has(id)) this.lastHeard.set(id, heard ? now : this.leaderSince);
      const silentMs = now - (this.lastHeard.get(id) ?? now);
      if (silentMs < this.o.timeoutMs || !this.o.removable(id)) continue;
      if (!pr.learner && st.confState.voters.length - 1 < this.o.minVoters) continue;
      dead ??= id;
    }
    for (const id of this.lastHeard.keys()) {
      if (st.progress.has(id)) continue;
      this.lastHeard.delete(id);
      this.heardCount.delete(id);
    }
    if (dead === undefined || this.removing) return;
    const id = dead;
    const silentMs = Math.round(now - (this.lastHeard.get(id) ?? now));
    this.removing = true;
    this.o.logger.warn({ member: id, silentMs, timeoutMs: this.o.timeoutMs }, 'removing a member the leader has not heard from within the dead-member timeout');
    node.removeMember(id).then(
      () => this.o.logger.warn({ member: id, silentMs }, 'dead member removed from the configuration'),
      (e: unknown) => this.o.logger.info({ member: id, err: e instanceof Error ? e.message : String(e) }, 'could not remove a dead member yet'),
    ).finally(() => {
      this.removing = false;
      this.lastHeard.delete(id);
    });
  }
}
