// Original file: proto/quorumlock/v1/lock.proto


/**
 * A member of the configuration a snapshot was taken in.
 */
export interface SnapshotMember {
  'id'?: (string);
  'peerAddress'?: (string);
  'clientAddress'?: (string);
  /**
   * false: a learner
   */
  'voter'?: (boolean);
}

/**
 * A member of the configuration a snapshot was taken in.
 */
export interface SnapshotMember__Output {
  'id': (string);
  'peerAddress': (string);
  'clientAddress': (string);
  /**
   * false: a learner
   */
  'voter': (boolean);
}
