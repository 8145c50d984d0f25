// Original file: proto/quorumlock/v1/lock.proto

import type { Long } from '@grpc/proto-loader';

export interface MemberStatus {
  'id'?: (string);
  'peerAddress'?: (string);
  'clientAddress'?: (string);
  /**
   * leader, follower, candidate, preCandidate, learner, unreachable
   */
  'role'?: (string);
  'term'?: (number | string | Long);
  'commitIndex'?: (number | string | Long);
  'appliedIndex'?: (number | string | Long);
  'voter'?: (boolean);
  /**
   * as the leader sees it (0 when unknown)
   */
  'matchIndex'?: (number | string | Long);
}

export interface MemberStatus__Output {
  'id': (string);
  'peerAddress': (string);
  'clientAddress': (string);
  /**
   * leader, follower, candidate, preCandidate, learner, unreachable
   */
  'role': (string);
  'term': (number);
  'commitIndex': (number);
  'appliedIndex': (number);
  'voter': (boolean);
  /**
   * as the leader sees it (0 when unknown)
   */
  'matchIndex': (number);
}
