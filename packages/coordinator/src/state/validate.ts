import type { LockCommand } from './commands';
import { type LockLimits, MAX_WAIT_TIMEOUT_MS } from './limits';
import type { Session } from './model';
import { type Failure, quote, refusal, utf8ByteLength } from './status';

/**
 * The machine's checks of command values. Every check names the value it refuses. They run on
 * every replica, so an invalid request gets the same answer everywhere and after a replay.
 */

/** Longest revoke reason kept, in UTF-8 bytes. */
export const MAX_REASON_BYTES = 1024;
const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;

/**
 * The largest stamp the machine accepts. Deadlines are `now` plus a TTL, a wait timeout or a
 * lock-delay (and a skew shift per term): a stamp near 2^53 made them unsafe integers, a state
 * that applied fine but whose snapshot no replica could restore (found by `pnpm fuzz`). 2^52 ms
 * is beyond year 142,000, so no real clock reaches it, and it leaves 2^52 of headroom.
 */
export const MAX_STAMP = 2 ** 52;

export function checkStamp(stamp: number): Failure | undefined {
  if (Number.isSafeInteger(stamp) && stamp >= 0 && stamp <= MAX_STAMP) return undefined;
  return refusal('ERR_INVALID_ARGUMENT', `stamp ${stamp} is not an integer in [0, ${MAX_STAMP}]`);
}

export function sessionNotFound(sessionId: string): Failure {
  return refusal('ERR_SESSION_NOT_FOUND', `session ${quote(sessionId)} not found (unknown, closed or expired)`);
}

export function checkRequestId(requestId: number): Failure | undefined {
  if (Number.isSafeInteger(requestId) && requestId >= 0) return undefined;
  return refusal('ERR_INVALID_ARGUMENT', `request_id ${String(requestId)} is not a non-negative integer`);
}

export function checkToken(token: number): string | undefined {
  return Number.isSafeInteger(token) && token >= 0 ? undefined : `token ${String(token)} is not a non-negative integer`;
}

export function checkText(field: string, value: string, maxBytes: number, mayBeEmpty: boolean): string | undefined {
  if (typeof value !== 'string') return `${field} is not a string`;
  if (!mayBeEmpty && value.length === 0) return `${field} must not be empty`;
  const bytes = utf8ByteLength(value);
  if (bytes > maxBytes) return `${field} ${quote(value)} is ${bytes} bytes long; the limit is ${maxBytes}`;
  return undefined;
}

export function checkName(limits: LockLimits, name: string): string | undefined {
  if (typeof name !== 'string') return `name ${String(name)} is not a string`;
  if (name.length === 0) return 'name must not be empty';
  const bytes = utf8ByteLength(name);
  if (bytes > limits.maxNameBytes) return `name ${quote(name)} is ${bytes} bytes long; the limit is ${limits.maxNameBytes}`;
  return undefined;
}

/** Why `token` is not the session's current hold of `name`, or undefined when it is. */
export function checkHold(s: Session, name: string, token: number): string | undefined {
  const held = s.holds.get(name);
  if (held === token) return undefined;
  if (held === undefined) return `token ${token} is not a current hold of ${quote(name)}: session ${s.id} holds nothing there`;
  return `token ${token} is not a current hold of ${quote(name)}: session ${s.id} holds it with token ${held}`;
}

/** Why the values of a lock request are invalid, or undefined (its session and id are checked before). */
export function validateLock(limits: LockLimits, c: LockCommand): string | undefined {
  const nameError = checkName(limits, c.name);
  if (nameError !== undefined) return nameError;
  if (!Number.isSafeInteger(c.capacity) || c.capacity < 0) return `capacity ${c.capacity} is not a non-negative integer`;
  if (c.capacity > limits.maxCapacity) return `capacity ${c.capacity} is above the limit of ${limits.maxCapacity}`;
  if (c.mode !== 'exclusive' && c.mode !== 'shared') return `mode ${quote(String(c.mode))} is neither 'exclusive' nor 'shared'`;
  if (!Number.isSafeInteger(c.permits) || c.permits < 0) return `permits ${c.permits} is not a non-negative integer`;
  if (c.permits > Math.max(1, c.capacity)) return `permits ${c.permits} is more than the capacity ${Math.max(1, c.capacity)} of ${quote(c.name)}`;
  if (!Number.isInteger(c.priority) || c.priority < INT32_MIN || c.priority > INT32_MAX) return `priority ${c.priority} is not a 32-bit integer`;
  if (!Number.isSafeInteger(c.waitTimeoutMs) || c.waitTimeoutMs < 0 || c.waitTimeoutMs > MAX_WAIT_TIMEOUT_MS) {
    return `wait_timeout_ms ${c.waitTimeoutMs} is out of bounds (0 to ${MAX_WAIT_TIMEOUT_MS})`;
  }
  if (!Number.isSafeInteger(c.lockDelayMs) || c.lockDelayMs < 0 || c.lockDelayMs > limits.maxLockDelayMs) {
    return `lock_delay_ms ${c.lockDelayMs} is out of bounds (0 to ${limits.maxLockDelayMs})`;
  }
  if (typeof c.tryOnly !== 'boolean') return `try_only ${String(c.tryOnly)} is not a boolean`;
  return undefined;
}
