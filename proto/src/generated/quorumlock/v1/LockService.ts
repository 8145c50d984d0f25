// Original file: proto/quorumlock/v1/lock.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AcquireRequest as _quorumlock_v1_AcquireRequest, AcquireRequest__Output as _quorumlock_v1_AcquireRequest__Output } from '../../quorumlock/v1/AcquireRequest';
import type { AcquireResponse as _quorumlock_v1_AcquireResponse, AcquireResponse__Output as _quorumlock_v1_AcquireResponse__Output } from '../../quorumlock/v1/AcquireResponse';
import type { CheckFenceRequest as _quorumlock_v1_CheckFenceRequest, CheckFenceRequest__Output as _quorumlock_v1_CheckFenceRequest__Output } from '../../quorumlock/v1/CheckFenceRequest';
import type { CheckFenceResponse as _quorumlock_v1_CheckFenceResponse, CheckFenceResponse__Output as _quorumlock_v1_CheckFenceResponse__Output } from '../../quorumlock/v1/CheckFenceResponse';

export interface LockServiceClient extends grpc.Client {
  /**
   * One stream is one session. The client's first message must be `open`.
   * On a node that is not the leader the call ends with status UNAVAILABLE and, when the
   * leader is known, the trailer `quorumlock-leader: host:port` (the leader's client address).
   * 
   * Order of responses: the first response on a stream is always `opened` (or the stream ends
   * with a status and no response). Every later event of the session written to this stream
   * follows its `opened`, in the order the cluster decided it (log order); events decided before
   * the session was opened or resumed on this stream are not written to it: `opened.holds`, the
   * `queued` messages right after a resumed `opened`, and the answers to resent request ids
   * carry that state instead.
   * 
   * An answer carrying a request id is final only when the cluster decided it: the server never
   * answers for a request it has not decided. When one stream has too many requests awaiting
   * replication (the server's --max-in-flight), the server stops reading that stream until some
   * are decided (HTTP/2 flow control holds the client back); it does not refuse them.
   */
  Acquire(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_quorumlock_v1_AcquireRequest, _quorumlock_v1_AcquireResponse__Output>;
  Acquire(options?: grpc.CallOptions): grpc.ClientDuplexStream<_quorumlock_v1_AcquireRequest, _quorumlock_v1_AcquireResponse__Output>;
  /**
   * One stream is one session. The client's first message must be `open`.
   * On a node that is not the leader the call ends with status UNAVAILABLE and, when the
   * leader is known, the trailer `quorumlock-leader: host:port` (the leader's client address).
   * 
   * Order of responses: the first response on a stream is always `opened` (or the stream ends
   * with a status and no response). Every later event of the session written to this stream
   * follows its `opened`, in the order the cluster decided it (log order); events decided before
   * the session was opened or resumed on this stream are not written to it: `opened.holds`, the
   * `queued` messages right after a resumed `opened`, and the answers to resent request ids
   * carry that state instead.
   * 
   * An answer carrying a request id is final only when the cluster decided it: the server never
   * answers for a request it has not decided. When one stream has too many requests awaiting
   * replication (the server's --max-in-flight), the server stops reading that stream until some
   * are decided (HTTP/2 flow control holds the client back); it does not refuse them.
   */
  acquire(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_quorumlock_v1_AcquireRequest, _quorumlock_v1_AcquireResponse__Output>;
  acquire(options?: grpc.CallOptions): grpc.ClientDuplexStream<_quorumlock_v1_AcquireRequest, _quorumlock_v1_AcquireResponse__Output>;
  
  /**
   * Whether `token` is still a current hold of `name`; linearizable. A downstream service that
   * cannot store tokens asks this before it acts for a holder. Followers redirect as above.
   */
  CheckFence(argument: _quorumlock_v1_CheckFenceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_CheckFenceResponse__Output>): grpc.ClientUnaryCall;
  CheckFence(argument: _quorumlock_v1_CheckFenceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_CheckFenceResponse__Output>): grpc.ClientUnaryCall;
  CheckFence(argument: _quorumlock_v1_CheckFenceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_CheckFenceResponse__Output>): grpc.ClientUnaryCall;
  CheckFence(argument: _quorumlock_v1_CheckFenceRequest, callback: grpc.requestCallback<_quorumlock_v1_CheckFenceResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Whether `token` is still a current hold of `name`; linearizable. A downstream service that
   * cannot store tokens asks this before it acts for a holder. Followers redirect as above.
   */
  checkFence(argument: _quorumlock_v1_CheckFenceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_CheckFenceResponse__Output>): grpc.ClientUnaryCall;
  checkFence(argument: _quorumlock_v1_CheckFenceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumlock_v1_CheckFenceResponse__Output>): grpc.ClientUnaryCall;
  checkFence(argument: _quorumlock_v1_CheckFenceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumlock_v1_CheckFenceResponse__Output>): grpc.ClientUnaryCall;
  checkFence(argument: _quorumlock_v1_CheckFenceRequest, callback: grpc.requestCallback<_quorumlock_v1_CheckFenceResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface LockServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * One stream is one session. The client's first message must be `open`.
   * On a node that is not the leader the call ends with status UNAVAILABLE and, when the
   * leader is known, the trailer `quorumlock-leader: host:port` (the leader's client address).
   * 
   * Order of responses: the first response on a stream is always `opened` (or the stream ends
   * with a status and no response). Every later event of the session written to this stream
   * follows its `opened`, in the order the cluster decided it (log order); events decided before
   * the session was opened or resumed on this stream are not written to it: `opened.holds`, the
   * `queued` messages right after a resumed `opened`, and the answers to resent request ids
   * carry that state instead.
   * 
   * An answer carrying a request id is final only when the cluster decided it: the server never
   * answers for a request it has not decided. When one stream has too many requests awaiting
   * replication (the server's --max-in-flight), the server stops reading that stream until some
   * are decided (HTTP/2 flow control holds the client back); it does not refuse them.
   */
  Acquire: grpc.handleBidiStreamingCall<_quorumlock_v1_AcquireRequest__Output, _quorumlock_v1_AcquireResponse>;
  
  /**
   * Whether `token` is still a current hold of `name`; linearizable. A downstream service that
   * cannot store tokens asks this before it acts for a holder. Followers redirect as above.
   */
  CheckFence: grpc.handleUnaryCall<_quorumlock_v1_CheckFenceRequest__Output, _quorumlock_v1_CheckFenceResponse>;
  
}

export interface LockServiceDefinition extends grpc.ServiceDefinition {
  Acquire: MethodDefinition<_quorumlock_v1_AcquireRequest, _quorumlock_v1_AcquireResponse, _quorumlock_v1_AcquireRequest__Output, _quorumlock_v1_AcquireResponse__Output>
  CheckFence: MethodDefinition<_quorumlock_v1_CheckFenceRequest, _quorumlock_v1_CheckFenceResponse, _quorumlock_v1_CheckFenceRequest__Output, _quorumlock_v1_CheckFenceResponse__Output>
}
