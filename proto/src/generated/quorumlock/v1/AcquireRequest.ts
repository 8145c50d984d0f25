// Original file: proto/quorumlock/v1/lock.proto

import type { OpenSession as _quorumlock_v1_OpenSession, OpenSession__Output as _quorumlock_v1_OpenSession__Output } from '../../quorumlock/v1/OpenSession';
import type { LockRequest as _quorumlock_v1_LockRequest, LockRequest__Output as _quorumlock_v1_LockRequest__Output } from '../../quorumlock/v1/LockRequest';
import type { ReleaseRequest as _quorumlock_v1_ReleaseRequest, ReleaseRequest__Output as _quorumlock_v1_ReleaseRequest__Output } from '../../quorumlock/v1/ReleaseRequest';
import type { KeepAlive as _quorumlock_v1_KeepAlive, KeepAlive__Output as _quorumlock_v1_KeepAlive__Output } from '../../quorumlock/v1/KeepAlive';
import type { CloseSession as _quorumlock_v1_CloseSession, CloseSession__Output as _quorumlock_v1_CloseSession__Output } from '../../quorumlock/v1/CloseSession';
import type { CancelRequest as _quorumlock_v1_CancelRequest, CancelRequest__Output as _quorumlock_v1_CancelRequest__Output } from '../../quorumlock/v1/CancelRequest';
import type { PutValue as _quorumlock_v1_PutValue, PutValue__Output as _quorumlock_v1_PutValue__Output } from '../../quorumlock/v1/PutValue';

export interface AcquireRequest {
  'open'?: (_quorumlock_v1_OpenSession | null);
  'lock'?: (_quorumlock_v1_LockRequest | null);
  'release'?: (_quorumlock_v1_ReleaseRequest | null);
  'keepalive'?: (_quorumlock_v1_KeepAlive | null);
  'close'?: (_quorumlock_v1_CloseSession | null);
  'cancel'?: (_quorumlock_v1_CancelRequest | null);
  'put'?: (_quorumlock_v1_PutValue | null);
  'msg'?: "open"|"lock"|"release"|"keepalive"|"close"|"cancel"|"put";
}

export interface AcquireRequest__Output {
  'open'?: (_quorumlock_v1_OpenSession__Output | null);
  'lock'?: (_quorumlock_v1_LockRequest__Output | null);
  'release'?: (_quorumlock_v1_ReleaseRequest__Output | null);
  'keepalive'?: (_quorumlock_v1_KeepAlive__Output | null);
  'close'?: (_quorumlock_v1_CloseSession__Output | null);
  'cancel'?: (_quorumlock_v1_CancelRequest__Output | null);
  'put'?: (_quorumlock_v1_PutValue__Output | null);
  'msg'?: "open"|"lock"|"release"|"keepalive"|"close"|"cancel"|"put";
}
