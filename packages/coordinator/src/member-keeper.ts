import * as grpc from '@grpc/grpc-js';
import type { Logger } from '@quorumlock/raft';
import { findLeader } from './founder-check';
import { callMembership, type PeerDialing, type PeerRef } from './peer-rpc';

export interface MemberKeeperOptions {
  readonly self: string;
  readonly clusterId: string;
  /** How the leader reaches this node. */
  readonly peerAddress: string;
  readonly clientAddress: string;
  /** Peers to ask for the leader (the founders; the current leader first if known), on their peer ports. */
  readonly contacts: () => readonly PeerRef[];
  /**
   * This node's peer TLS (undefined: plaintext). Its peer certificate is its credential: the
   * leader adds only the member id that certificate names.
   */
  readonly dialing: PeerDialing;
  /** Whether this node leads now (a leader is a voter of its own configuration: nothing to ask). */
  readonly leading: () => boolean;
  readonly logger: Logger;
  readonly pollMs?: number;
  /** How long the leader may take to catch this node up and promote it, per attempt. */
  readonly addTimeoutMs?: number;
}

/**
 * Make sure this node is a voter: ask the leader to add it (as a learner, promoted once it has
 * caught up, RaftNode.addMember) until the leader lists it as a voter. A founder or a member that
 * restarts with its volume finds itself a voter at once; a new pod (scale up) or a founder back
 * with an empty volume is added. Runs until done or stopped; never gives up, since a StatefulSet
 * pod has nothing better to do than wait for its cluster.
 */
export class MemberKeeper {
  private stopped = false;
  readonly done: Promise<void>;

  constructor(private readonly o: MemberKeeperOptions) {
    this.done = this.run();
  }

  stop(): void {
    this.stopped = true;
  }

  private async run(): Promise<void> {
    const o = this.o;
    const started = performance.now();
    const pollMs = o.pollMs ?? 500;
    let lastLog = 0;
    let asked = false;
    while (!this.stopped) {
      if (o.leading()) {
        o.logger.info({ ms: Math.round(performance.now() - started), added: asked }, 'this node is a voter (it leads)');
        return;
      }
      const leader = await findLeader(o.self, o.clusterId, o.contacts(), o.dialing, 2000);
      let why = 'no leader answers';
      if (leader !== null) {
        const me = leader.status.members.find((m) => m.id === o.self);
        if (me?.voter === true) {
          o.logger.info({ leader: leader.status.leaderId, ms: Math.round(performance.now() - started), added: asked }, asked ? 'added to the cluster and promoted to voter' : 'this node is a voter');
          return;
        }
        asked = true;
        const err = await callMembership(leader.peer, o.dialing, { add: { id: o.self, peerAddress: o.peerAddress, clientAddress: o.clientAddress } }, (o.addTimeoutMs ?? 30_000) + 5000);
        if (err === null) continue;
        why = `${grpc.status[err.code]}: ${err.details}`;
      }
      if (performance.now() - lastLog > 5000) {
        lastLog = performance.now();
        o.logger.info({ why, member: leader?.status.members.find((m) => m.id === o.self)?.voter === false ? 'learner' : 'absent' }, 'not a voter yet; asking the leader to add this node');
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
}
