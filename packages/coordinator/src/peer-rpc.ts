/**
 * PeerService (raft.proto): the calls between members that are not Raft messages (the leader's
 * consistency check, an empty founder's questions, a node asking to be added or its old
 * incarnation removed). They go to the other member's PEER port, over the same mutual TLS as the
 * Raft streams when peer TLS is on: our peer certificate is our credential, and the answering
 * certificate must name the member we meant to reach. The client port never carries them.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { loaderOptions, raftProto } from '@quorumlock/proto';
import type { PeerSecurity } from '@quorumlock/raft';

const definition = protoLoader.loadSync(raftProto, { ...loaderOptions, includeDirs: [...loaderOptions.includeDirs] });
const loaded = grpc.loadPackageDefinition(definition) as unknown as { quorumlock: { v1: { PeerService: grpc.ServiceClientConstructor } } };

/** The PeerService client constructor; `.service` is its definition for a server. */
export const PeerServiceClient = loaded.quorumlock.v1.PeerService;

/** How this node dials its peers: its peer TLS (undefined: plaintext, as the Raft link). */
export type PeerDialing = Pick<PeerSecurity, 'channelCredentials' | 'channelOptions'> | undefined;

/** A member to call: its id (what its certificate must name) and peer address. */
export interface PeerRef {
  readonly id: string;
  readonly address: string;
}

export interface MemberView {
  readonly id: string;
  readonly peerAddress: string;
  readonly clientAddress: string;
  readonly matchIndex: number;
  readonly commitIndex: number;
  readonly voter: boolean;
}

/** A member's Status answer (lock.proto StatusResponse, the fields peers read). */
export interface PeerStatus {
  readonly clusterId: string;
  readonly leaderId: string;
  readonly term: number;
  readonly answeredBy: string;
  readonly members: readonly MemberView[];
}

export interface ConsistencyAnswer {
  readonly nodeId: string;
  readonly index: number;
  readonly ok: boolean;
  readonly hash: string;
}

type Cb<T> = (err: grpc.ServiceError | null, res: T) => void;

export type PeerStub = grpc.Client & {
  status(req: object, opts: grpc.CallOptions, cb: Cb<PeerStatus>): void;
  checkConsistency(req: object, opts: grpc.CallOptions, cb: Cb<ConsistencyAnswer>): void;
  join(req: { id: string; peerAddress: string; clientAddress: string }, opts: grpc.CallOptions, cb: Cb<unknown>): void;
  leave(req: { id: string }, opts: grpc.CallOptions, cb: Cb<unknown>): void;
};

/** A PeerService client for `to`; with peer TLS, its certificate must name `to.id`. */
export function peerStub(to: PeerRef, dialing: PeerDialing): PeerStub {
  const credentials = dialing === undefined ? grpc.credentials.createInsecure() : dialing.channelCredentials(to.id);
  return new PeerServiceClient(to.address, credentials, { ...(dialing?.channelOptions ?? {}) }) as unknown as PeerStub;
}

/** PeerService.Status of `to`, or null when it does not answer in time (or refuses). */
export function askStatus(to: PeerRef, dialing: PeerDialing, timeoutMs: number): Promise<PeerStatus | null> {
  if (to.address === '') return Promise.resolve(null);
  const client = peerStub(to, dialing);
  return new Promise<PeerStatus | null>((resolve) => {
    client.status({}, { deadline: Date.now() + timeoutMs }, (err, res) => resolve(err === null ? res : null));
  }).finally(() => client.close());
}

/** PeerService.Leave (remove) or Join (add) on `to`; resolves with the gRPC error, or null. */
export function callMembership(
  to: PeerRef,
  dialing: PeerDialing,
  call: { readonly remove: string } | { readonly add: { id: string; peerAddress: string; clientAddress: string } },
  timeoutMs: number,
): Promise<grpc.ServiceError | null> {
  const client = peerStub(to, dialing);
  const opts = { deadline: Date.now() + timeoutMs };
  return new Promise<grpc.ServiceError | null>((resolve) => {
    if ('remove' in call) client.leave({ id: call.remove }, opts, (err) => resolve(err));
    else client.join(call.add, opts, (err) => resolve(err));
  }).finally(() => client.close());
}

/** The leader as `st` (a member's answer) knows it: id and peer address (address '' if none). */
export function leaderOf(st: PeerStatus): PeerRef {
  if (st.leaderId === '') return { id: '', address: '' };
  return { id: st.leaderId, address: st.members.find((m) => m.id === st.leaderId)?.peerAddress ?? '' };
}
