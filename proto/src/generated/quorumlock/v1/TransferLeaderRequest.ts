// Original file: proto/quorumlock/v1/lock.proto


export interface TransferLeaderRequest {
  /**
   * empty: the most caught-up voter
   */
  'to'?: (string);
}

export interface TransferLeaderRequest__Output {
  /**
   * empty: the most caught-up voter
   */
  'to': (string);
}
