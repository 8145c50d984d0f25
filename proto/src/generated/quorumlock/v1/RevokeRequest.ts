// Original file: proto/quorumlock/v1/lock.proto

import type { Long } from '@grpc/proto-loader';

export interface RevokeRequest {
  'name'?: (string);
  /**
   * 0: every hold of `name`
   */
  'token'?: (number | string | Long);
  'reason'?: (string);
}

export interface RevokeRequest__Output {
  'name': (string);
  /**
   * 0: every hold of `name`
   */
  'token': (number);
  'reason': (string);
}
