// Original file: proto/quorumlock/v1/lock.proto

import type { Long } from '@grpc/proto-loader';

export interface LockLost {
  'name'?: (string);
  'token'?: (number | string | Long);
  /**
   * e.g. revoked by an administrator
   */
  'reason'?: (string);
}

export interface LockLost__Output {
  'name': (string);
  'token': (number);
  /**
   * e.g. revoked by an administrator
   */
  'reason': (string);
}
