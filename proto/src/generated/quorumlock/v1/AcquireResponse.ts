// Original file: proto/quorumlock/v1/lock.proto

import type { SessionOpened as _quorumlock_v1_SessionOpened, SessionOpened__Output as _quorumlock_v1_SessionOpened__Output } from '../../quorumlock/v1/SessionOpened';
import type { Granted as _quorumlock_v1_Granted, Granted__Output as _quorumlock_v1_Granted__Output } from '../../quorumlock/v1/Granted';
import type { Queued as _quorumlock_v1_Queued, Queued__Output as _quorumlock_v1_Queued__Output } from '../../quorumlock/v1/Queued';
import type { Released as _quorumlock_v1_Released, Released__Output as _quorumlock_v1_Released__Output } from '../../quorumlock/v1/Released';
import type { LockLost as _quorumlock_v1_LockLost, LockLost__Output as _quorumlock_v1_LockLost__Output } from '../../quorumlock/v1/LockLost';
import type { RequestFailed as _quorumlock_v1_RequestFailed, RequestFailed__Output as _quorumlock_v1_RequestFailed__Output } from '../../quorumlock/v1/RequestFailed';
import type { KeepAliveAck as _quorumlock_v1_KeepAliveAck, KeepAliveAck__Output as _quorumlock_v1_KeepAliveAck__Output } from '../../quorumlock/v1/KeepAliveAck';
import type { ValuePut as _quorumlock_v1_ValuePut, ValuePut__Output as _quorumlock_v1_ValuePut__Output } from '../../quorumlock/v1/ValuePut';

export interface AcquireResponse {
  'opened'?: (_quorumlock_v1_SessionOpened | null);
  'granted'?: (_quorumlock_v1_Granted | null);
  'queued'?: (_quorumlock_v1_Queued | null);
  'released'?: (_quorumlock_v1_Released | null);
  'lost'?: (_quorumlock_v1_LockLost | null);
  'failed'?: (_quorumlock_v1_RequestFailed | null);
  'keepaliveAck'?: (_quorumlock_v1_KeepAliveAck | null);
  'valuePut'?: (_quorumlock_v1_ValuePut | null);
  'msg'?: "opened"|"granted"|"queued"|"released"|"lost"|"failed"|"keepaliveAck"|"valuePut";
}

export interface AcquireResponse__Output {
  'opened'?: (_quorumlock_v1_SessionOpened__Output | null);
  'granted'?: (_quorumlock_v1_Granted__Output | null);
  'queued'?: (_quorumlock_v1_Queued__Output | null);
  'released'?: (_quorumlock_v1_Released__Output | null);
  'lost'?: (_quorumlock_v1_LockLost__Output | null);
  'failed'?: (_quorumlock_v1_RequestFailed__Output | null);
  'keepaliveAck'?: (_quorumlock_v1_KeepAliveAck__Output | null);
  'valuePut'?: (_quorumlock_v1_ValuePut__Output | null);
  'msg'?: "opened"|"granted"|"queued"|"released"|"lost"|"failed"|"keepaliveAck"|"valuePut";
}
