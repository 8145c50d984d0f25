import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { Envelope as _quorumlock_v1_Envelope, Envelope__Output as _quorumlock_v1_Envelope__Output } from './quorumlock/v1/Envelope';
import type { RaftTransportClient as _quorumlock_v1_RaftTransportClient, RaftTransportDefinition as _quorumlock_v1_RaftTransportDefinition } from './quorumlock/v1/RaftTransport';
import type { SendResult as _quorumlock_v1_SendResult, SendResult__Output as _quorumlock_v1_SendResult__Output } from './quorumlock/v1/SendResult';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  quorumlock: {
    v1: {
      Envelope: MessageTypeDefinition<_quorumlock_v1_Envelope, _quorumlock_v1_Envelope__Output>
      RaftTransport: SubtypeConstructor<typeof grpc.Client, _quorumlock_v1_RaftTransportClient> & { service: _quorumlock_v1_RaftTransportDefinition }
      SendResult: MessageTypeDefinition<_quorumlock_v1_SendResult, _quorumlock_v1_SendResult__Output>
    }
  }
}

