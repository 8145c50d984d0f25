// Original file: proto/quorumlock/v1/raft.proto


export interface Envelope {
  /**
   * every message carries it; a mismatch is rejected and logged, never applied
   */
  'clusterId'?: (string);
  /**
   * sender node id
   */
  'from'?: (string);
  /**
   * receiver node id
   */
  'to'?: (string);
  /**
   * msgpackr-encoded array of raft Messages, batched per flush
   */
  'payload'?: (Buffer | Uint8Array | string);
}

export interface Envelope__Output {
  /**
   * every message carries it; a mismatch is rejected and logged, never applied
   */
  'clusterId': (string);
  /**
   * sender node id
   */
  'from': (string);
  /**
   * receiver node id
   */
  'to': (string);
  /**
   * msgpackr-encoded array of raft Messages, batched per flush
   */
  'payload': (Buffer);
}
