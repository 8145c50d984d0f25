// Original file: proto/quorumlock/v1/lock.proto

import type { Long } from '@grpc/proto-loader';

export interface SessionInfo {
  'sessionId'?: (string);
  'clientName'?: (string);
  'ttlMs'?: (number);
  /**
   * until its deadline, as the leader's replicated clock sees it
   */
  'remainingMs'?: (number | string | Long);
  'holds'?: (number);
  'waits'?: (number);
}

export interface SessionInfo__Output {
  'sessionId': (string);
  'clientName': (string);
  'ttlMs': (number);
  /**
   * until its deadline, as the leader's replicated clock sees it
   */
  'remainingMs': (number);
  'holds': (number);
  'waits': (number);
}
