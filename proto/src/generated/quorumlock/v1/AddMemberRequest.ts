// Original file: proto/quorumlock/v1/lock.proto


export interface AddMemberRequest {
  'id'?: (string);
  'peerAddress'?: (string);
  'clientAddress'?: (string);
}

export interface AddMemberRequest__Output {
  'id': (string);
  'peerAddress': (string);
  'clientAddress': (string);
}
