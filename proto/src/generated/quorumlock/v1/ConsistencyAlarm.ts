// Original file: proto/quorumlock/v1/lock.proto

import type { Long } from '@grpc/proto-loader';

export interface ConsistencyAlarm {
  /**
   * the divergent node
   */
  'nodeId'?: (string);
  /**
   * applied index the hashes were taken at
   */
  'index'?: (number | string | Long);
  /**
   * its state hash
   */
  'hash'?: (string);
  /**
   * the majority's
   */
  'expectedHash'?: (string);
  /**
   * the leader that compared them
   */
  'detectedBy'?: (string);
}

export interface ConsistencyAlarm__Output {
  /**
   * the divergent node
   */
  'nodeId': (string);
  /**
   * applied index the hashes were taken at
   */
  'index': (number);
  /**
   * its state hash
   */
  'hash': (string);
  /**
   * the majority's
   */
  'expectedHash': (string);
  /**
   * the leader that compared them
   */
  'detectedBy': (string);
}
