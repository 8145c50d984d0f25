// Original file: proto/quorumlock/v1/lock.proto


export interface ExpireSessionResponse {
  'released'?: (number);
}

export interface ExpireSessionResponse__Output {
  'released': (number);
}
