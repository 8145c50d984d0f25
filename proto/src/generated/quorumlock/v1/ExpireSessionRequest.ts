// Original file: proto/quorumlock/v1/lock.proto


export interface ExpireSessionRequest {
  'sessionId'?: (string);
}

export interface ExpireSessionRequest__Output {
  'sessionId': (string);
}
