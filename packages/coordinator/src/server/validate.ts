import { Code, quote, utf8ByteLength } from '../state/status';
import type { LockLimits } from '../state/limits';
import { MAX_WAIT_TIMEOUT_MS } from '../state/limits';
import type { InvalidUtf8 } from './strict-utf8';
import type { AcquireRequest } from './proto';

/**
 * Checks of a request that do not depend on state, made by the server before it proposes
 * anything: a request that fails one is answered at once and never reaches the log (so a
 * flood of refused requests costs no disk and no replication). The state machine keeps the
 * same checks as a second line; the limits here are the machine's own (`LockLimits`), so both
 * lines refuse the same requests.
 */

/** gRPC PERMISSION_DENIED: a request the caller's role does not allow (auth/stream-access.ts); never a machine answer. */
export const PERMISSION_DENIED = 7;

export type RefusalCode = typeof Code.INVALID_ARGUMENT | typeof Code.RESOURCE_EXHAUSTED | typeof PERMISSION_DENIED;

export interface Refusal {
  readonly code: RefusalCode;
  /** The catalogue's code for the refusal (its gRPC status is `code`). */
  readonly errorCode: 'ERR_INVALID_ARGUMENT' | 'ERR_VALUE_TOO_LARGE' | 'ERR_PERMISSION_DENIED';
  /** The offending field, as lock.proto names it (e.g. `lock.name`). */
  readonly field: string;
  readonly message: string;
}

/** Revoke reasons longer than this are refused (the machine's MAX_REASON_BYTES). */
export const MAX_REASON_BYTES = 1024;
const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;
const UINT32_MAX = 0xffff_ffff;

function invalid(field: string, message: string): Refusal {
  return { code: Code.INVALID_ARGUMENT, errorCode: 'ERR_INVALID_ARGUMENT', field, message: `${field}: ${message}` };
}

export function utf8Refusal(bad: InvalidUtf8): Refusal {
  return invalid(bad.field, `bytes ${bad.hex} are not valid UTF-8`);
}

/** A resource name: a string of 1..maxNameBytes UTF-8 bytes. */
export function checkName(field: string, name: unknown, limits: Pick<LockLimits, 'maxNameBytes'>): Refusal | undefined {
  if (typeof name !== 'string') return invalid(field, `${String(name)} is not a string`);
  if (name.length === 0) return invalid(field, 'must not be empty');
  const bytes = utf8ByteLength(name);
  if (bytes > limits.maxNameBytes) return invalid(field, `${quote(name)} is ${bytes} bytes long; the limit is ${limits.maxNameBytes}`);
  return undefined;
}

/** Free text (client name, reason): at most `maxBytes` UTF-8 bytes, possibly empty. */
export function checkText(field: string, value: unknown, maxBytes: number, mayBeEmpty = true): Refusal | undefined {
  if (typeof value !== 'string') return invalid(field, `${String(value)} is not a string`);
  if (!mayBeEmpty && value.length === 0) return invalid(field, 'must not be empty');
  const bytes = utf8ByteLength(value);
  if (bytes > maxBytes) return invalid(field, `${quote(value)} is ${bytes} bytes long; the limit is ${maxBytes}`);
  return undefined;
}

/**
 * A uint64 id or token as proto-loader presents it (`longs: Number`): above 2^53 it is no longer
 * exact, and two different ids could collide, so it is refused.
 */
export function checkUint53(field: string, v: unknown): Refusal | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return undefined;
  return invalid(field, `${String(v)} is not an integer in [0, 2^53 - 1]`);
}

function checkUint32(field: string, v: unknown, max = UINT32_MAX): Refusal | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max) return undefined;
  return invalid(field, `${String(v)} is out of bounds (0 to ${max})`);
}

/** `Mode` as proto-loader presents it (`enums: String`): a known name, or the bare number of an unknown one. */
export function checkMode(field: string, v: unknown): Refusal | undefined {
  if (v === 'EXCLUSIVE' || v === 'SHARED') return undefined;
  return invalid(field, `${String(v)} is not a Mode (EXCLUSIVE = 0, SHARED = 1)`);
}

export interface LockFields {
  readonly requestId: unknown;
  readonly name: unknown;
  readonly capacity: unknown;
  readonly mode: unknown;
  readonly waitTimeoutMs: unknown;
  readonly tryOnly: unknown;
  readonly lockDelayMs: unknown;
  readonly permits: unknown;
  readonly priority: unknown;
}

