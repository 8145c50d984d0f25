/**
 * The sequential specifications of a fenced lock, for the linearizability search
 * (wgl-search.ts): a mutex and a semaphore, with tokens that only grow, holds that expire, and
 * grants of unknown outcome.
 */
import type { LockMode } from './history';
import type { SequentialModel } from './wgl-search';

/**
 * An input of the lock models. `ref` identifies the grant (its acquire operation), so that a
 * hold whose token is unknown can still be ended by its expiry.
 */
export type LockInput =
  | {
      readonly kind: 'acquire';
      readonly ref: number;
      /** Undefined for an acquire with unknown outcome: its token, if granted, was never seen. */
      readonly token: number | undefined;
      readonly mode: LockMode;
      readonly permits: number;
      readonly capacity: number;
    }
  /**
   * An acquire with unknown outcome was invoked (an instant, at its invoke). From then on it
   * may have been granted a token nobody saw: the state keeps it as a credit, which a
   * checkFence reporting an unseen latest token spends (see {@link LockState.credits}).
   */
  | { readonly kind: 'unknownAcquire'; readonly mode: LockMode; readonly permits: number; readonly capacity: number }
  | { readonly kind: 'release'; readonly token: number }
  | { readonly kind: 'checkFence'; readonly token: number; readonly current: boolean; readonly latestToken: number }
  /** The coordinator ended the hold of grant `ref` (token, if known) without a release (session expiry). */
  | { readonly kind: 'expire'; readonly ref: number; readonly token: number | undefined };

/** Options of the lock models. */
export interface LockModelOptions {
  /**
   * The coordinator forgets an idle resource and with it its latest token, so a checkFence on
   * a resource with no holders may answer `latestToken: 0`. Default true.
   */
  readonly forgetsIdle?: boolean;
}

interface Holder {
  readonly ref: number;
  /** Null while the grant's token is unknown. */
  readonly token: number | null;
  readonly units: number;
}

/** The state of {@link SemaphoreModel} (and, with capacity 1, of {@link FencedMutexModel}). */
export interface LockState {
  /** 0 while nobody holds the resource: the next grant fixes it. */
  readonly capacity: number;
  readonly used: number;
  /** Sorted by `ref`, so equal states have equal keys. */
  readonly holders: readonly Holder[];
  /**
   * The latest token granted; when `exact` is false the latest grant's token is unknown and
   * this is its least possible value.
   */
  readonly lastToken: number;
  readonly exact: boolean;
  /** The grant whose token is unknown, while `exact` is false. */
  readonly lastRef: number;
  /**
   * Acquires with unknown outcome invoked so far whose grant nobody has needed yet, as
   * {capacity, units}, sorted. Such a grant matters only if a checkFence reports its token as
   * the latest: then it happened just before that check (the latest moment it can have, when
   * the most capacity is free, since only releases can lie between the two) and its holder,
   * who never learned of it, lost the hold at once; the check spends the largest credit that
   * fits. Any other effect it could have (taking capacity, raising the token floor) only
   * makes other operations harder to fit, so leaving it out loses no linearization.
   */
  readonly credits: readonly Credit[];
}

/** See {@link LockState.credits}. */
export interface Credit {
  readonly capacity: number;
  readonly units: number;
}

const INITIAL: LockState = { capacity: 0, used: 0, holders: [], lastToken: 0, exact: true, lastRef: -1, credits: [] };

/**
 * Tokens, shared by both models. A known token must exceed the latest (or, when the latest
 * grant's token is unknown, its least possible value, which is the same test). An unknown
 * token advances the least possible value by one. A checkFence's `latestToken` then pins the
 * unknown token down.
 */
function grantToken(s: LockState, input: Extract<LockInput, { kind: 'acquire' }>): Pick<LockState, 'lastToken' | 'exact' | 'lastRef'> | undefined {
  if (input.token === undefined) return { lastToken: s.lastToken + 1, exact: false, lastRef: input.ref };
  if (!(input.token > s.lastToken)) return undefined;
  return { lastToken: input.token, exact: true, lastRef: -1 };
}

function checkFence(s: LockState, input: Extract<LockInput, { kind: 'checkFence' }>, forgetsIdle: boolean): LockState | undefined {
  let next = s;
  if (forgetsIdle && input.latestToken === 0 && s.holders.length === 0) {
    // Forgotten: says nothing about tokens, and an unknown token stays unknown.
  } else if (s.exact) {
    if (input.latestToken !== s.lastToken) {
      if (input.latestToken < s.lastToken) return undefined;
      const spent = spendCredit(s);
      if (spent === undefined) return undefined;
      next = { ...s, credits: spent, lastToken: input.latestToken };
    }
  } else {
    if (input.latestToken < s.lastToken) return undefined;
    const pinned = input.latestToken;
    next = {
      ...s,
      lastToken: pinned,
      exact: true,
      lastRef: -1,
      holders: s.holders.map((h) => (h.ref === s.lastRef ? { ...h, token: pinned } : h)),
    };
  }
  const current = next.holders.some((h) => h.token === input.token);
  return current === input.current ? next : undefined;
}

/**
 * Once the latest token is known, a token at or below it that nobody holds is gone for good:
 * every later grant gets a higher token, and only the latest grant's unknown token can still
 * be pinned to a value. So a release of it, or the expiry of its grant, can never happen.
 */
