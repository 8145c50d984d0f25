// Original file: proto/quorumlock/v1/lock.proto

import type { Hold as _quorumlock_v1_Hold, Hold__Output as _quorumlock_v1_Hold__Output } from '../../quorumlock/v1/Hold';

export interface SessionOpened {
  'sessionId'?: (string);
  'ttlMs'?: (number);
  'resumed'?: (boolean);
  /**
   * on resume: what the session still holds
   */
  'holds'?: (_quorumlock_v1_Hold)[];
  /**
   * Only in the answer to the stream that created the session (empty on resume): resuming needs
   * it. The server keeps only its hash; ListSessions never shows it. Keep it in memory.
   */
  'sessionSecret'?: (string);
}

export interface SessionOpened__Output {
  'sessionId': (string);
  'ttlMs': (number);
  'resumed': (boolean);
  /**
   * on resume: what the session still holds
   */
  'holds': (_quorumlock_v1_Hold__Output)[];
  /**
   * Only in the answer to the stream that created the session (empty on resume): resuming needs
   * it. The server keeps only its hash; ListSessions never shows it. Keep it in memory.
   */
  'sessionSecret': (string);
}
