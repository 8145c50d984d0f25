// Original file: proto/quorumlock/v1/lock.proto


export interface ListLocksRequest {
  'prefix'?: (string);
  /**
   * 0: no limit
   */
  'limit'?: (number);
}

export interface ListLocksRequest__Output {
  'prefix': (string);
  /**
   * 0: no limit
   */
  'limit': (number);
}
