// Original file: proto/quorumlock/v1/lock.proto

import type { Long } from '@grpc/proto-loader';

export interface KeepAliveAck {
  'seq'?: (number | string | Long);
  'ttlMs'?: (number);
}

export interface KeepAliveAck__Output {
  'seq': (number);
  'ttlMs': (number);
}
