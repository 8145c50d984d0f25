// Original file: proto/quorumlock/v1/lock.proto

import type { MemberStatus as _quorumlock_v1_MemberStatus, MemberStatus__Output as _quorumlock_v1_MemberStatus__Output } from '../../quorumlock/v1/MemberStatus';

export interface MembersResponse {
  'members'?: (_quorumlock_v1_MemberStatus)[];
}

export interface MembersResponse__Output {
  'members': (_quorumlock_v1_MemberStatus__Output)[];
}
