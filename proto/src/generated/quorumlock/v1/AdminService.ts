// Original file: proto/quorumlock/v1/lock.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AddMemberRequest as _quorumlock_v1_AddMemberRequest, AddMemberRequest__Output as _quorumlock_v1_AddMemberRequest__Output } from '../../quorumlock/v1/AddMemberRequest';
import type { ConsistencyRequest as _quorumlock_v1_ConsistencyRequest, ConsistencyRequest__Output as _quorumlock_v1_ConsistencyRequest__Output } from '../../quorumlock/v1/ConsistencyRequest';
import type { ConsistencyResponse as _quorumlock_v1_ConsistencyResponse, ConsistencyResponse__Output as _quorumlock_v1_ConsistencyResponse__Output } from '../../quorumlock/v1/ConsistencyResponse';
import type { DeleteValueRequest as _quorumlock_v1_DeleteValueRequest, DeleteValueRequest__Output as _quorumlock_v1_DeleteValueRequest__Output } from '../../quorumlock/v1/DeleteValueRequest';
import type { DeleteValueResponse as _quorumlock_v1_DeleteValueResponse, DeleteValueResponse__Output as _quorumlock_v1_DeleteValueResponse__Output } from '../../quorumlock/v1/DeleteValueResponse';
import type { DescribeLockRequest as _quorumlock_v1_DescribeLockRequest, DescribeLockRequest__Output as _quorumlock_v1_DescribeLockRequest__Output } from '../../quorumlock/v1/DescribeLockRequest';
import type { ExpireSessionRequest as _quorumlock_v1_ExpireSessionRequest, ExpireSessionRequest__Output as _quorumlock_v1_ExpireSessionRequest__Output } from '../../quorumlock/v1/ExpireSessionRequest';
import type { ExpireSessionResponse as _quorumlock_v1_ExpireSessionResponse, ExpireSessionResponse__Output as _quorumlock_v1_ExpireSessionResponse__Output } from '../../quorumlock/v1/ExpireSessionResponse';
import type { ListLocksRequest as _quorumlock_v1_ListLocksRequest, ListLocksRequest__Output as _quorumlock_v1_ListLocksRequest__Output } from '../../quorumlock/v1/ListLocksRequest';
import type { ListLocksResponse as _quorumlock_v1_ListLocksResponse, ListLocksResponse__Output as _quorumlock_v1_ListLocksResponse__Output } from '../../quorumlock/v1/ListLocksResponse';
import type { ListSessionsRequest as _quorumlock_v1_ListSessionsRequest, ListSessionsRequest__Output as _quorumlock_v1_ListSessionsRequest__Output } from '../../quorumlock/v1/ListSessionsRequest';
import type { ListSessionsResponse as _quorumlock_v1_ListSessionsResponse, ListSessionsResponse__Output as _quorumlock_v1_ListSessionsResponse__Output } from '../../quorumlock/v1/ListSessionsResponse';
import type { LockInfo as _quorumlock_v1_LockInfo, LockInfo__Output as _quorumlock_v1_LockInfo__Output } from '../../quorumlock/v1/LockInfo';
import type { MembersResponse as _quorumlock_v1_MembersResponse, MembersResponse__Output as _quorumlock_v1_MembersResponse__Output } from '../../quorumlock/v1/MembersResponse';
import type { RemoveMemberRequest as _quorumlock_v1_RemoveMemberRequest, RemoveMemberRequest__Output as _quorumlock_v1_RemoveMemberRequest__Output } from '../../quorumlock/v1/RemoveMemberRequest';
import type { RevokeRequest as _quorumlock_v1_RevokeRequest, RevokeRequest__Output as _quorumlock_v1_RevokeRequest__Output } from '../../quorumlock/v1/RevokeRequest';
import type { RevokeResponse as _quorumlock_v1_RevokeResponse, RevokeResponse__Output as _quorumlock_v1_RevokeResponse__Output } from '../../quorumlock/v1/RevokeResponse';
import type { SaveSnapshotRequest as _quorumlock_v1_SaveSnapshotRequest, SaveSnapshotRequest__Output as _quorumlock_v1_SaveSnapshotRequest__Output } from '../../quorumlock/v1/SaveSnapshotRequest';
import type { SnapshotChunk as _quorumlock_v1_SnapshotChunk, SnapshotChunk__Output as _quorumlock_v1_SnapshotChunk__Output } from '../../quorumlock/v1/SnapshotChunk';
import type { SnapshotRequest as _quorumlock_v1_SnapshotRequest, SnapshotRequest__Output as _quorumlock_v1_SnapshotRequest__Output } from '../../quorumlock/v1/SnapshotRequest';
import type { SnapshotResponse as _quorumlock_v1_SnapshotResponse, SnapshotResponse__Output as _quorumlock_v1_SnapshotResponse__Output } from '../../quorumlock/v1/SnapshotResponse';
import type { StatusRequest as _quorumlock_v1_StatusRequest, StatusRequest__Output as _quorumlock_v1_StatusRequest__Output } from '../../quorumlock/v1/StatusRequest';
import type { StatusResponse as _quorumlock_v1_StatusResponse, StatusResponse__Output as _quorumlock_v1_StatusResponse__Output } from '../../quorumlock/v1/StatusResponse';
import type { TransferLeaderRequest as _quorumlock_v1_TransferLeaderRequest, TransferLeaderRequest__Output as _quorumlock_v1_TransferLeaderRequest__Output } from '../../quorumlock/v1/TransferLeaderRequest';
import type { TransferLeaderResponse as _quorumlock_v1_TransferLeaderResponse, TransferLeaderResponse__Output as _quorumlock_v1_TransferLeaderResponse__Output } from '../../quorumlock/v1/TransferLeaderResponse';

