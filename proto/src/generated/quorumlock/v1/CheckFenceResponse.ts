// Original file: proto/quorumlock/v1/lock.proto

import type { Long } from '@grpc/proto-loader';

export interface CheckFenceResponse {
  /**
   * true: `token` is a hold of `name` right now
   */
  'current'?: (boolean);
  /**
   * the newest token granted on `name` that the cluster remembers (0: none)
   */
  'latestToken'?: (number | string | Long);
}

export interface CheckFenceResponse__Output {
  /**
   * true: `token` is a hold of `name` right now
   */
  'current': (boolean);
  /**
   * the newest token granted on `name` that the cluster remembers (0: none)
   */
  'latestToken': (number);
}
