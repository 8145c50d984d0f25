// Original file: proto/quorumlock/v1/lock.proto

import type { Long } from '@grpc/proto-loader';

export interface CancelRequest {
  /**
   * a queued LockRequest leaves its queue; answered with `failed` (CANCELLED)
   */
  'requestId'?: (number | string | Long);
}

export interface CancelRequest__Output {
  /**
   * a queued LockRequest leaves its queue; answered with `failed` (CANCELLED)
   */
  'requestId': (number);
}
