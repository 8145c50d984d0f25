// Original file: proto/quorumlock/v1/lock.proto


export interface DescribeLockRequest {
  'name'?: (string);
}

export interface DescribeLockRequest__Output {
  'name': (string);
}
