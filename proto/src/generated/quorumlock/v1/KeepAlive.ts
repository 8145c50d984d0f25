// Original file: proto/quorumlock/v1/lock.proto

import type { Long } from '@grpc/proto-loader';

export interface KeepAlive {
  'seq'?: (number | string | Long);
}

export interface KeepAlive__Output {
  'seq': (number);
}
