// Original file: proto/quorumlock/v1/lock.proto


export interface OpenSession {
  /**
   * empty: start a new session; set: resume that session (after a failover)
   */
  'sessionId'?: (string);
  /**
   * 0: the server's default; out of the server's bounds: INVALID_ARGUMENT
   */
  'ttlMs'?: (number);
  /**
   * shown by lockctl
   */
  'clientName'?: (string);
  /**
   * Resuming: the secret `opened` gave the stream that created the session. A wrong or missing
   * secret (or, with authorization on, another caller identity) is answered like an unknown
   * session: NOT_FOUND. Ignored when starting a new session.
   */
  'sessionSecret'?: (string);
}

export interface OpenSession__Output {
  /**
   * empty: start a new session; set: resume that session (after a failover)
   */
  'sessionId': (string);
  /**
   * 0: the server's default; out of the server's bounds: INVALID_ARGUMENT
   */
  'ttlMs': (number);
  /**
   * shown by lockctl
   */
  'clientName': (string);
  /**
   * Resuming: the secret `opened` gave the stream that created the session. A wrong or missing
   * secret (or, with authorization on, another caller identity) is answered like an unknown
   * session: NOT_FOUND. Ignored when starting a new session.
   */
  'sessionSecret': (string);
}
