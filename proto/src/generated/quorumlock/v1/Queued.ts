// Original file: proto/quorumlock/v1/lock.proto

import type { Long } from '@grpc/proto-loader';

export interface Queued {
  'requestId'?: (number | string | Long);
  'name'?: (string);
  /**
   * 1: next in line
   */
  'position'?: (number);
}

export interface Queued__Output {
  'requestId': (number);
  'name': (string);
  /**
   * 1: next in line
   */
  'position': (number);
}
