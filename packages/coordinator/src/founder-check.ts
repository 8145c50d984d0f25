import * as grpc from '@grpc/grpc-js';
import type { PeerServiceHandlers } from '@quorumlock/proto';
import type { Logger } from '@quorumlock/raft';
import type { MemberAddresses } from './replica';
import { askStatus, callMembership, leaderOf, PeerServiceClient, type PeerDialing, type PeerRef, type PeerStatus } from './peer-rpc';

export type { PeerStatus } from './peer-rpc';

/** The leader's peer address as `st` (a member's answer) knows it ('' if none). */
export function leaderAddressOf(st: PeerStatus): string {
  return leaderOf(st).address;
}

/**
 * Whether a founder's answer shows a cluster that has run: a known leader, entries committed past
 * the founders' bootstrap entries, or a membership that no longer lists `self`. A founder that has
 * only bootstrapped (or waits to, like this one) shows none of these.
 */
export function showsHistory(st: PeerStatus, self: string, founders: number): boolean {
  if (st.leaderId !== '') return true;
  const own = st.members.find((m) => m.id === st.answeredBy);
  if (own !== undefined && own.commitIndex > founders) return true;
  return st.members.length > 0 && !st.members.some((m) => m.id === self);
}

/**
 * While an empty founder decides, it answers PeerService.Status on its peer port (with its peer
 * TLS, the only callers are holders of a peer certificate) as a member that has not bootstrapped
 * (term 0, no members), so the other founders can tell a new cluster from an old one.
 */
async function waitingResponder(self: string, clusterId: string, listen: string, credentials: grpc.ServerCredentials): Promise<grpc.Server> {
  const server = new grpc.Server();
  const Status: PeerServiceHandlers['Status'] = (_call, cb) =>
    cb(null, { clusterId, leaderId: '', term: 0, members: [], answeredBy: self, sessions: 0, locks: 0, alarms: [], maxLoopStallMs: 0 });
  server.addService(PeerServiceClient.service, { Status });
  await new Promise<void>((resolve, reject) => server.bindAsync(listen, credentials, (err) => (err ? reject(err) : resolve())));
  return server;
}

