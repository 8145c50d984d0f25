import { createHash, randomBytes } from 'node:crypto';

/**
 * Session secrets (issue 11 §4). The leader draws a secret for each new session before proposing
 * its open, hands it only to the stream that opened it, and replicates only its hash: the state
 * machine stays deterministic (it compares strings) and no log entry, snapshot or replica holds
 * anything a caller could resume with.
 */
export function newSessionSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256 hex of a secret: 256 random bits need no salt or stretching. */
export function hashSessionSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
