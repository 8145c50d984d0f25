import * as grpc from '@grpc/grpc-js';
import type { Logger } from '@quorumlock/raft';
import type { MemberAddresses } from './replica';
import type { StatusResponse__Output } from '@quorumlock/proto';
import { v1 } from './server/proto';

/** A founder must not bootstrap: the running cluster already knows it (or no longer lists it). */
export class ReturningFounderError extends Error {
  override readonly name = 'ReturningFounderError';
}

type PeerStatus = StatusResponse__Output;

function askStatus(address: string, timeoutMs: number): Promise<PeerStatus | null> {
  const client = new v1.AdminService(address, grpc.credentials.createInsecure());
  return new Promise<PeerStatus | null>((resolve) => {
    client.status({}, { deadline: Date.now() + timeoutMs }, (err, res) => resolve(err === null ? res ?? null : null));
  }).finally(() => client.close());
}

/**
 * Before a founder bootstraps an empty data dir, ask the other founders (their client ports, as
 * etcd asks its peers before bootstrapping a member) whether the cluster already has a history
 * that includes this node. If a leader has had entries acknowledged by it, this node lost its
 * data: bootstrapping again would start a second history under the same id, and its forgotten
 * votes and acknowledgements would still count. If the cluster no longer lists it, it was
 * removed. Either way it must come back with --join. Peers that do not answer (a new cluster
 * whose other founders are not up yet) let it bootstrap.
 */
export async function checkFounderMayBootstrap(
  self: string,
  initialCluster: Readonly<Record<string, MemberAddresses>>,
  logger: Logger,
  timeoutMs = 2000,
): Promise<void> {
  const peers = Object.entries(initialCluster).filter(([id, a]) => id !== self && a.client !== '');
  const answers = await Promise.all(peers.map(([, a]) => askStatus(a.client, timeoutMs)));
  const heard = answers.filter((a): a is PeerStatus => a !== null);
  logger.info({ asked: peers.length, answered: heard.length }, 'empty data dir: asked the other founders whether the cluster knows this node');
  const fix =
    `remove it from the cluster (\`lockctl members remove ${self}\`), then start it with --join and add it again ` +
    `(\`lockctl members add ${self} --peer HOST:PORT --client HOST:PORT\`); or restore its data dir`;
  for (const st of heard) {
    const me = st.members.find((m) => m.id === self);
    if (st.leaderId === st.answeredBy && me !== undefined && me.matchIndex > 0) {
      throw new ReturningFounderError(
        `node ${self} starts with an empty data dir, but leader ${st.leaderId} (term ${st.term}) has had entries up to ` +
          `index ${me.matchIndex} acknowledged by it: it lost its data and must not bootstrap a second history; ${fix}`,
      );
    }
    if (st.term > 1 && me === undefined && st.members.length > 0) {
      throw new ReturningFounderError(
        `node ${self} starts with an empty data dir as a founder, but the running cluster (asked ${st.answeredBy}, term ${st.term}) ` +
          `no longer lists it (members: ${st.members.map((m) => m.id).join(', ')}); start it with --join and add it with ` +
          `\`lockctl members add ${self} --peer HOST:PORT --client HOST:PORT\``,
      );
    }
  }
}