export function checkLock(l: LockFields, limits: LockLimits, p = 'lock'): Refusal | undefined {
  const capacity = l.capacity;
  const first =
    checkUint53(`${p}.request_id`, l.requestId) ??
    checkName(`${p}.name`, l.name, limits) ??
    checkMode(`${p}.mode`, l.mode) ??
    checkUint32(`${p}.capacity`, capacity, limits.maxCapacity) ??
    checkUint32(`${p}.permits`, l.permits) ??
    checkUint32(`${p}.wait_timeout_ms`, l.waitTimeoutMs, MAX_WAIT_TIMEOUT_MS) ??
    checkUint32(`${p}.lock_delay_ms`, l.lockDelayMs, limits.maxLockDelayMs);
  if (first !== undefined) return first;
  const cap = Math.max(1, capacity as number);
  if ((l.permits as number) > cap) return invalid(`${p}.permits`, `${String(l.permits)} is more than the capacity ${cap}`);
  if (typeof l.priority !== 'number' || !Number.isInteger(l.priority) || l.priority < INT32_MIN || l.priority > INT32_MAX) {
    return invalid(`${p}.priority`, `${String(l.priority)} is not a 32-bit integer`);
  }
  if (typeof l.tryOnly !== 'boolean') return invalid(`${p}.try_only`, `${String(l.tryOnly)} is not a boolean`);
  return undefined;
}

/** A put's value: at most maxValueBytes (RESOURCE_EXHAUSTED beyond, as the machine answers). */
export function checkValue(field: string, value: unknown, limits: Pick<LockLimits, 'maxValueBytes'>): Refusal | undefined {
  if (!(value instanceof Uint8Array)) return invalid(field, 'is not bytes');
  if (value.byteLength > limits.maxValueBytes) {
    return {
      code: Code.RESOURCE_EXHAUSTED,
      errorCode: 'ERR_VALUE_TOO_LARGE',
      field,
      message: `${field}: ${value.byteLength} bytes; the limit is ${limits.maxValueBytes} (max_value_bytes)`,
    };
  }
  return undefined;
}

/** What the server does with a refused Acquire message. */
export interface AcquireRefusal extends Refusal {
  /**
   * The request id to answer under (`failed`), or undefined when the message cannot be answered
   * by id (open, close, keepalive, or an id that is itself invalid): the stream ends instead.
   */
  readonly requestId?: number;
}

/** Every state-independent check of one AcquireRequest; undefined when it may be proposed. */
export function checkAcquireRequest(req: AcquireRequest, limits: LockLimits, badUtf8?: InvalidUtf8): AcquireRefusal | undefined {
  const answerable = requestIdOf(req);
  const withId = (r: Refusal | undefined): AcquireRefusal | undefined =>
    r === undefined ? undefined : answerable === undefined ? r : { ...r, requestId: answerable };
  if (badUtf8 !== undefined) return withId(utf8Refusal(badUtf8));
  switch (req.msg) {
    case 'open': {
      const o = req.open;
      if (o == null) return undefined;
      return (
        checkText('open.session_id', o.sessionId, limits.maxSessionIdBytes) ??
        checkText('open.client_name', o.clientName, limits.maxClientNameBytes)
      );
    }
    case 'lock':
      return req.lock == null ? undefined : withId(checkLock(req.lock, limits));
    case 'release': {
      const r = req.release;
      if (r == null) return undefined;
      return withId(checkUint53('release.request_id', r.requestId) ?? checkName('release.name', r.name, limits) ?? checkUint53('release.token', r.token));
    }
    case 'cancel':
      return req.cancel == null ? undefined : withId(checkUint53('cancel.request_id', req.cancel.requestId));
    case 'put': {
      const p = req.put;
      if (p == null) return undefined;
      return withId(
        checkUint53('put.request_id', p.requestId) ??
          checkName('put.name', p.name, limits) ??
          checkUint53('put.token', p.token) ??
          checkValue('put.value', p.value, limits),
      );
    }
    case 'keepalive':
      return req.keepalive == null ? undefined : checkUint53('keepalive.seq', req.keepalive.seq);
    default:
      return undefined;
  }
}

/** The request id a refusal can be addressed to, when the message has a valid one. */
function requestIdOf(req: AcquireRequest): number | undefined {
  const id = req.msg === 'lock' ? req.lock?.requestId : req.msg === 'release' ? req.release?.requestId : req.msg === 'put' ? req.put?.requestId : req.msg === 'cancel' ? req.cancel?.requestId : undefined;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : undefined;
}
