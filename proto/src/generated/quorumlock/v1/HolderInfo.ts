// Original file: proto/quorumlock/v1/lock.proto

import type { Mode as _quorumlock_v1_Mode, Mode__Output as _quorumlock_v1_Mode__Output } from '../../quorumlock/v1/Mode';
import type { Long } from '@grpc/proto-loader';

export interface HolderInfo {
  'sessionId'?: (string);
  'clientName'?: (string);
  'token'?: (number | string | Long);
  'mode'?: (_quorumlock_v1_Mode);
  'permits'?: (number);
  'ageMs'?: (number | string | Long);
}

export interface HolderInfo__Output {
  'sessionId': (string);
  'clientName': (string);
  'token': (number);
  'mode': (_quorumlock_v1_Mode__Output);
  'permits': (number);
  'ageMs': (number);
}
