/**
 * PeerService (raft.proto): the calls between members that are not Raft messages (the leader's
 * consistency check, an empty founder's questions, a node asking to be added or its old
 * incarnation removed). They go to the other member's PEER port, over the same mutual TLS as the
 * Raft streams when peer TLS is on: our peer certificate is our credential, and the answering
 * certificate must name the member we meant to reach. The client port never carries them.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  loaderOptions,
  raftProto,
  type AddMemberRequest,
  type ConsistencyRequest,
  type ConsistencyResponse__Output,
  type MemberStatus__Output,
  type PeerServiceClient as GeneratedPeerServiceClient,
  type RaftProtoGrpcType,
  type StatusResponse__Output,
} from '@quorumlock/proto';
import type { PeerSecurity } from '@quorumlock/raft';

const definition = protoLoader.loadSync(raftProto, { ...loaderOptions, includeDirs: [...loaderOptions.includeDirs] });
// The one place the loaded package meets its generated description (as proto-loader-gen-types
// intends: loadPackageDefinition returns an untyped GrpcObject), as server/proto.ts does for lock.proto.
const loaded = grpc.loadPackageDefinition(definition) as unknown as RaftProtoGrpcType;

/** The PeerService client constructor; `.service` is its definition for a server. */
export const PeerServiceClient = loaded.quorumlock.v1.PeerService;

/** How this node dials its peers: its peer TLS (undefined: plaintext, as the Raft link). */
export type PeerDialing = Pick<PeerSecurity, 'channelCredentials' | 'channelOptions'> | undefined;

/** A member to call: its id (what its certificate must name) and peer address. */
export interface PeerRef {
  readonly id: string;
  readonly address: string;
}

/** A member as a peer's Status answer lists it (the fields peers read). */
export type MemberView = Readonly<Pick<MemberStatus__Output, 'id' | 'peerAddress' | 'clientAddress' | 'matchIndex' | 'commitIndex' | 'voter'>>;

/** A member's Status answer (lock.proto StatusResponse, the fields peers read). */
export type PeerStatus = Readonly<Pick<StatusResponse__Output, 'clusterId' | 'leaderId' | 'term' | 'answeredBy'>> & { readonly members: readonly MemberView[] };

/** A member's CheckConsistency answer. */
export type ConsistencyAnswer = ConsistencyResponse__Output;
export type { ConsistencyRequest };

/** A PeerService client (generated from raft.proto). */
export type PeerStub = GeneratedPeerServiceClient;

/** A PeerService client for `to`; with peer TLS, its certificate must name `to.id`. */
export function peerStub(to: PeerRef, dialing: PeerDialing): PeerStub {
  const credentials = dialing === undefined ? grpc.credentials.createInsecure() : dialing.channelCredentials(to.id);
  return new PeerServiceClient(to.address, credentials, { ...(dialing?.channelOptions ?? {}) });
}

/** PeerService.Status of `to`, or null when it does not answer in time (or refuses). */
export function askStatus(to: PeerRef, dialing: PeerDialing, timeoutMs: number): Promise<PeerStatus | null> {
  if (to.address === '') return Promise.resolve(null);
  const client = peerStub(to, dialing);
  return new Promise<PeerStatus | null>((resolve) => {
    client.status({}, { deadline: Date.now() + timeoutMs }, (err, res) => resolve(err === null && res !== undefined ? res : null));
  }).finally(() => client.close());
}

/** PeerService.Leave (remove) or Join (add) on `to`; resolves with the gRPC error, or null. */
export function callMembership(
  to: PeerRef,
  dialing: PeerDialing,
  call: { readonly remove: string } | { readonly add: AddMemberRequest },
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
