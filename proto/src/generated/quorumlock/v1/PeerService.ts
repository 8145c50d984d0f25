// Original file: proto/quorumlock/v1/raft.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AddMemberRequest as _quorumlock_v1_AddMemberRequest, AddMemberRequest__Output as _quorumlock_v1_AddMemberRequest__Output } from '../../quorumlock/v1/AddMemberRequest';
import type { ConsistencyRequest as _quorumlock_v1_ConsistencyRequest, ConsistencyRequest__Output as _quorumlock_v1_ConsistencyRequest__Output } from '../../quorumlock/v1/ConsistencyRequest';
import type { ConsistencyResponse as _quorumlock_v1_ConsistencyResponse, ConsistencyResponse__Output as _quorumlock_v1_ConsistencyResponse__Output } from '../../quorumlock/v1/ConsistencyResponse';
import type { MembersResponse as _quorumlock_v1_MembersResponse, MembersResponse__Output as _quorumlock_v1_MembersResponse__Output } from '../../quorumlock/v1/MembersResponse';
import type { RemoveMemberRequest as _quorumlock_v1_RemoveMemberRequest, RemoveMemberRequest__Output as _quorumlock_v1_RemoveMemberRequest__Output } from '../../quorumlock/v1/RemoveMemberRequest';
import type { StatusRequest as _quorumlock_v1_StatusRequest, StatusRequest__Output as _quorumlock_v1_StatusRequest__Output } from '../../quorumlock/v1/StatusRequest';
import type { StatusResponse as _quorumlock_v1_StatusResponse, StatusResponse__Output as _quorumlock_v1_StatusResponse__Output } from '../../quorumlock/v1/StatusResponse';

/**
 * Calls between members that are not Raft messages, served on the peer port next to Send (never
 * on the client port). With peer TLS on, the caller's verified peer certificate is its identity
 * (SAN URI quorumlock://<id>): Status and CheckConsistency answer any certificate that names a
 * member; a divergence notice is taken only from the current leader; Join and Leave only for the
 * id the certificate names (a joining node's certificate is its credential to be added).
 */
