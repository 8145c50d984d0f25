/**
 * Validation of LockClient's options and of each lock request: bad input fails at once with an
 * InvalidArgumentError that names the value, before anything reaches the wire.
 */
import { hostname } from 'node:os';
import { resolveBackoff, type BackoffOptions } from './backoff';
import { InvalidArgumentError } from './errors';
import type { AcquireOptions, LockClientOptions } from './lock-options';
import type { LockRequestMsg } from './wire';

export const UINT32_MAX = 0xffff_ffff;
const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;

/** The session settings of a LockClient, checked against each other, with their defaults. */
export interface SessionSettings {
  readonly ttlMs: number;
  readonly clientName: string;
  readonly keepaliveFraction: number;
  readonly safetyMarginMs: number | undefined;
  readonly backoff: BackoffOptions;
  readonly openTimeoutMs: number;
  readonly closeTimeoutMs: number;
}

export function sessionSettings(options: LockClientOptions): SessionSettings {
  const ttlMs = options.ttlMs ?? 10_000;
  checkInteger('ttlMs', ttlMs, 1, UINT32_MAX);
  const keepaliveFraction = options.keepaliveFraction ?? 1 / 3;
  if (!(keepaliveFraction > 0 && keepaliveFraction <= 0.5)) {
    throw new InvalidArgumentError(`keepaliveFraction ${String(keepaliveFraction)} must be in (0, 0.5]: keepalives must go out at least twice per TTL`);
  }
  if (options.safetyMarginMs !== undefined) {
    checkInteger('safetyMarginMs', options.safetyMarginMs, 0, UINT32_MAX);
    if (options.safetyMarginMs >= ttlMs * (1 - keepaliveFraction)) {
      throw new InvalidArgumentError(`safetyMarginMs ${options.safetyMarginMs} leaves no time to renew within ttlMs ${ttlMs}; lower it or raise ttlMs`);
    }
  }
  let backoff: BackoffOptions;
  try {
    backoff = resolveBackoff(options.backoff);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return {
    ttlMs,
    clientName: options.clientName ?? `${hostname()}/${process.pid}`,
    keepaliveFraction,
    safetyMarginMs: options.safetyMarginMs,
    backoff,
    openTimeoutMs: options.openTimeoutMs ?? Math.min(5000, Math.max(1000, Math.round(ttlMs / 3))),
    closeTimeoutMs: options.closeTimeoutMs ?? 2000,
  };
}

export function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name === '') throw new InvalidArgumentError(`lock name ${JSON.stringify(name)} must be a non-empty string`);
}

export function checkInteger(field: string, value: unknown, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${field} ${String(value)} must be an integer from ${min} to ${max}`);
  }
}

/** Validates an acquire's options and builds the LockRequest (without its id). */
export function lockRequest(name: string, o: AcquireOptions, tryOnly: boolean): Omit<LockRequestMsg, 'requestId'> {
  checkName(name);
  const capacity = o.capacity ?? 1;
  checkInteger('capacity', capacity, 0, UINT32_MAX);
  const permits = o.permits ?? 1;
  checkInteger('permits', permits, 0, UINT32_MAX);
  if (permits > Math.max(1, capacity)) throw new InvalidArgumentError(`permits ${permits} exceeds capacity ${capacity} of '${name}'`);
  // On a semaphore the natural request is one of its N slots; exclusive would take all of them.
  const mode = o.mode ?? (capacity > 1 ? 'shared' : 'exclusive');
  if (mode !== 'exclusive' && mode !== 'shared') throw new InvalidArgumentError(`mode ${JSON.stringify(mode)} must be 'exclusive' or 'shared'`);
  const priority = o.priority ?? 0;
  checkInteger('priority', priority, INT32_MIN, INT32_MAX);
  const waitTimeoutMs = o.waitTimeoutMs ?? 0;
  checkInteger('waitTimeoutMs', waitTimeoutMs, 0, UINT32_MAX);
  const lockDelayMs = o.lockDelayMs ?? 0;
  checkInteger('lockDelayMs', lockDelayMs, 0, UINT32_MAX);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new InvalidArgumentError('signal must be an AbortSignal');
  return { name, capacity, permits, mode: mode === 'shared' ? 'SHARED' : 'EXCLUSIVE', waitTimeoutMs, tryOnly, lockDelayMs, priority };
}
