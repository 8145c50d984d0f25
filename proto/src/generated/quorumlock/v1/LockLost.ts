// Original file: proto/quorumlock/v1/lock.proto

import type { Long } from '@grpc/proto-loader';

export interface LockLost {
  'name'?: (string);
  'token'?: (number | string | Long);
  /**
   * e.g. revoked by an administrator
   */
  'reason'?: (string);
  /**
   * Added: ERR_SESSION_EXPIRED when the hold ended because its session expired (by TTL or an
   * administrator); empty when an administrator revoked the hold.
   */
  'errorCode'?: (string);
}

export interface LockLost__Output {
  'name': (string);
  'token': (number);
  /**
   * e.g. revoked by an administrator
   */
  'reason': (string);
  /**
   * Added: ERR_SESSION_EXPIRED when the hold ended because its session expired (by TTL or an
   * administrator); empty when an administrator revoked the hold.
   */
  'errorCode': (string);
}
