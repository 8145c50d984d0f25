// Original file: proto/quorumlock/v1/lock.proto

import type { Long } from '@grpc/proto-loader';

export interface RequestFailed {
  'requestId'?: (number | string | Long);
  /**
   * a gRPC status code (ABORTED for a deadlock, DEADLINE_EXCEEDED for a wait timeout, ...)
   */
  'code'?: (number);
  /**
   * what was wrong, naming the value
   */
  'message'?: (string);
}

export interface RequestFailed__Output {
  'requestId': (number);
  /**
   * a gRPC status code (ABORTED for a deadlock, DEADLINE_EXCEEDED for a wait timeout, ...)
   */
  'code': (number);
  /**
   * what was wrong, naming the value
   */
  'message': (string);
}
