// Original file: proto/quorumlock/v1/lock.proto


export interface RemoveMemberRequest {
  'id'?: (string);
}

export interface RemoveMemberRequest__Output {
  'id': (string);
}