/**
 * Operator API. Reads are linearizable (ReadIndex on the leader); followers redirect like
 * LockService (UNAVAILABLE + `quorumlock-leader` trailer) except for Status, which any node
 * answers from its own view so an operator can see a cluster without a leader.
 */
export interface AdminServiceClient extends grpc.Client {
  AddMember(argument: _quorumlock_v1_AddMemberRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  AddMember(argument: _quorumlock_v1_AddMemberRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  AddMember(argument: _quorumlock_v1_AddMemberRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  AddMember(argument: _quorumlock_v1_AddMemberRequest, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  addMember(argument: _quorumlock_v1_AddMemberRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  addMember(argument: _quorumlock_v1_AddMemberRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  addMember(argument: _quorumlock_v1_AddMemberRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  addMember(argument: _quorumlock_v1_AddMemberRequest, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Cross-replica consistency check (the leader asks every member, like etcd's corrupt check):
   * the hash of this node's lock state at exactly `index`. With `divergent` set, the leader tells
   * the node that its hash differs from the majority's: it stops serving clients.
   */
  CheckConsistency(argument: _quorumlock_v1_ConsistencyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_ConsistencyResponse__Output>): grpc.ClientUnaryCall;
  CheckConsistency(argument: _quorumlock_v1_ConsistencyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_ConsistencyResponse__Output>): grpc.ClientUnaryCall;
  CheckConsistency(argument: _quorumlock_v1_ConsistencyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_ConsistencyResponse__Output>): grpc.ClientUnaryCall;
  CheckConsistency(argument: _quorumlock_v1_ConsistencyRequest, callback: grpc.requestCallback<_quorumlock_v1_ConsistencyResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Cross-replica consistency check (the leader asks every member, like etcd's corrupt check):
   * the hash of this node's lock state at exactly `index`. With `divergent` set, the leader tells
   * the node that its hash differs from the majority's: it stops serving clients.
   */
  checkConsistency(argument: _quorumlock_v1_ConsistencyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_ConsistencyResponse__Output>): grpc.ClientUnaryCall;
  checkConsistency(argument: _quorumlock_v1_ConsistencyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_ConsistencyResponse__Output>): grpc.ClientUnaryCall;
  checkConsistency(argument: _quorumlock_v1_ConsistencyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_ConsistencyResponse__Output>): grpc.ClientUnaryCall;
  checkConsistency(argument: _quorumlock_v1_ConsistencyRequest, callback: grpc.requestCallback<_quorumlock_v1_ConsistencyResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Drops the fenced value of a resource (frees value quota, see the README's limits); the
   * resource is deleted too if nothing else keeps it (no holders, waiters or lock-delay).
   * Holders keep their holds; later grants carry an empty value. NOT_FOUND for an unknown name.
   */
  DeleteValue(argument: _quorumlock_v1_DeleteValueRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_DeleteValueResponse__Output>): grpc.ClientUnaryCall;
  DeleteValue(argument: _quorumlock_v1_DeleteValueRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_DeleteValueResponse__Output>): grpc.ClientUnaryCall;
  DeleteValue(argument: _quorumlock_v1_DeleteValueRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_DeleteValueResponse__Output>): grpc.ClientUnaryCall;
  DeleteValue(argument: _quorumlock_v1_DeleteValueRequest, callback: grpc.requestCallback<_quorumlock_v1_DeleteValueResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Drops the fenced value of a resource (frees value quota, see the README's limits); the
   * resource is deleted too if nothing else keeps it (no holders, waiters or lock-delay).
   * Holders keep their holds; later grants carry an empty value. NOT_FOUND for an unknown name.
   */
  deleteValue(argument: _quorumlock_v1_DeleteValueRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_DeleteValueResponse__Output>): grpc.ClientUnaryCall;
  deleteValue(argument: _quorumlock_v1_DeleteValueRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_DeleteValueResponse__Output>): grpc.ClientUnaryCall;
  deleteValue(argument: _quorumlock_v1_DeleteValueRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_DeleteValueResponse__Output>): grpc.ClientUnaryCall;
  deleteValue(argument: _quorumlock_v1_DeleteValueRequest, callback: grpc.requestCallback<_quorumlock_v1_DeleteValueResponse__Output>): grpc.ClientUnaryCall;
  
  DescribeLock(argument: _quorumlock_v1_DescribeLockRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_LockInfo__Output>): grpc.ClientUnaryCall;
  DescribeLock(argument: _quorumlock_v1_DescribeLockRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_LockInfo__Output>): grpc.ClientUnaryCall;
  DescribeLock(argument: _quorumlock_v1_DescribeLockRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_LockInfo__Output>): grpc.ClientUnaryCall;
  DescribeLock(argument: _quorumlock_v1_DescribeLockRequest, callback: grpc.requestCallback<_quorumlock_v1_LockInfo__Output>): grpc.ClientUnaryCall;
  describeLock(argument: _quorumlock_v1_DescribeLockRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_LockInfo__Output>): grpc.ClientUnaryCall;
  describeLock(argument: _quorumlock_v1_DescribeLockRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_LockInfo__Output>): grpc.ClientUnaryCall;
  describeLock(argument: _quorumlock_v1_DescribeLockRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_LockInfo__Output>): grpc.ClientUnaryCall;
  describeLock(argument: _quorumlock_v1_DescribeLockRequest, callback: grpc.requestCallback<_quorumlock_v1_LockInfo__Output>): grpc.ClientUnaryCall;
  
  ExpireSession(argument: _quorumlock_v1_ExpireSessionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_ExpireSessionResponse__Output>): grpc.ClientUnaryCall;
  ExpireSession(argument: _quorumlock_v1_ExpireSessionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_ExpireSessionResponse__Output>): grpc.ClientUnaryCall;
  ExpireSession(argument: _quorumlock_v1_ExpireSessionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_ExpireSessionResponse__Output>): grpc.ClientUnaryCall;
  ExpireSession(argument: _quorumlock_v1_ExpireSessionRequest, callback: grpc.requestCallback<_quorumlock_v1_ExpireSessionResponse__Output>): grpc.ClientUnaryCall;
  expireSession(argument: _quorumlock_v1_ExpireSessionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_ExpireSessionResponse__Output>): grpc.ClientUnaryCall;
  expireSession(argument: _quorumlock_v1_ExpireSessionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_ExpireSessionResponse__Output>): grpc.ClientUnaryCall;
  expireSession(argument: _quorumlock_v1_ExpireSessionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_ExpireSessionResponse__Output>): grpc.ClientUnaryCall;
  expireSession(argument: _quorumlock_v1_ExpireSessionRequest, callback: grpc.requestCallback<_quorumlock_v1_ExpireSessionResponse__Output>): grpc.ClientUnaryCall;
  
  ListLocks(argument: _quorumlock_v1_ListLocksRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_ListLocksResponse__Output>): grpc.ClientUnaryCall;
  ListLocks(argument: _quorumlock_v1_ListLocksRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_ListLocksResponse__Output>): grpc.ClientUnaryCall;
  ListLocks(argument: _quorumlock_v1_ListLocksRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_ListLocksResponse__Output>): grpc.ClientUnaryCall;
  ListLocks(argument: _quorumlock_v1_ListLocksRequest, callback: grpc.requestCallback<_quorumlock_v1_ListLocksResponse__Output>): grpc.ClientUnaryCall;
  listLocks(argument: _quorumlock_v1_ListLocksRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_ListLocksResponse__Output>): grpc.ClientUnaryCall;
  listLocks(argument: _quorumlock_v1_ListLocksRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_ListLocksResponse__Output>): grpc.ClientUnaryCall;
  listLocks(argument: _quorumlock_v1_ListLocksRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_ListLocksResponse__Output>): grpc.ClientUnaryCall;
  listLocks(argument: _quorumlock_v1_ListLocksRequest, callback: grpc.requestCallback<_quorumlock_v1_ListLocksResponse__Output>): grpc.ClientUnaryCall;
  
  ListSessions(argument: _quorumlock_v1_ListSessionsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_ListSessionsResponse__Output>): grpc.ClientUnaryCall;
  ListSessions(argument: _quorumlock_v1_ListSessionsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_ListSessionsResponse__Output>): grpc.ClientUnaryCall;
  ListSessions(argument: _quorumlock_v1_ListSessionsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_ListSessionsResponse__Output>): grpc.ClientUnaryCall;
  ListSessions(argument: _quorumlock_v1_ListSessionsRequest, callback: grpc.requestCallback<_quorumlock_v1_ListSessionsResponse__Output>): grpc.ClientUnaryCall;
  listSessions(argument: _quorumlock_v1_ListSessionsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_ListSessionsResponse__Output>): grpc.ClientUnaryCall;
  listSessions(argument: _quorumlock_v1_ListSessionsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_ListSessionsResponse__Output>): grpc.ClientUnaryCall;
  listSessions(argument: _quorumlock_v1_ListSessionsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_ListSessionsResponse__Output>): grpc.ClientUnaryCall;
  listSessions(argument: _quorumlock_v1_ListSessionsRequest, callback: grpc.requestCallback<_quorumlock_v1_ListSessionsResponse__Output>): grpc.ClientUnaryCall;
  
  RemoveMember(argument: _quorumlock_v1_RemoveMemberRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  RemoveMember(argument: _quorumlock_v1_RemoveMemberRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  RemoveMember(argument: _quorumlock_v1_RemoveMemberRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  RemoveMember(argument: _quorumlock_v1_RemoveMemberRequest, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  removeMember(argument: _quorumlock_v1_RemoveMemberRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  removeMember(argument: _quorumlock_v1_RemoveMemberRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  removeMember(argument: _quorumlock_v1_RemoveMemberRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  removeMember(argument: _quorumlock_v1_RemoveMemberRequest, callback: grpc.requestCallback<_quorumlock_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  
  Revoke(argument: _quorumlock_v1_RevokeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_RevokeResponse__Output>): grpc.ClientUnaryCall;
  Revoke(argument: _quorumlock_v1_RevokeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_RevokeResponse__Output>): grpc.ClientUnaryCall;
  Revoke(argument: _quorumlock_v1_RevokeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_RevokeResponse__Output>): grpc.ClientUnaryCall;
  Revoke(argument: _quorumlock_v1_RevokeRequest, callback: grpc.requestCallback<_quorumlock_v1_RevokeResponse__Output>): grpc.ClientUnaryCall;
  revoke(argument: _quorumlock_v1_RevokeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_RevokeResponse__Output>): grpc.ClientUnaryCall;
  revoke(argument: _quorumlock_v1_RevokeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_RevokeResponse__Output>): grpc.ClientUnaryCall;
  revoke(argument: _quorumlock_v1_RevokeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_RevokeResponse__Output>): grpc.ClientUnaryCall;
  revoke(argument: _quorumlock_v1_RevokeRequest, callback: grpc.requestCallback<_quorumlock_v1_RevokeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * A consistent snapshot of the whole lock state, for a backup (`lockctl snapshot save`). The
   * leader takes a snapshot at or after a read barrier (so it holds everything acknowledged before
   * the call) and streams it: the first message carries `header` only, the others `data`, in
   * order, `header.data_bytes` in all. A follower redirects, like every call but Status. Admin
   * only: the snapshot holds every lock, session and value. `quorumlock-server --restore FILE`
   * seeds a new cluster from it.
   */
  SaveSnapshot(argument: _quorumlock_v1_SaveSnapshotRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_quorumlock_v1_SnapshotChunk__Output>;
  SaveSnapshot(argument: _quorumlock_v1_SaveSnapshotRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_quorumlock_v1_SnapshotChunk__Output>;
  /**
   * A consistent snapshot of the whole lock state, for a backup (`lockctl snapshot save`). The
   * leader takes a snapshot at or after a read barrier (so it holds everything acknowledged before
   * the call) and streams it: the first message carries `header` only, the others `data`, in
   * order, `header.data_bytes` in all. A follower redirects, like every call but Status. Admin
   * only: the snapshot holds every lock, session and value. `quorumlock-server --restore FILE`
   * seeds a new cluster from it.
   */
  saveSnapshot(argument: _quorumlock_v1_SaveSnapshotRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_quorumlock_v1_SnapshotChunk__Output>;
  saveSnapshot(argument: _quorumlock_v1_SaveSnapshotRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_quorumlock_v1_SnapshotChunk__Output>;
  
  Snapshot(argument: _quorumlock_v1_SnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  Snapshot(argument: _quorumlock_v1_SnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  Snapshot(argument: _quorumlock_v1_SnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  Snapshot(argument: _quorumlock_v1_SnapshotRequest, callback: grpc.requestCallback<_quorumlock_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  snapshot(argument: _quorumlock_v1_SnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  snapshot(argument: _quorumlock_v1_SnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  snapshot(argument: _quorumlock_v1_SnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  snapshot(argument: _quorumlock_v1_SnapshotRequest, callback: grpc.requestCallback<_quorumlock_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  
  Status(argument: _quorumlock_v1_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _quorumlock_v1_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _quorumlock_v1_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _quorumlock_v1_StatusRequest, callback: grpc.requestCallback<_quorumlock_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _quorumlock_v1_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _quorumlock_v1_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _quorumlock_v1_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _quorumlock_v1_StatusRequest, callback: grpc.requestCallback<_quorumlock_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  
  TransferLeader(argument: _quorumlock_v1_TransferLeaderRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_TransferLeaderResponse__Output>): grpc.ClientUnaryCall;
  TransferLeader(argument: _quorumlock_v1_TransferLeaderRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_TransferLeaderResponse__Output>): grpc.ClientUnaryCall;
  TransferLeader(argument: _quorumlock_v1_TransferLeaderRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_TransferLeaderResponse__Output>): grpc.ClientUnaryCall;
  TransferLeader(argument: _quorumlock_v1_TransferLeaderRequest, callback: grpc.requestCallback<_quorumlock_v1_TransferLeaderResponse__Output>): grpc.ClientUnaryCall;
  transferLeader(argument: _quorumlock_v1_TransferLeaderRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_TransferLeaderResponse__Output>): grpc.ClientUnaryCall;
  transferLeader(argument: _quorumlock_v1_TransferLeaderRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_TransferLeaderResponse__Output>): grpc.ClientUnaryCall;
  transferLeader(argument: _quorumlock_v1_TransferLeaderRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_TransferLeaderResponse__Output>): grpc.ClientUnaryCall;
  transferLeader(argument: _quorumlock_v1_TransferLeaderRequest, callback: grpc.requestCallback<_quorumlock_v1_TransferLeaderResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * Operator API. Reads are linearizable (ReadIndex on the leader); followers redirect like
 * LockService (UNAVAILABLE + `quorumlock-leader` trailer) except for Status, which any node
 * answers from its own view so an operator can see a cluster without a leader.
 */
export interface AdminServiceHandlers extends grpc.UntypedServiceImplementation {
  AddMember: grpc.handleUnaryCall<_quorumlock_v1_AddMemberRequest__Output, _quorumlock_v1_MembersResponse>;
  
  /**
   * Cross-replica consistency check (the leader asks every member, like etcd's corrupt check):
   * the hash of this node's lock state at exactly `index`. With `divergent` set, the leader tells
   * the node that its hash differs from the majority's: it stops serving clients.
   */
  CheckConsistency: grpc.handleUnaryCall<_quorumlock_v1_ConsistencyRequest__Output, _quorumlock_v1_ConsistencyResponse>;
  
  /**
   * Drops the fenced value of a resource (frees value quota, see the README's limits); the
   * resource is deleted too if nothing else keeps it (no holders, waiters or lock-delay).
   * Holders keep their holds; later grants carry an empty value. NOT_FOUND for an unknown name.
   */
  DeleteValue: grpc.handleUnaryCall<_quorumlock_v1_DeleteValueRequest__Output, _quorumlock_v1_DeleteValueResponse>;
  
  DescribeLock: grpc.handleUnaryCall<_quorumlock_v1_DescribeLockRequest__Output, _quorumlock_v1_LockInfo>;
  
  ExpireSession: grpc.handleUnaryCall<_quorumlock_v1_ExpireSessionRequest__Output, _quorumlock_v1_ExpireSessionResponse>;
  
  ListLocks: grpc.handleUnaryCall<_quorumlock_v1_ListLocksRequest__Output, _quorumlock_v1_ListLocksResponse>;
  
  ListSessions: grpc.handleUnaryCall<_quorumlock_v1_ListSessionsRequest__Output, _quorumlock_v1_ListSessionsResponse>;
  
  RemoveMember: grpc.handleUnaryCall<_quorumlock_v1_RemoveMemberRequest__Output, _quorumlock_v1_MembersResponse>;
  
  Revoke: grpc.handleUnaryCall<_quorumlock_v1_RevokeRequest__Output, _quorumlock_v1_RevokeResponse>;
  
  /**
   * A consistent snapshot of the whole lock state, for a backup (`lockctl snapshot save`). The
   * leader takes a snapshot at or after a read barrier (so it holds everything acknowledged before
   * the call) and streams it: the first message carries `header` only, the others `data`, in
   * order, `header.data_bytes` in all. A follower redirects, like every call but Status. Admin
   * only: the snapshot holds every lock, session and value. `quorumlock-server --restore FILE`
   * seeds a new cluster from it.
   */
  SaveSnapshot: grpc.handleServerStreamingCall<_quorumlock_v1_SaveSnapshotRequest__Output, _quorumlock_v1_SnapshotChunk>;
  
  Snapshot: grpc.handleUnaryCall<_quorumlock_v1_SnapshotRequest__Output, _quorumlock_v1_SnapshotResponse>;
  
  Status: grpc.handleUnaryCall<_quorumlock_v1_StatusRequest__Output, _quorumlock_v1_StatusResponse>;
  
  TransferLeader: grpc.handleUnaryCall<_quorumlock_v1_TransferLeaderRequest__Output, _quorumlock_v1_TransferLeaderResponse>;
  
}

export interface AdminServiceDefinition extends grpc.ServiceDefinition {
  AddMember: MethodDefinition<_quorumlock_v1_AddMemberRequest, _quorumlock_v1_MembersResponse, _quorumlock_v1_AddMemberRequest__Output, _quorumlock_v1_MembersResponse__Output>
  CheckConsistency: MethodDefinition<_quorumlock_v1_ConsistencyRequest, _quorumlock_v1_ConsistencyResponse, _quorumlock_v1_ConsistencyRequest__Output, _quorumlock_v1_ConsistencyResponse__Output>
  DeleteValue: MethodDefinition<_quorumlock_v1_DeleteValueRequest, _quorumlock_v1_DeleteValueResponse, _quorumlock_v1_DeleteValueRequest__Output, _quorumlock_v1_DeleteValueResponse__Output>
  DescribeLock: MethodDefinition<_quorumlock_v1_DescribeLockRequest, _quorumlock_v1_LockInfo, _quorumlock_v1_DescribeLockRequest__Output, _quorumlock_v1_LockInfo__Output>
  ExpireSession: MethodDefinition<_quorumlock_v1_ExpireSessionRequest, _quorumlock_v1_ExpireSessionResponse, _quorumlock_v1_ExpireSessionRequest__Output, _quorumlock_v1_ExpireSessionResponse__Output>
  ListLocks: MethodDefinition<_quorumlock_v1_ListLocksRequest, _quorumlock_v1_ListLocksResponse, _quorumlock_v1_ListLocksRequest__Output, _quorumlock_v1_ListLocksResponse__Output>
  ListSessions: MethodDefinition<_quorumlock_v1_ListSessionsRequest, _quorumlock_v1_ListSessionsResponse, _quorumlock_v1_ListSessionsRequest__Output, _quorumlock_v1_ListSessionsResponse__Output>
  RemoveMember: MethodDefinition<_quorumlock_v1_RemoveMemberRequest, _quorumlock_v1_MembersResponse, _quorumlock_v1_RemoveMemberRequest__Output, _quorumlock_v1_MembersResponse__Output>
  Revoke: MethodDefinition<_quorumlock_v1_RevokeRequest, _quorumlock_v1_RevokeResponse, _quorumlock_v1_RevokeRequest__Output, _quorumlock_v1_RevokeResponse__Output>
  SaveSnapshot: MethodDefinition<_quorumlock_v1_SaveSnapshotRequest, _quorumlock_v1_SnapshotChunk, _quorumlock_v1_SaveSnapshotRequest__Output, _quorumlock_v1_SnapshotChunk__Output>
  Snapshot: MethodDefinition<_quorumlock_v1_SnapshotRequest, _quorumlock_v1_SnapshotResponse, _quorumlock_v1_SnapshotRequest__Output, _quorumlock_v1_SnapshotResponse__Output>
  Status: MethodDefinition<_quorumlock_v1_StatusRequest, _quorumlock_v1_StatusResponse, _quorumlock_v1_StatusRequest__Output, _quorumlock_v1_StatusResponse__Output>
  TransferLeader: MethodDefinition<_quorumlock_v1_TransferLeaderRequest, _quorumlock_v1_TransferLeaderResponse, _quorumlock_v1_TransferLeaderRequest__Output, _quorumlock_v1_TransferLeaderResponse__Output>
}
