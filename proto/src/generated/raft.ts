import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AcquireRequest as _quorumlock_v1_AcquireRequest, AcquireRequest__Output as _quorumlock_v1_AcquireRequest__Output } from './quorumlock/v1/AcquireRequest';
import type { AcquireResponse as _quorumlock_v1_AcquireResponse, AcquireResponse__Output as _quorumlock_v1_AcquireResponse__Output } from './quorumlock/v1/AcquireResponse';
import type { AddMemberRequest as _quorumlock_v1_AddMemberRequest, AddMemberRequest__Output as _quorumlock_v1_AddMemberRequest__Output } from './quorumlock/v1/AddMemberRequest';
import type { AdminServiceClient as _quorumlock_v1_AdminServiceClient, AdminServiceDefinition as _quorumlock_v1_AdminServiceDefinition } from './quorumlock/v1/AdminService';
import type { CancelRequest as _quorumlock_v1_CancelRequest, CancelRequest__Output as _quorumlock_v1_CancelRequest__Output } from './quorumlock/v1/CancelRequest';
import type { CheckFenceRequest as _quorumlock_v1_CheckFenceRequest, CheckFenceRequest__Output as _quorumlock_v1_CheckFenceRequest__Output } from './quorumlock/v1/CheckFenceRequest';
import type { CheckFenceResponse as _quorumlock_v1_CheckFenceResponse, CheckFenceResponse__Output as _quorumlock_v1_CheckFenceResponse__Output } from './quorumlock/v1/CheckFenceResponse';
import type { CloseSession as _quorumlock_v1_CloseSession, CloseSession__Output as _quorumlock_v1_CloseSession__Output } from './quorumlock/v1/CloseSession';
import type { ConsistencyAlarm as _quorumlock_v1_ConsistencyAlarm, ConsistencyAlarm__Output as _quorumlock_v1_ConsistencyAlarm__Output } from './quorumlock/v1/ConsistencyAlarm';
import type { ConsistencyRequest as _quorumlock_v1_ConsistencyRequest, ConsistencyRequest__Output as _quorumlock_v1_ConsistencyRequest__Output } from './quorumlock/v1/ConsistencyRequest';
import type { ConsistencyResponse as _quorumlock_v1_ConsistencyResponse, ConsistencyResponse__Output as _quorumlock_v1_ConsistencyResponse__Output } from './quorumlock/v1/ConsistencyResponse';
import type { DeleteValueRequest as _quorumlock_v1_DeleteValueRequest, DeleteValueRequest__Output as _quorumlock_v1_DeleteValueRequest__Output } from './quorumlock/v1/DeleteValueRequest';
import type { DeleteValueResponse as _quorumlock_v1_DeleteValueResponse, DeleteValueResponse__Output as _quorumlock_v1_DeleteValueResponse__Output } from './quorumlock/v1/DeleteValueResponse';
import type { DescribeLockRequest as _quorumlock_v1_DescribeLockRequest, DescribeLockRequest__Output as _quorumlock_v1_DescribeLockRequest__Output } from './quorumlock/v1/DescribeLockRequest';
import type { Envelope as _quorumlock_v1_Envelope, Envelope__Output as _quorumlock_v1_Envelope__Output } from './quorumlock/v1/Envelope';
import type { ExpireSessionRequest as _quorumlock_v1_ExpireSessionRequest, ExpireSessionRequest__Output as _quorumlock_v1_ExpireSessionRequest__Output } from './quorumlock/v1/ExpireSessionRequest';
import type { ExpireSessionResponse as _quorumlock_v1_ExpireSessionResponse, ExpireSessionResponse__Output as _quorumlock_v1_ExpireSessionResponse__Output } from './quorumlock/v1/ExpireSessionResponse';
import type { Granted as _quorumlock_v1_Granted, Granted__Output as _quorumlock_v1_Granted__Output } from './quorumlock/v1/Granted';
import type { Hold as _quorumlock_v1_Hold, Hold__Output as _quorumlock_v1_Hold__Output } from './quorumlock/v1/Hold';
import type { HolderInfo as _quorumlock_v1_HolderInfo, HolderInfo__Output as _quorumlock_v1_HolderInfo__Output } from './quorumlock/v1/HolderInfo';
import type { KeepAlive as _quorumlock_v1_KeepAlive, KeepAlive__Output as _quorumlock_v1_KeepAlive__Output } from './quorumlock/v1/KeepAlive';
import type { KeepAliveAck as _quorumlock_v1_KeepAliveAck, KeepAliveAck__Output as _quorumlock_v1_KeepAliveAck__Output } from './quorumlock/v1/KeepAliveAck';
import type { ListLocksRequest as _quorumlock_v1_ListLocksRequest, ListLocksRequest__Output as _quorumlock_v1_ListLocksRequest__Output } from './quorumlock/v1/ListLocksRequest';
import type { ListLocksResponse as _quorumlock_v1_ListLocksResponse, ListLocksResponse__Output as _quorumlock_v1_ListLocksResponse__Output } from './quorumlock/v1/ListLocksResponse';
import type { ListSessionsRequest as _quorumlock_v1_ListSessionsRequest, ListSessionsRequest__Output as _quorumlock_v1_ListSessionsRequest__Output } from './quorumlock/v1/ListSessionsRequest';
import type { ListSessionsResponse as _quorumlock_v1_ListSessionsResponse, ListSessionsResponse__Output as _quorumlock_v1_ListSessionsResponse__Output } from './quorumlock/v1/ListSessionsResponse';
import type { LockInfo as _quorumlock_v1_LockInfo, LockInfo__Output as _quorumlock_v1_LockInfo__Output } from './quorumlock/v1/LockInfo';
import type { LockLost as _quorumlock_v1_LockLost, LockLost__Output as _quorumlock_v1_LockLost__Output } from './quorumlock/v1/LockLost';
import type { LockRequest as _quorumlock_v1_LockRequest, LockRequest__Output as _quorumlock_v1_LockRequest__Output } from './quorumlock/v1/LockRequest';
import type { LockServiceClient as _quorumlock_v1_LockServiceClient, LockServiceDefinition as _quorumlock_v1_LockServiceDefinition } from './quorumlock/v1/LockService';
import type { MemberStatus as _quorumlock_v1_MemberStatus, MemberStatus__Output as _quorumlock_v1_MemberStatus__Output } from './quorumlock/v1/MemberStatus';
import type { MembersResponse as _quorumlock_v1_MembersResponse, MembersResponse__Output as _quorumlock_v1_MembersResponse__Output } from './quorumlock/v1/MembersResponse';
import type { OpenSession as _quorumlock_v1_OpenSession, OpenSession__Output as _quorumlock_v1_OpenSession__Output } from './quorumlock/v1/OpenSession';
import type { PeerServiceClient as _quorumlock_v1_PeerServiceClient, PeerServiceDefinition as _quorumlock_v1_PeerServiceDefinition } from './quorumlock/v1/PeerService';
import type { PutValue as _quorumlock_v1_PutValue, PutValue__Output as _quorumlock_v1_PutValue__Output } from './quorumlock/v1/PutValue';
import type { Queued as _quorumlock_v1_Queued, Queued__Output as _quorumlock_v1_Queued__Output } from './quorumlock/v1/Queued';
import type { RaftTransportClient as _quorumlock_v1_RaftTransportClient, RaftTransportDefinition as _quorumlock_v1_RaftTransportDefinition } from './quorumlock/v1/RaftTransport';
import type { ReleaseRequest as _quorumlock_v1_ReleaseRequest, ReleaseRequest__Output as _quorumlock_v1_ReleaseRequest__Output } from './quorumlock/v1/ReleaseRequest';
import type { Released as _quorumlock_v1_Released, Released__Output as _quorumlock_v1_Released__Output } from './quorumlock/v1/Released';
import type { RemoveMemberRequest as _quorumlock_v1_RemoveMemberRequest, RemoveMemberRequest__Output as _quorumlock_v1_RemoveMemberRequest__Output } from './quorumlock/v1/RemoveMemberRequest';
import type { RequestFailed as _quorumlock_v1_RequestFailed, RequestFailed__Output as _quorumlock_v1_RequestFailed__Output } from './quorumlock/v1/RequestFailed';
import type { RevokeRequest as _quorumlock_v1_RevokeRequest, RevokeRequest__Output as _quorumlock_v1_RevokeRequest__Output } from './quorumlock/v1/RevokeRequest';
import type { RevokeResponse as _quorumlock_v1_RevokeResponse, RevokeResponse__Output as _quorumlock_v1_RevokeResponse__Output } from './quorumlock/v1/RevokeResponse';
import type { SaveSnapshotRequest as _quorumlock_v1_SaveSnapshotRequest, SaveSnapshotRequest__Output as _quorumlock_v1_SaveSnapshotRequest__Output } from './quorumlock/v1/SaveSnapshotRequest';
import type { SendResult as _quorumlock_v1_SendResult, SendResult__Output as _quorumlock_v1_SendResult__Output } from './quorumlock/v1/SendResult';
import type { SessionInfo as _quorumlock_v1_SessionInfo, SessionInfo__Output as _quorumlock_v1_SessionInfo__Output } from './quorumlock/v1/SessionInfo';
import type { SessionOpened as _quorumlock_v1_SessionOpened, SessionOpened__Output as _quorumlock_v1_SessionOpened__Output } from './quorumlock/v1/SessionOpened';
import type { SnapshotChunk as _quorumlock_v1_SnapshotChunk, SnapshotChunk__Output as _quorumlock_v1_SnapshotChunk__Output } from './quorumlock/v1/SnapshotChunk';
import type { SnapshotHeader as _quorumlock_v1_SnapshotHeader, SnapshotHeader__Output as _quorumlock_v1_SnapshotHeader__Output } from './quorumlock/v1/SnapshotHeader';
import type { SnapshotMember as _quorumlock_v1_SnapshotMember, SnapshotMember__Output as _quorumlock_v1_SnapshotMember__Output } from './quorumlock/v1/SnapshotMember';
import type { SnapshotRequest as _quorumlock_v1_SnapshotRequest, SnapshotRequest__Output as _quorumlock_v1_SnapshotRequest__Output } from './quorumlock/v1/SnapshotRequest';
import type { SnapshotResponse as _quorumlock_v1_SnapshotResponse, SnapshotResponse__Output as _quorumlock_v1_SnapshotResponse__Output } from './quorumlock/v1/SnapshotResponse';
import type { StatusRequest as _quorumlock_v1_StatusRequest, StatusRequest__Output as _quorumlock_v1_StatusRequest__Output } from './quorumlock/v1/StatusRequest';
import type { StatusResponse as _quorumlock_v1_StatusResponse, StatusResponse__Output as _quorumlock_v1_StatusResponse__Output } from './quorumlock/v1/StatusResponse';
import type { TransferLeaderRequest as _quorumlock_v1_TransferLeaderRequest, TransferLeaderRequest__Output as _quorumlock_v1_TransferLeaderRequest__Output } from './quorumlock/v1/TransferLeaderRequest';
import type { TransferLeaderResponse as _quorumlock_v1_TransferLeaderResponse, TransferLeaderResponse__Output as _quorumlock_v1_TransferLeaderResponse__Output } from './quorumlock/v1/TransferLeaderResponse';
import type { ValuePut as _quorumlock_v1_ValuePut, ValuePut__Output as _quorumlock_v1_ValuePut__Output } from './quorumlock/v1/ValuePut';
import type { WaiterInfo as _quorumlock_v1_WaiterInfo, WaiterInfo__Output as _quorumlock_v1_WaiterInfo__Output } from './quorumlock/v1/WaiterInfo';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  quorumlock: {
    v1: {
      AcquireRequest: MessageTypeDefinition<_quorumlock_v1_AcquireRequest, _quorumlock_v1_AcquireRequest__Output>
      AcquireResponse: MessageTypeDefinition<_quorumlock_v1_AcquireResponse, _quorumlock_v1_AcquireResponse__Output>
      AddMemberRequest: MessageTypeDefinition<_quorumlock_v1_AddMemberRequest, _quorumlock_v1_AddMemberRequest__Output>
      /**
       * Operator API. Reads are linearizable (ReadIndex on the leader); followers redirect like
       * LockService (UNAVAILABLE + `quorumlock-leader` trailer) except for Status, which any node
       * answers from its own view so an operator can see a cluster without a leader.
       */
      AdminService: SubtypeConstructor<typeof grpc.Client, _quorumlock_v1_AdminServiceClient> & { service: _quorumlock_v1_AdminServiceDefinition }
      CancelRequest: MessageTypeDefinition<_quorumlock_v1_CancelRequest, _quorumlock_v1_CancelRequest__Output>
      CheckFenceRequest: MessageTypeDefinition<_quorumlock_v1_CheckFenceRequest, _quorumlock_v1_CheckFenceRequest__Output>
      CheckFenceResponse: MessageTypeDefinition<_quorumlock_v1_CheckFenceResponse, _quorumlock_v1_CheckFenceResponse__Output>
      CloseSession: MessageTypeDefinition<_quorumlock_v1_CloseSession, _quorumlock_v1_CloseSession__Output>
      ConsistencyAlarm: MessageTypeDefinition<_quorumlock_v1_ConsistencyAlarm, _quorumlock_v1_ConsistencyAlarm__Output>
      ConsistencyRequest: MessageTypeDefinition<_quorumlock_v1_ConsistencyRequest, _quorumlock_v1_ConsistencyRequest__Output>
      ConsistencyResponse: MessageTypeDefinition<_quorumlock_v1_ConsistencyResponse, _quorumlock_v1_ConsistencyResponse__Output>
      DeleteValueRequest: MessageTypeDefinition<_quorumlock_v1_DeleteValueRequest, _quorumlock_v1_DeleteValueRequest__Output>
      DeleteValueResponse: MessageTypeDefinition<_quorumlock_v1_DeleteValueResponse, _quorumlock_v1_DeleteValueResponse__Output>
      DescribeLockRequest: MessageTypeDefinition<_quorumlock_v1_DescribeLockRequest, _quorumlock_v1_DescribeLockRequest__Output>
      Envelope: MessageTypeDefinition<_quorumlock_v1_Envelope, _quorumlock_v1_Envelope__Output>
      ExpireSessionRequest: MessageTypeDefinition<_quorumlock_v1_ExpireSessionRequest, _quorumlock_v1_ExpireSessionRequest__Output>
      ExpireSessionResponse: MessageTypeDefinition<_quorumlock_v1_ExpireSessionResponse, _quorumlock_v1_ExpireSessionResponse__Output>
      Granted: MessageTypeDefinition<_quorumlock_v1_Granted, _quorumlock_v1_Granted__Output>
      Hold: MessageTypeDefinition<_quorumlock_v1_Hold, _quorumlock_v1_Hold__Output>
      HolderInfo: MessageTypeDefinition<_quorumlock_v1_HolderInfo, _quorumlock_v1_HolderInfo__Output>
      KeepAlive: MessageTypeDefinition<_quorumlock_v1_KeepAlive, _quorumlock_v1_KeepAlive__Output>
      KeepAliveAck: MessageTypeDefinition<_quorumlock_v1_KeepAliveAck, _quorumlock_v1_KeepAliveAck__Output>
      ListLocksRequest: MessageTypeDefinition<_quorumlock_v1_ListLocksRequest, _quorumlock_v1_ListLocksRequest__Output>
      ListLocksResponse: MessageTypeDefinition<_quorumlock_v1_ListLocksResponse, _quorumlock_v1_ListLocksResponse__Output>
      ListSessionsRequest: MessageTypeDefinition<_quorumlock_v1_ListSessionsRequest, _quorumlock_v1_ListSessionsRequest__Output>
      ListSessionsResponse: MessageTypeDefinition<_quorumlock_v1_ListSessionsResponse, _quorumlock_v1_ListSessionsResponse__Output>
      LockInfo: MessageTypeDefinition<_quorumlock_v1_LockInfo, _quorumlock_v1_LockInfo__Output>
      LockLost: MessageTypeDefinition<_quorumlock_v1_LockLost, _quorumlock_v1_LockLost__Output>
      LockRequest: MessageTypeDefinition<_quorumlock_v1_LockRequest, _quorumlock_v1_LockRequest__Output>
      LockService: SubtypeConstructor<typeof grpc.Client, _quorumlock_v1_LockServiceClient> & { service: _quorumlock_v1_LockServiceDefinition }
      MemberStatus: MessageTypeDefinition<_quorumlock_v1_MemberStatus, _quorumlock_v1_MemberStatus__Output>
      MembersResponse: MessageTypeDefinition<_quorumlock_v1_MembersResponse, _quorumlock_v1_MembersResponse__Output>
      Mode: EnumTypeDefinition
      OpenSession: MessageTypeDefinition<_quorumlock_v1_OpenSession, _quorumlock_v1_OpenSession__Output>
      /**
       * Calls between members that are not Raft messages, served on the peer port next to Send (never
       * on the client port). With peer TLS on, the caller's verified peer certificate is its identity
       * (SAN URI quorumlock://<id>): Status and CheckConsistency answer any certificate that names a
       * member; a divergence notice is taken only from the current leader; Join and Leave only for the
       * id the certificate names (a joining node's certificate is its credential to be added).
       */
      PeerService: SubtypeConstructor<typeof grpc.Client, _quorumlock_v1_PeerServiceClient> & { service: _quorumlock_v1_PeerServiceDefinition }
      PutValue: MessageTypeDefinition<_quorumlock_v1_PutValue, _quorumlock_v1_PutValue__Output>
      Queued: MessageTypeDefinition<_quorumlock_v1_Queued, _quorumlock_v1_Queued__Output>
      RaftTransport: SubtypeConstructor<typeof grpc.Client, _quorumlock_v1_RaftTransportClient> & { service: _quorumlock_v1_RaftTransportDefinition }
      ReleaseRequest: MessageTypeDefinition<_quorumlock_v1_ReleaseRequest, _quorumlock_v1_ReleaseRequest__Output>
      Released: MessageTypeDefinition<_quorumlock_v1_Released, _quorumlock_v1_Released__Output>
      RemoveMemberRequest: MessageTypeDefinition<_quorumlock_v1_RemoveMemberRequest, _quorumlock_v1_RemoveMemberRequest__Output>
      RequestFailed: MessageTypeDefinition<_quorumlock_v1_RequestFailed, _quorumlock_v1_RequestFailed__Output>
      RevokeRequest: MessageTypeDefinition<_quorumlock_v1_RevokeRequest, _quorumlock_v1_RevokeRequest__Output>
      RevokeResponse: MessageTypeDefinition<_quorumlock_v1_RevokeResponse, _quorumlock_v1_RevokeResponse__Output>
      SaveSnapshotRequest: MessageTypeDefinition<_quorumlock_v1_SaveSnapshotRequest, _quorumlock_v1_SaveSnapshotRequest__Output>
      SendResult: MessageTypeDefinition<_quorumlock_v1_SendResult, _quorumlock_v1_SendResult__Output>
      SessionInfo: MessageTypeDefinition<_quorumlock_v1_SessionInfo, _quorumlock_v1_SessionInfo__Output>
      SessionOpened: MessageTypeDefinition<_quorumlock_v1_SessionOpened, _quorumlock_v1_SessionOpened__Output>
      SnapshotChunk: MessageTypeDefinition<_quorumlock_v1_SnapshotChunk, _quorumlock_v1_SnapshotChunk__Output>
      SnapshotHeader: MessageTypeDefinition<_quorumlock_v1_SnapshotHeader, _quorumlock_v1_SnapshotHeader__Output>
      SnapshotMember: MessageTypeDefinition<_quorumlock_v1_SnapshotMember, _quorumlock_v1_SnapshotMember__Output>
      SnapshotRequest: MessageTypeDefinition<_quorumlock_v1_SnapshotRequest, _quorumlock_v1_SnapshotRequest__Output>
      SnapshotResponse: MessageTypeDefinition<_quorumlock_v1_SnapshotResponse, _quorumlock_v1_SnapshotResponse__Output>
      StatusRequest: MessageTypeDefinition<_quorumlock_v1_StatusRequest, _quorumlock_v1_StatusRequest__Output>
      StatusResponse: MessageTypeDefinition<_quorumlock_v1_StatusResponse, _quorumlock_v1_StatusResponse__Output>
      TransferLeaderRequest: MessageTypeDefinition<_quorumlock_v1_TransferLeaderRequest, _quorumlock_v1_TransferLeaderRequest__Output>
      TransferLeaderResponse: MessageTypeDefinition<_quorumlock_v1_TransferLeaderResponse, _quorumlock_v1_TransferLeaderResponse__Output>
      ValuePut: MessageTypeDefinition<_quorumlock_v1_ValuePut, _quorumlock_v1_ValuePut__Output>
      WaiterInfo: MessageTypeDefinition<_quorumlock_v1_WaiterInfo, _quorumlock_v1_WaiterInfo__Output>
    }
  }
}

