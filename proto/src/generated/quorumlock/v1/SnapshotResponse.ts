// Original file: proto/quorumlock/v1/lock.proto

import type { Long } from '@grpc/proto-loader';

export interface SnapshotResponse {
  'index'?: (number | string | Long);
  'bytes'?: (number | string | Long);
}

export interface SnapshotResponse__Output {
  'index': (number);
  'bytes': (number);
}
