// Original file: proto/quorumlock/v1/lock.proto

import type { LockInfo as _quorumlock_v1_LockInfo, LockInfo__Output as _quorumlock_v1_LockInfo__Output } from '../../quorumlock/v1/LockInfo';

export interface ListLocksResponse {
  'locks'?: (_quorumlock_v1_LockInfo)[];
}

export interface ListLocksResponse__Output {
  'locks': (_quorumlock_v1_LockInfo__Output)[];
}