function isDeadLock(s: LockState, input: LockInput): boolean {
  if (input.kind !== 'release' && input.kind !== 'expire') return false;
  const token = input.token;
  if (token === undefined || !s.exact || token > s.lastToken) return false;
  return input.kind === 'release' ? !s.holders.some((h) => h.token === token) : !s.holders.some((h) => h.ref === input.ref);
}

/** The credits left after spending the largest one that fits now, or undefined if none fits. */
function spendCredit(s: LockState): readonly Credit[] | undefined {
  for (let i = s.credits.length - 1; i >= 0; i--) {
    const c = s.credits[i]!;
    if (s.holders.length > 0 && c.capacity !== s.capacity) continue;
    if (s.used + c.units > c.capacity) continue;
    return s.credits.filter((_, k) => k !== i);
  }
  return undefined;
}

function removeHolder(s: LockState, index: number): LockState {
  const h = s.holders[index]!;
  const holders = s.holders.filter((_, i) => i !== index);
  return { ...s, holders, used: s.used - h.units, capacity: holders.length === 0 ? 0 : s.capacity };
}

function lockKey(s: LockState): string {
  let k = `${s.capacity}/${s.lastToken}${s.exact ? '' : `?${s.lastRef}`}`;
  for (const h of s.holders) k += `,${h.ref}:${h.token ?? '?'}`;
  if (s.credits.length > 0) k += `|${s.credits.map((c) => `${c.capacity}:${c.units}`).join(',')}`;
  return k;
}

function describeLock(s: LockState): string {
  const holders = s.holders.length === 0 ? 'free' : `held by ${s.holders.map((h) => `token ${h.token ?? `unknown (grant #${h.ref})`}${s.capacity > 1 ? ` ×${h.units}` : ''}`).join(', ')}`;
  const last = s.exact ? `${s.lastToken}` : `unknown ≥ ${s.lastToken}`;
  const credits = s.credits.length === 0 ? '' : `; ${s.credits.length} acquires of unknown outcome may have been granted unseen tokens`;
  return `${holders}${s.capacity > 1 ? ` (${s.used}/${s.capacity} permits)` : ''}; latest token ${last}${credits}`;
}

function stepLock(s: LockState, input: LockInput, mutex: boolean, forgetsIdle: boolean): LockState | undefined {
  switch (input.kind) {
    case 'unknownAcquire': {
      const capacity = mutex ? 1 : Math.max(1, input.capacity);
      const credit: Credit = { capacity, units: mutex ? 1 : input.mode === 'exclusive' ? capacity : Math.max(1, input.permits) };
      const credits = [...s.credits, credit].sort((a, b) => a.capacity - b.capacity || a.units - b.units);
      return { ...s, credits };
    }
    case 'acquire': {
      const capacity = mutex ? 1 : Math.max(1, input.capacity);
      if (s.holders.length > 0 && capacity !== s.capacity) return undefined;
      const units = mutex ? 1 : input.mode === 'exclusive' ? capacity : Math.max(1, input.permits);
      if (s.used + units > capacity) return undefined;
      const tokens = grantToken(s, input);
      if (tokens === undefined) return undefined;
      const holder: Holder = { ref: input.ref, token: input.token ?? null, units };
      const holders = [...s.holders, holder].sort((a, b) => a.ref - b.ref);
      return { ...tokens, capacity, used: s.used + units, holders, credits: s.credits };
    }
    case 'release': {
      const i = s.holders.findIndex((h) => h.token === input.token);
      return i < 0 ? undefined : removeHolder(s, i);
    }
    case 'expire': {
      const i = s.holders.findIndex((h) => h.ref === input.ref);
      return i < 0 ? undefined : removeHolder(s, i);
    }
    case 'checkFence':
      return checkFence(s, input, forgetsIdle);
  }
}

/** The lock models differ only in whether an acquire must find the resource free. */
abstract class LockModelBase implements SequentialModel<LockState, LockInput> {
  abstract readonly name: string;
  private readonly forgetsIdle: boolean;
  constructor(
    private readonly mutex: boolean,
    options: LockModelOptions,
  ) {
    this.forgetsIdle = options.forgetsIdle ?? true;
  }
  init(): LockState {
    return INITIAL;
  }
  step(state: LockState, input: LockInput): LockState | undefined {
    return stepLock(state, input, this.mutex, this.forgetsIdle);
  }
  key(state: LockState): string {
    return lockKey(state);
  }
  describe(state: LockState): string {
    return describeLock(state);
  }
  isDead(state: LockState, input: LockInput): boolean {
    return isDeadLock(state, input);
  }
}

/**
 * A fenced mutex: acquire(token) is legal iff nobody holds it and the token exceeds every
 * earlier one; release(token) iff `token` holds it; checkFence(token) answers whether `token`
 * holds it and the latest token granted; expire(grant) ends that grant's hold.
 */
export class FencedMutexModel extends LockModelBase {
  readonly name = 'FencedMutexModel';
  constructor(options: LockModelOptions = {}) {
    super(true, options);
  }
}

/**
 * A fenced semaphore: acquire is legal iff its units (the whole capacity when exclusive, its
 * permits when shared) fit beside the current holders, its capacity matches theirs, and its
 * token exceeds every earlier one; release, checkFence and expire as for the mutex.
 */
export class SemaphoreModel extends LockModelBase {
  readonly name = 'SemaphoreModel';
  constructor(options: LockModelOptions = {}) {
    super(false, options);
  }
}
