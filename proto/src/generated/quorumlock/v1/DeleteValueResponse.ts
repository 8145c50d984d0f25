// Original file: proto/quorumlock/v1/lock.proto

import type { Long } from '@grpc/proto-loader';

export interface DeleteValueResponse {
  /**
   * value bytes dropped (0: it had none)
   */
  'freedBytes'?: (number | string | Long);
  /**
   * the resource was otherwise idle and is gone
   */
  'resourceDeleted'?: (boolean);
}

export interface DeleteValueResponse__Output {
  /**
   * value bytes dropped (0: it had none)
   */
  'freedBytes': (number);
  /**
   * the resource was otherwise idle and is gone
   */
  'resourceDeleted': (boolean);
}
