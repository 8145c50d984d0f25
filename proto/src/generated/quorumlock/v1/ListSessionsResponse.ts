// Original file: proto/quorumlock/v1/lock.proto

import type { SessionInfo as _quorumlock_v1_SessionInfo, SessionInfo__Output as _quorumlock_v1_SessionInfo__Output } from '../../quorumlock/v1/SessionInfo';

export interface ListSessionsResponse {
  'sessions'?: (_quorumlock_v1_SessionInfo)[];
}

export interface ListSessionsResponse__Output {
  'sessions': (_quorumlock_v1_SessionInfo__Output)[];
}
