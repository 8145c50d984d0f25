// Original file: proto/quorumlock/v1/lock.proto

import type { Mode as _quorumlock_v1_Mode, Mode__Output as _quorumlock_v1_Mode__Output } from '../../quorumlock/v1/Mode';
import type { Long } from '@grpc/proto-loader';

export interface LockRequest {
  /**
   * Unique within the session; a resent id gets the first answer again. The server remembers
   * the answers of the last 1,024 finished requests of each session (at least as many as one
   * stream may have awaiting replication), and every queued request and current hold.
   */
  'requestId'?: (number | string | Long);
  /**
   * the resource; created on first use
   */
  'name'?: (string);
  /**
   * 0 or 1: a mutex; N: at most N holders (a semaphore)
   */
  'capacity'?: (number);
  'mode'?: (_quorumlock_v1_Mode);
  /**
   * 0: wait until granted, cancelled or the session ends
   */
  'waitTimeoutMs'?: (number);
  /**
   * fail at once with `failed` (FAILED_PRECONDITION) instead of queueing
   */
  'tryOnly'?: (boolean);
  /**
   * if this hold ends by session expiry, nobody gets the resource for this long
   */
  'lockDelayMs'?: (number);
  /**
   * 0 or 1: one permit; k: k permits of the capacity at once
   */
  'permits'?: (number);
  /**
   * higher is served first; FIFO among equal priorities
   */
  'priority'?: (number);
}

export interface LockRequest__Output {
  /**
   * Unique within the session; a resent id gets the first answer again. The server remembers
   * the answers of the last 1,024 finished requests of each session (at least as many as one
   * stream may have awaiting replication), and every queued request and current hold.
   */
  'requestId': (number);
  /**
   * the resource; created on first use
   */
  'name': (string);
  /**
   * 0 or 1: a mutex; N: at most N holders (a semaphore)
   */
  'capacity': (number);
  'mode': (_quorumlock_v1_Mode__Output);
  /**
   * 0: wait until granted, cancelled or the session ends
   */
  'waitTimeoutMs': (number);
  /**
   * fail at once with `failed` (FAILED_PRECONDITION) instead of queueing
   */
  'tryOnly': (boolean);
  /**
   * if this hold ends by session expiry, nobody gets the resource for this long
   */
  'lockDelayMs': (number);
  /**
   * 0 or 1: one permit; k: k permits of the capacity at once
   */
  'permits': (number);
  /**
   * higher is served first; FIFO among equal priorities
   */
  'priority': (number);
}
