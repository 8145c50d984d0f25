// Original file: proto/quorumlock/v1/lock.proto

import type { Long } from '@grpc/proto-loader';

export interface ConsistencyResponse {
  'nodeId'?: (string);
  'index'?: (number | string | Long);
  /**
   * false: the node is already past `index`, or did not reach it in time
   */
  'ok'?: (boolean);
  /**
   * hex; set when ok
   */
  'hash'?: (string);
}

export interface ConsistencyResponse__Output {
  'nodeId': (string);
  'index': (number);
  /**
   * false: the node is already past `index`, or did not reach it in time
   */
  'ok': (boolean);
  /**
   * hex; set when ok
   */
  'hash': (string);
}
