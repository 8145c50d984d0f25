// Original file: proto/quorumlock/v1/raft.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { Envelope as _quorumlock_v1_Envelope, Envelope__Output as _quorumlock_v1_Envelope__Output } from '../../quorumlock/v1/Envelope';
import type { SendResult as _quorumlock_v1_SendResult, SendResult__Output as _quorumlock_v1_SendResult__Output } from '../../quorumlock/v1/SendResult';

export interface RaftTransportClient extends grpc.Client {
  /**
   * One long-lived client stream per ordered pair of peers. The server answers once, when the
   * stream ends, with why it ended (e.g. a cluster id mismatch).
   */
  Send(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_SendResult__Output>): grpc.ClientWritableStream<_quorumlock_v1_Envelope>;
  Send(metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_SendResult__Output>): grpc.ClientWritableStream<_quorumlock_v1_Envelope>;
  Send(options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_SendResult__Output>): grpc.ClientWritableStream<_quorumlock_v1_Envelope>;
  Send(callback: grpc.requestCallback<_quorumlock_v1_SendResult__Output>): grpc.ClientWritableStream<_quorumlock_v1_Envelope>;
  /**
   * One long-lived client stream per ordered pair of peers. The server answers once, when the
   * stream ends, with why it ended (e.g. a cluster id mismatch).
   */
  send(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_SendResult__Output>): grpc.ClientWritableStream<_quorumlock_v1_Envelope>;
  send(metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_SendResult__Output>): grpc.ClientWritableStream<_quorumlock_v1_Envelope>;
  send(options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_SendResult__Output>): grpc.ClientWritableStream<_quorumlock_v1_Envelope>;
  send(callback: grpc.requestCallback<_quorumlock_v1_SendResult__Output>): grpc.ClientWritableStream<_quorumlock_v1_Envelope>;
  
}

export interface RaftTransportHandlers extends grpc.UntypedServiceImplementation {
  /**
   * One long-lived client stream per ordered pair of peers. The server answers once, when the
   * stream ends, with why it ended (e.g. a cluster id mismatch).
   */
  Send: grpc.handleClientStreamingCall<_quorumlock_v1_Envelope__Output, _quorumlock_v1_SendResult>;
  
}

export interface RaftTransportDefinition extends grpc.ServiceDefinition {
  Send: MethodDefinition<_quorumlock_v1_Envelope, _quorumlock_v1_SendResult, _quorumlock_v1_Envelope__Output, _quorumlock_v1_SendResult__Output>
}
