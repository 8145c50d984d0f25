// Original file: proto/quorumlock/v1/lock.proto

import type { Long } from '@grpc/proto-loader';

export interface Granted {
  'requestId'?: (number | string | Long);
  'name'?: (string);
  /**
   * fencing token: the Raft index of the grant; strictly increasing cluster-wide
   */
  'token'?: (number | string | Long);
  /**
   * the resource's fenced value at the time of the grant
   */
  'value'?: (Buffer | Uint8Array | string);
}

export interface Granted__Output {
  'requestId': (number);
  'name': (string);
  /**
   * fencing token: the Raft index of the grant; strictly increasing cluster-wide
   */
  'token': (number);
  /**
   * the resource's fenced value at the time of the grant
   */
  'value': (Buffer);
}
