// Original file: proto/quorumlock/v1/lock.proto

import type { Long } from '@grpc/proto-loader';

export interface ValuePut {
  'requestId'?: (number | string | Long);
  'name'?: (string);
  'token'?: (number | string | Long);
}

export interface ValuePut__Output {
  'requestId': (number);
  'name': (string);
  'token': (number);
}