export interface PeerServiceClient extends grpc.Client {
  /**
   * The leader's cross-replica state-hash check (see AdminService.CheckConsistency).
   */
  CheckConsistency(argument: _quorumlock_v1_ConsistencyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_ConsistencyResponse__Output>): grpc.ClientUnaryCall;
  CheckConsistency(argument: _quorumlock_v1_ConsistencyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_ConsistencyResponse__Output>): grpc.ClientUnaryCall;
  CheckConsistency(argument: _quorumlock_v1_ConsistencyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_ConsistencyResponse__Output>): grpc.ClientUnaryCall;
  CheckConsistency(argument: _quorumlock_v1_ConsistencyRequest, callback: grpc.requestCallback<_quorumlock_v1_ConsistencyResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The leader's cross-replica state-hash check (see AdminService.CheckConsistency).
   */
  checkConsistency(argument: _quorumlock_v1_ConsistencyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_ConsistencyResponse__Output>): grpc.ClientUnaryCall;
  checkConsistency(argument: _quorumlock_v1_ConsistencyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_ConsistencyResponse__Output>): grpc.ClientUnaryCall;
  checkConsistency(argument: _quorumlock_v1_ConsistencyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_ConsistencyResponse__Output>): grpc.ClientUnaryCall;
  checkConsistency(argument: _quorumlock_v1_ConsistencyRequest, callback: grpc.requestCallback<_quorumlock_v1_ConsistencyResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Sent to the leader by the node to add (as a learner, promoted once caught up).
   */
  Join(argument: _quorumlock_v1_AddMemberRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  Join(argument: _quorumlock_v1_AddMemberRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  Join(argument: _quorumlock_v1_AddMemberRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  Join(argument: _quorumlock_v1_AddMemberRequest, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Sent to the leader by the node to add (as a learner, promoted once caught up).
   */
  join(argument: _quorumlock_v1_AddMemberRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _quorumlock_v1_AddMemberRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _quorumlock_v1_AddMemberRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _quorumlock_v1_AddMemberRequest, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Sent to the leader by a node with an empty data dir: remove its old incarnation.
   */
  Leave(argument: _quorumlock_v1_RemoveMemberRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  Leave(argument: _quorumlock_v1_RemoveMemberRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  Leave(argument: _quorumlock_v1_RemoveMemberRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  Leave(argument: _quorumlock_v1_RemoveMemberRequest, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Sent to the leader by a node with an empty data dir: remove its old incarnation.
   */
  leave(argument: _quorumlock_v1_RemoveMemberRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  leave(argument: _quorumlock_v1_RemoveMemberRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  leave(argument: _quorumlock_v1_RemoveMemberRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  leave(argument: _quorumlock_v1_RemoveMemberRequest, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * As AdminService.Status. A founder with an empty data dir answers it too while it decides
   * whether to bootstrap (term 0, no members).
   */
  Status(argument: _quorumlock_v1_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _quorumlock_v1_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _quorumlock_v1_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _quorumlock_v1_StatusRequest, callback: grpc.requestCallback<_quorumlock_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  /**
   * As AdminService.Status. A founder with an empty data dir answers it too while it decides
   * whether to bootstrap (term 0, no members).
   */
  status(argument: _quorumlock_v1_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _quorumlock_v1_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _quorumlock_v1_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _quorumlock_v1_StatusRequest, callback: grpc.requestCallback<_quorumlock_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * Calls between members that are not Raft messages, served on the peer port next to Send (never
 * on the client port). With peer TLS on, the caller's verified peer certificate is its identity
 * (SAN URI quorumlock://<id>): Status and CheckConsistency answer any certificate that names a
 * member; a divergence notice is taken only from the current leader; Join and Leave only for the
 * id the certificate names (a joining node's certificate is its credential to be added).
 */
export interface PeerServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * The leader's cross-replica state-hash check (see AdminService.CheckConsistency).
   */
  CheckConsistency: grpc.handleUnaryCall<_quorumlock_v1_ConsistencyRequest__Output, _quorumlock_v1_ConsistencyResponse>;
  
  /**
   * Sent to the leader by the node to add (as a learner, promoted once caught up).
   */
  Join: grpc.handleUnaryCall<_quorumlock_v1_AddMemberRequest__Output, _quorumlock_v1_MembersResponse>;
  
  /**
   * Sent to the leader by a node with an empty data dir: remove its old incarnation.
   */
  Leave: grpc.handleUnaryCall<_quorumlock_v1_RemoveMemberRequest__Output, _quorumlock_v1_MembersResponse>;
  
  /**
   * As AdminService.Status. A founder with an empty data dir answers it too while it decides
   * whether to bootstrap (term 0, no members).
   */
  Status: grpc.handleUnaryCall<_quorumlock_v1_StatusRequest__Output, _quorumlock_v1_StatusResponse>;
  
}

export interface PeerServiceDefinition extends grpc.ServiceDefinition {
  CheckConsistency: MethodDefinition<_quorumlock_v1_ConsistencyRequest, _quorumlock_v1_ConsistencyResponse, _quorumlock_v1_ConsistencyRequest__Output, _quorumlock_v1_ConsistencyResponse__Output>
  Join: MethodDefinition<_quorumlock_v1_AddMemberRequest, _quorumlock_v1_MembersResponse, _quorumlock_v1_AddMemberRequest__Output, _quorumlock_v1_MembersResponse__Output>
  Leave: MethodDefinition<_quorumlock_v1_RemoveMemberRequest, _quorumlock_v1_MembersResponse, _quorumlock_v1_RemoveMemberRequest__Output, _quorumlock_v1_MembersResponse__Output>
  Status: MethodDefinition<_quorumlock_v1_StatusRequest, _quorumlock_v1_StatusResponse, _quorumlock_v1_StatusRequest__Output, _quorumlock_v1_StatusResponse__Output>
}
