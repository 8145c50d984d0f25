/** raft.proto's `quorumlock.v1.RaftTransport` service, loaded once per process. */
import { loadSync } from '@grpc/proto-loader';
import type { MethodDefinition, ServiceDefinition } from '@grpc/proto-loader';
import { loaderOptions, raftProto, type SendResult__Output } from '@quorumlock/proto';

import { TransportError } from './grpc-options';
import type { Envelope } from './peer-link';

/** raft.proto's `SendResult`: empty `error` when the stream ended normally. */
export type SendResult = SendResult__Output;

export interface RaftProtoDefinition {
  readonly service: ServiceDefinition;
  readonly send: MethodDefinition<Envelope, SendResult>;
}

// Parsed once per process: every transport (and every test) shares the same definition.
let raftProtoDefinition: RaftProtoDefinition | null = null;

export function loadRaftProto(): RaftProtoDefinition {
  if (raftProtoDefinition !== null) return raftProtoDefinition;
  const pkg = loadSync(raftProto, { ...loaderOptions, bytes: Buffer, includeDirs: [...loaderOptions.includeDirs] });
  const service = pkg['quorumlock.v1.RaftTransport'];
  const send = service !== undefined && 'Send' in service ? service['Send'] : undefined;
  if (service === undefined || send === undefined || !('requestStream' in send) || !send.requestStream) {
    throw new TransportError(`${raftProto} does not define the client-streaming quorumlock.v1.RaftTransport/Send`);
  }
  raftProtoDefinition = {
    service: service as ServiceDefinition,
    send: send as unknown as MethodDefinition<Envelope, SendResult>,
  };
  return raftProtoDefinition;
}
