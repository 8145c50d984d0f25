// Original file: proto/quorumlock/v1/lock.proto

import type { SnapshotMember as _quorumlock_v1_SnapshotMember, SnapshotMember__Output as _quorumlock_v1_SnapshotMember__Output } from '../../quorumlock/v1/SnapshotMember';
import type { Long } from '@grpc/proto-loader';

export interface SnapshotHeader {
  'clusterId'?: (string);
  /**
   * the Raft index the snapshot is taken at (every fencing token so far is at most this)
   */
  'index'?: (number | string | Long);
  /**
   * the term of that entry
   */
  'term'?: (number | string | Long);
  'members'?: (_quorumlock_v1_SnapshotMember)[];
  /**
   * the node that took it
   */
  'leaderId'?: (string);
  /**
   * the snapshot's size: the sum of the `data` chunks that follow
   */
  'dataBytes'?: (number | string | Long);
  /**
   * hex SHA-256 of those bytes
   */
  'dataSha256'?: (string);
}

export interface SnapshotHeader__Output {
  'clusterId': (string);
  /**
   * the Raft index the snapshot is taken at (every fencing token so far is at most this)
   */
  'index': (number);
  /**
   * the term of that entry
   */
  'term': (number);
  'members': (_quorumlock_v1_SnapshotMember__Output)[];
  /**
   * the node that took it
   */
  'leaderId': (string);
  /**
   * the snapshot's size: the sum of the `data` chunks that follow
   */
  'dataBytes': (number);
  /**
   * hex SHA-256 of those bytes
   */
  'dataSha256': (string);
}
