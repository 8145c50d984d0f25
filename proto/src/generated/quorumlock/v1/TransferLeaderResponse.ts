// Original file: proto/quorumlock/v1/lock.proto


export interface TransferLeaderResponse {
  'leaderId'?: (string);
}

export interface TransferLeaderResponse__Output {
  'leaderId': (string);
}
