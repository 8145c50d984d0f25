// Original file: proto/quorumlock/v1/lock.proto

import type { Long } from '@grpc/proto-loader';

export interface ReleaseRequest {
  'requestId'?: (number | string | Long);
  'name'?: (string);
  /**
   * the fencing token of the hold being released
   */
  'token'?: (number | string | Long);
}

export interface ReleaseRequest__Output {
  'requestId': (number);
  'name': (string);
  /**
   * the fencing token of the hold being released
   */
  'token': (number);
}
