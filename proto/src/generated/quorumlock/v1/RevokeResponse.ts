// Original file: proto/quorumlock/v1/lock.proto

import type { Hold as _quorumlock_v1_Hold, Hold__Output as _quorumlock_v1_Hold__Output } from '../../quorumlock/v1/Hold';

export interface RevokeResponse {
  'revoked'?: (_quorumlock_v1_Hold)[];
}

export interface RevokeResponse__Output {
  'revoked': (_quorumlock_v1_Hold__Output)[];
}
