// Original file: proto/quorumlock/v1/raft.proto


export interface SendResult {
  'error'?: (string);
}

export interface SendResult__Output {
  'error': (string);
}
