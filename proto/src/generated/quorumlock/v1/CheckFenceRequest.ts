// Original file: proto/quorumlock/v1/lock.proto

import type { Long } from '@grpc/proto-loader';

export interface CheckFenceRequest {
  'name'?: (string);
  'token'?: (number | string | Long);
}

export interface CheckFenceRequest__Output {
  'name': (string);
  'token': (number);
}
