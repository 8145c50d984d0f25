// Original file: proto/quorumlock/v1/lock.proto


export interface DeleteValueRequest {
  'name'?: (string);
}

export interface DeleteValueRequest__Output {
  'name': (string);
}
