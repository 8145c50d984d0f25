// Original file: proto/quorumlock/v1/lock.proto

import type { Mode as _quorumlock_v1_Mode, Mode__Output as _quorumlock_v1_Mode__Output } from '../../quorumlock/v1/Mode';
import type { Long } from '@grpc/proto-loader';

export interface Hold {
  'name'?: (string);
  'token'?: (number | string | Long);
  'mode'?: (_quorumlock_v1_Mode);
  /**
   * The id of the LockRequest that was granted this hold (0 where unknown, e.g. in
   * RevokeResponse). On resume, a client releases any hold whose request it no longer awaits
   * and does not know as its own: its answer was lost and nobody will ever release it otherwise.
   */
  'requestId'?: (number | string | Long);
}

export interface Hold__Output {
  'name': (string);
  'token': (number);
  'mode': (_quorumlock_v1_Mode__Output);
  /**
   * The id of the LockRequest that was granted this hold (0 where unknown, e.g. in
   * RevokeResponse). On resume, a client releases any hold whose request it no longer awaits
   * and does not know as its own: its answer was lost and nobody will ever release it otherwise.
   */
  'requestId': (number);
}
