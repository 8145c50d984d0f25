// Original file: proto/quorumlock/v1/lock.proto

import type { SnapshotHeader as _quorumlock_v1_SnapshotHeader, SnapshotHeader__Output as _quorumlock_v1_SnapshotHeader__Output } from '../../quorumlock/v1/SnapshotHeader';

export interface SnapshotChunk {
  /**
   * in the first message only
   */
  'header'?: (_quorumlock_v1_SnapshotHeader | null);
  /**
   * the snapshot's bytes (opaque), in order
   */
  'data'?: (Buffer | Uint8Array | string);
}

export interface SnapshotChunk__Output {
  /**
   * in the first message only
   */
  'header': (_quorumlock_v1_SnapshotHeader__Output | null);
  /**
   * the snapshot's bytes (opaque), in order
   */
  'data': (Buffer);
}