export interface EmptyFounderOptions {
  readonly self: string;
  readonly clusterId: string;
  readonly initialCluster: Readonly<Record<string, MemberAddresses>>;
  /** This node's peer listen address, where it answers Status while it decides. */
  readonly listenPeer: string;
  /** This node's peer TLS (undefined: plaintext): how it answers and how it dials the others. */
  readonly security: (PeerDialing & { readonly serverCredentials: grpc.ServerCredentials }) | undefined;
  readonly logger: Logger;
  readonly pollMs?: number;
  readonly timeoutMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * How a founder whose data dir is empty starts. Bootstrapping is only safe in a new cluster; a
 * founder that lost its volume must never count as its old self (its forgotten votes and
 * acknowledgements would still count), so:
 *
 * - `bootstrap` only once every other founder has answered and none shows a history (as Consul's
 *   bootstrap_expect waits for all the expected servers). A founder that no one answers waits: it
 *   cannot tell a new cluster from one whose other members are down.
 * - `rejoin` as soon as one founder shows a history: the old incarnation is removed through the
 *   leader first (so the leader forgets its match index and no one counts its vote), then this node
 *   starts with no configuration and is added back as a learner, promoted once caught up
 *   (member-keeper.ts). This is what etcd asks the operator to do by hand (member remove, then
 *   member add with --initial-cluster-state existing); here it needs no operator.
 */
export async function decideEmptyFounderStart(o: EmptyFounderOptions): Promise<'bootstrap' | 'rejoin'> {
  const founders = Object.keys(o.initialCluster).length;
  const others = Object.entries(o.initialCluster).filter(([id]) => id !== o.self);
  const pollMs = o.pollMs ?? 500;
  const timeoutMs = o.timeoutMs ?? 2000;
  const responder = await waitingResponder(o.self, o.clusterId, o.listenPeer, o.security?.serverCredentials ?? grpc.ServerCredentials.createInsecure());
  let lastLog = 0;
  try {
    for (;;) {
      const answers = await Promise.all(others.map(([id, a]) => askStatus({ id, address: a.peer }, o.security, timeoutMs)));
      const heard = answers.filter((a): a is PeerStatus => a !== null && a.clusterId === o.clusterId);
      const old = heard.find((st) => showsHistory(st, o.self, founders));
      if (old !== undefined) {
        o.logger.warn(
          { answeredBy: old.answeredBy, leader: old.leaderId, term: old.term },
          'empty data dir, but the cluster already has a history: this node rejoins as a new member (its old incarnation is removed first), it does not bootstrap',
        );
        await removeOldIncarnation(o, [leaderOf(old), ...others.map(([id, a]) => ({ id, address: a.peer }))]);
        return 'rejoin';
      }
      if (heard.length === others.length) {
        o.logger.info({ founders: Object.keys(o.initialCluster) }, 'empty data dir: every founder answered and none has a history; bootstrapping a new cluster');
        return 'bootstrap';
      }
      if (performance.now() - lastLog > 5000) {
        lastLog = performance.now();
        const missing = others.filter((_, i) => answers[i] === null || answers[i]?.clusterId !== o.clusterId).map(([id]) => id);
        o.logger.info({ missing }, 'empty data dir: waiting for every founder to answer before bootstrapping (a founder cannot tell a new cluster from one whose members are down)');
      }
      await sleep(pollMs);
    }
  } finally {
    responder.forceShutdown();
  }
}

/** The leader's own Status, found through any of `contacts` (peers); null if none answers as leader. */
export async function findLeader(self: string, clusterId: string, contacts: readonly PeerRef[], dialing: PeerDialing, timeoutMs: number): Promise<{ peer: PeerRef; status: PeerStatus } | null> {
  for (const c of contacts) {
    if (c.address === '' || c.id === self) continue;
    const s = await askStatus(c, dialing, timeoutMs);
    if (s === null || s.clusterId !== clusterId || s.answeredBy === self) continue;
    const peer = s.leaderId === s.answeredBy ? c : leaderOf(s);
    if (peer.address === '' || peer.id === self) continue;
    const leader = peer === c ? s : await askStatus(peer, dialing, timeoutMs);
    if (leader !== null && leader.leaderId === leader.answeredBy && leader.leaderId !== '') return { peer, status: leader };
  }
  return null;
}

/**
 * Before a node with an empty data dir starts Raft: wait for a leader and have it remove this
 * node's old incarnation if the configuration still lists it. Until then this node must not run
 * Raft at all: the leader would still count the old incarnation's match index and vote.
 */
export async function removeOldIncarnation(
  o: Pick<EmptyFounderOptions, 'self' | 'clusterId' | 'logger' | 'pollMs' | 'timeoutMs' | 'security'>,
  contacts: readonly PeerRef[],
): Promise<void> {
  const pollMs = o.pollMs ?? 500;
  const timeoutMs = o.timeoutMs ?? 2000;
  let lastLog = 0;
  for (;;) {
    const leader = await findLeader(o.self, o.clusterId, contacts, o.security, timeoutMs);
    let why = 'no leader answers';
    if (leader !== null) {
      if (!leader.status.members.some((m) => m.id === o.self)) return;
      const err = await callMembership(leader.peer, o.security, { remove: o.self }, timeoutMs);
      if (err === null || err.code === grpc.status.NOT_FOUND) {
        o.logger.warn({ leader: leader.status.leaderId }, 'empty data dir: the old incarnation of this node was removed from the configuration; it rejoins as a new member');
        return;
      }
      why = err.details;
    }
    if (performance.now() - lastLog > 5000) {
      lastLog = performance.now();
      o.logger.info({ why }, 'empty data dir: waiting to remove this node\'s old incarnation before starting');
    }
    await sleep(pollMs);
  }
}
