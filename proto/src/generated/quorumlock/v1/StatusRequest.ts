// Original file: proto/quorumlock/v1/lock.proto


export interface StatusRequest {
  /**
   * Start a new measurement window for max_loop_stall_ms after answering.
   */
  'resetLoopStall'?: (boolean);
}

export interface StatusRequest__Output {
  /**
   * Start a new measurement window for max_loop_stall_ms after answering.
   */
  'resetLoopStall': (boolean);
}
