// Original file: proto/quorumlock/v1/lock.proto

import type { Long } from '@grpc/proto-loader';

export interface PutValue {
  'requestId'?: (number | string | Long);
  'name'?: (string);
  /**
   * must be the current token of a hold on `name` by this session
   */
  'token'?: (number | string | Long);
  /**
   * the resource's fenced value, delivered with every later grant
   */
  'value'?: (Buffer | Uint8Array | string);
}

export interface PutValue__Output {
  'requestId': (number);
  'name': (string);
  /**
   * must be the current token of a hold on `name` by this session
   */
  'token': (number);
  /**
   * the resource's fenced value, delivered with every later grant
   */
  'value': (Buffer);
}
