// Original file: proto/quorumlock/v1/lock.proto

import type { HolderInfo as _quorumlock_v1_HolderInfo, HolderInfo__Output as _quorumlock_v1_HolderInfo__Output } from '../../quorumlock/v1/HolderInfo';
import type { WaiterInfo as _quorumlock_v1_WaiterInfo, WaiterInfo__Output as _quorumlock_v1_WaiterInfo__Output } from '../../quorumlock/v1/WaiterInfo';
import type { Long } from '@grpc/proto-loader';

export interface LockInfo {
  'name'?: (string);
  'capacity'?: (number);
  'holders'?: (_quorumlock_v1_HolderInfo)[];
  'waiters'?: (_quorumlock_v1_WaiterInfo)[];
  'valueBytes'?: (number);
  'latestToken'?: (number | string | Long);
  'lockDelayRemainingMs'?: (number | string | Long);
}

export interface LockInfo__Output {
  'name': (string);
  'capacity': (number);
  'holders': (_quorumlock_v1_HolderInfo__Output)[];
  'waiters': (_quorumlock_v1_WaiterInfo__Output)[];
  'valueBytes': (number);
  'latestToken': (number);
  'lockDelayRemainingMs': (number);
}
