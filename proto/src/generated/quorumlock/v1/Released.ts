// Original file: proto/quorumlock/v1/lock.proto

import type { Long } from '@grpc/proto-loader';

export interface Released {
  'requestId'?: (number | string | Long);
  'name'?: (string);
  'token'?: (number | string | Long);
}

export interface Released__Output {
  'requestId': (number);
  'name': (string);
  'token': (number);
}
