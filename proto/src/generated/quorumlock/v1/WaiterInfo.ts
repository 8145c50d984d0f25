// Original file: proto/quorumlock/v1/lock.proto

import type { Mode as _quorumlock_v1_Mode, Mode__Output as _quorumlock_v1_Mode__Output } from '../../quorumlock/v1/Mode';
import type { Long } from '@grpc/proto-loader';

export interface WaiterInfo {
  'position'?: (number);
  'sessionId'?: (string);
  'clientName'?: (string);
  'requestId'?: (number | string | Long);
  'mode'?: (_quorumlock_v1_Mode);
  'permits'?: (number);
  'priority'?: (number);
  'waitingMs'?: (number | string | Long);
}

export interface WaiterInfo__Output {
  'position': (number);
  'sessionId': (string);
  'clientName': (string);
  'requestId': (number);
  'mode': (_quorumlock_v1_Mode__Output);
  'permits': (number);
  'priority': (number);
  'waitingMs': (number);
}
