// Original file: proto/quorumlock/v1/lock.proto

import type { MemberStatus as _quorumlock_v1_MemberStatus, MemberStatus__Output as _quorumlock_v1_MemberStatus__Output } from '../../quorumlock/v1/MemberStatus';
import type { ConsistencyAlarm as _quorumlock_v1_ConsistencyAlarm, ConsistencyAlarm__Output as _quorumlock_v1_ConsistencyAlarm__Output } from '../../quorumlock/v1/ConsistencyAlarm';
import type { Long } from '@grpc/proto-loader';

export interface StatusResponse {
  'clusterId'?: (string);
  'leaderId'?: (string);
  'term'?: (number | string | Long);
  'members'?: (_quorumlock_v1_MemberStatus)[];
  /**
   * the node that answered
   */
  'answeredBy'?: (string);
  'sessions'?: (number | string | Long);
  'locks'?: (number | string | Long);
  /**
   * The answering node's longest event-loop stall (ms) since it started or since the last
   * Status with reset_loop_stall. Compare with the election timeout: a stall near it costs the
   * leader its leadership.
   */
  'maxLoopStallMs'?: (number);
  /**
   * divergent state hashes this node knows of (empty: none)
   */
  'alarms'?: (_quorumlock_v1_ConsistencyAlarm)[];
}

export interface StatusResponse__Output {
  'clusterId': (string);
  'leaderId': (string);
  'term': (number);
  'members': (_quorumlock_v1_MemberStatus__Output)[];
  /**
   * the node that answered
   */
  'answeredBy': (string);
  'sessions': (number);
  'locks': (number);
  /**
   * The answering node's longest event-loop stall (ms) since it started or since the last
   * Status with reset_loop_stall. Compare with the election timeout: a stall near it costs the
   * leader its leadership.
   */
  'maxLoopStallMs': (number);
  /**
   * divergent state hashes this node knows of (empty: none)
   */
  'alarms': (_quorumlock_v1_ConsistencyAlarm__Output)[];
}
