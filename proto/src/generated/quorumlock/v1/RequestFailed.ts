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
  /**
   * Added: the stable code of the failure (README "Error codes"), e.g. ERR_LOCK_HELD. Branch on
   * it, never on `message`. Calls ending with an error status carry it in the
   * `x-lock-error-code` trailer.
   */
  'errorCode'?: (string);
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
  /**
   * Added: the stable code of the failure (README "Error codes"), e.g. ERR_LOCK_HELD. Branch on
   * it, never on `message`. Calls ending with an error status carry it in the
   * `x-lock-error-code` trailer.
   */
  'errorCode': (string);
}
