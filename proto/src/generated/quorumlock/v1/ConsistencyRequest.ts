// Original file: proto/quorumlock/v1/lock.proto

import type { ConsistencyAlarm as _quorumlock_v1_ConsistencyAlarm, ConsistencyAlarm__Output as _quorumlock_v1_ConsistencyAlarm__Output } from '../../quorumlock/v1/ConsistencyAlarm';
import type { Long } from '@grpc/proto-loader';

export interface ConsistencyRequest {
  /**
   * hash the lock state as of this applied index
   */
  'index'?: (number | string | Long);
  /**
   * how long to wait for the node to apply up to it
   */
  'waitMs'?: (number);
  /**
   * the caller (leader) found this node's hash in the minority
   */
  'divergent'?: (boolean);
  /**
   * with divergent: what was compared
   */
  'alarm'?: (_quorumlock_v1_ConsistencyAlarm | null);
}

export interface ConsistencyRequest__Output {
  /**
   * hash the lock state as of this applied index
   */
  'index': (number);
  /**
   * how long to wait for the node to apply up to it
   */
  'waitMs': (number);
  /**
   * the caller (leader) found this node's hash in the minority
   */
  'divergent': (boolean);
  /**
   * with divergent: what was compared
   */
  'alarm': (_quorumlock_v1_ConsistencyAlarm__Output | null);
}
