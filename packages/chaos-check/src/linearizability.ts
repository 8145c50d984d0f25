/**
 * A Wing & Gong linearizability checker with Lowe's memoization (the algorithm of Knossos'
 * `wgl` and porcupine), generic over a sequential model, plus the lock models and the glue
 * that turns a recorded lock history into per-resource problems.
 */
import {
  type AcquireOperation,
  type History,
  type LockMode,
  type Operation,
  type PreparedHistory,
  prepareHistory,
  relativeTime,
  type Validity,
} from './history';
import { type CheckResult, type ReportLimits, ViolationSink } from './violation';

// ---------------------------------------------------------------------------------------------
// The generic engine

/**
 * A sequential specification. States must be treated as immutable: `step` returns a new state
 * (or undefined when the input is illegal in `state`), because the search keeps old states to
 * backtrack to.
 */
export interface SequentialModel<S, I> {
  readonly name: string;
  init(): S;
  step(state: S, input: I): S | undefined;
  /** Equal for states that behave the same from now on; the memoization key. */
  key(state: S): string;
  /** For reports. */
  describe(state: S): string;
  /**
   * Optional pruning: true when `input` can never be legal again in `state` or any state
   * reachable from it. The search then drops operations of unknown outcome that can no longer
   * happen instead of retrying them at every step. It must be exact in that direction: a
   * wrong `true` can hide a linearization.
   */
  isDead?(state: S, input: I): boolean;
}

/**
 * One operation for the engine. `ret` is Infinity when the outcome is unknown: such an
 * operation may take effect at any point after `call`, or never.
 */
export interface LinOperation<I> {
  readonly input: I;
  readonly call: number;
  readonly ret: number;
  /**
   * An operation (index) that every legal linearization places before this one. A pruning
   * hint: the search does not try this operation while that one is unlinearized, so a wrong
   * hint can make it miss a linearization (never invent one).
   */
  readonly after?: number;
  /**
   * For an operation of unknown outcome: if it takes effect at all, it does so before this
   * time (later it could only constrain, never explain, what others saw). The search treats
   * it as never having happened once it gets past this point without it.
   */
  readonly deadline?: number;
}

/** Options of {@link checkOperations}. */
export interface SearchOptions {
  /**
   * Search steps (list entries visited) before giving up with `ok: 'unknown'`. Default
   * 1,000,000 + 100 per operation (per resource, when called through
   * {@link checkLinearizability}); a well-behaved history needs a few dozen per operation.
   */
  readonly maxSteps?: number;
  /** Seeds the Zobrist hashing of linearized sets; any fixed value keeps runs reproducible. */
  readonly seed?: number;
}

/** How far the search got before every branch failed. */
export interface PartialLinearization {
  /** Completed (`ret` finite) operations in the deepest linearization found. */
  readonly linearizedCompleted: number;
  /** Completed operations in the problem. */
  readonly completed: number;
  /** The last operations (indexes into the input) of that linearization, in order. */
  readonly tail: readonly number[];
  /** The operation (index) whose return came while it could not yet be linearized. */
  readonly blockedBy: number;
  /** The model state at that point, described by the model. */
  readonly state: string;
}

/** The verdict of the engine. */
export type SearchResult = (
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: string; readonly partial: PartialLinearization }
  | { readonly ok: 'unknown'; readonly reason: 'budget exhausted'; readonly partial: PartialLinearization | undefined }
) & {
  /** List entries visited. */
  readonly steps: number;
  /** Configurations (finished set, model state) memoized. */
  readonly configurations: number;
};

const TAIL = 8;

/**
 * Decides whether `ops` are linearizable with respect to `model`.
 *
 * The operations' calls and (finite) returns form one time-ordered doubly linked list (calls
 * before returns at equal times, so ties count as concurrent). The search walks it: at a
 * call whose operation the model accepts, it linearizes that operation (unlinks its entries,
 * pushes the previous state) and starts again from the head; at a return whose operation is
 * still unlinearized, nothing can be linearized before it any more, so it backtracks to the
 * last choice and tries the next call. Operations with unknown outcome have no return entry,
 * so they are never forced: the search succeeds once every completed operation is
 * linearized, whatever unknown ones are left.
 *
 * Unknown-outcome operations that can no longer happen are dropped (unlinked until the
 * search backtracks past that point): those the model declares dead, and those whose
 * deadline the search has passed. Otherwise every one that never happened would be rescanned
 * at every later step.
 *
 * A set of configurations already explored prunes repeated work (Lowe's memoization). A
 * configuration is the model state plus the set of finished operations (linearized or
 * dropped), keyed by a 64-bit Zobrist hash of that set; so a hash collision could only prune
 * a branch (a false "not linearizable"), never produce a false "ok". Counting drops as
 * finished is what keeps unknown outcomes cheap: the branch where a timed-out release took
 * effect and the branch where the hold expired instead end in the same state with the same
 * finished set (each has dropped the other's operation) and merge, instead of doubling the
 * rest of the search for every such hold. Since the remaining operations are exactly the
 * unfinished ones, equal keys mean equal futures, which is all the memoization needs.
 */
export function checkOperations<S, I>(model: SequentialModel<S, I>, ops: readonly LinOperation<I>[], options: SearchOptions = {}): SearchResult {
  const n = ops.length;
  const maxSteps = options.maxSteps ?? 1_000_000 + 100 * n;

  // Entries: i < n is op i's call, n + i its return, 2n + i its deadline; 3n is the head.
  const CALL = 0;
  const RETURN = 1;
  const DEADLINE = 2;
  const entries: { e: number; t: number; k: number }[] = [];
  let completed = 0;
  for (let i = 0; i < n; i++) {
    const op = ops[i]!;
    entries.push({ e: i, t: op.call, k: CALL });
    if (Number.isFinite(op.ret)) {
      completed++;
      entries.push({ e: n + i, t: Math.max(op.ret, op.call), k: RETURN });
    } else if (op.deadline !== undefined && Number.isFinite(op.deadline)) {
      entries.push({ e: 2 * n + i, t: Math.max(op.deadline, op.call), k: DEADLINE });
    }
  }
  // At equal times: calls first (ties are concurrent), then returns, then deadlines (an
  // operation that may precede a return at its deadline's instant gets the chance).
  entries.sort((a, b) => a.t - b.t || a.k - b.k || a.e - b.e);
  const head = 3 * n;
  const next = new Int32Array(3 * n + 1).fill(-1);
  const prev = new Int32Array(3 * n + 1).fill(-1);
  let last = head;
  for (const x of entries) {
    next[last] = x.e;
    prev[x.e] = last;
    last = x.e;
  }
  next[last] = -1;
  const hasReturn = (i: number): boolean => Number.isFinite(ops[i]!.ret);
  const hasDeadline = (i: number): boolean => !hasReturn(i) && ops[i]!.deadline !== undefined && Number.isFinite(ops[i]!.deadline);
  const unlink = (e: number): void => {
    const p = prev[e]!;
    const q = next[e]!;
    next[p] = q;
    if (q !== -1) prev[q] = p;
  };
  const relink = (e: number): void => {
    const p = prev[e]!;
    const q = next[e]!;
    next[p] = e;
    if (q !== -1) prev[q] = e;
  };
  // Every removal unlinks the call, then the return or deadline; undoing relinks in reverse,
  // which restores the list exactly because undos happen in LIFO order.
  const remove = (i: number): void => {
    unlink(i);
    if (hasReturn(i)) unlink(n + i);
    else if (hasDeadline(i)) unlink(2 * n + i);
  };
  const restore = (i: number): void => {
    if (hasReturn(i)) relink(n + i);
    else if (hasDeadline(i)) relink(2 * n + i);
    relink(i);
  };

  const rnd = mulberry32(options.seed ?? 0x9e3779b9);
  const z1 = new Uint32Array(n);
  const z2 = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    z1[i] = rnd();
    z2[i] = rnd();
  }
  let h1 = 0;
  let h2 = 0;
  let finished = 0;
  const linearized = new Uint8Array(n);
  const seen = new Set<string>();
  const toggle = (i: number): void => {
    h1 = (h1 ^ z1[i]!) >>> 0;
    h2 = (h2 ^ z2[i]!) >>> 0;
  };

  const LINEARIZED = 0;
  const DEAD = 1;
  const EXPIRED = 2;
  const stackOps: number[] = [];
  const stackKinds: number[] = [];
  const stackStates: S[] = [];
  let state = model.init();
  let remaining = completed;
  let steps = 0;
  let best: PartialLinearization | undefined;
  let bestCompleted = -1;

  let entry = next[head]!;
  for (;;) {
    if (remaining === 0) return { ok: true, steps, configurations: seen.size };
    if (++steps > maxSteps) return { ok: 'unknown', reason: 'budget exhausted', steps, configurations: seen.size, partial: best };
    if (entry === -1) {
      // Unreachable while a completed op is unlinearized (its return entry lies ahead); kept
      // as a backtrack so a surprise cannot turn into a false "ok".
      if (!backtrack()) break;
      continue;
    }
    if (entry < n) {
      const i = entry;
      const op = ops[i]!;
      if (op.after !== undefined && linearized[op.after] === 0) {
        entry = next[entry]!;
        continue;
      }
      if (!hasReturn(i) && model.isDead?.(state, op.input) === true) {
        push(i, DEAD);
        toggle(i);
        finished++;
        entry = next[entry]!;
        remove(i);
        continue;
      }
      const after = model.step(state, op.input);
      if (after !== undefined) {
        toggle(i);
        const key = `${h1}.${h2}.${finished + 1}|${model.key(after)}`;
        if (!seen.has(key)) {
          seen.add(key);
          push(i, LINEARIZED);
          finished++;
          linearized[i] = 1;
          state = after;
          remove(i);
          if (hasReturn(i)) remaining--;
          entry = next[head]!;
          continue;
        }
        toggle(i);
      }
      entry = next[entry]!;
      continue;
    }
    if (entry >= 2 * n) {
      // The deadline of an unknown op that has not taken effect: from here on it never does.
      // Every call before this entry was tried in this state, so that is the only way on.
      const i = entry - 2 * n;
      toggle(i);
      const key = `${h1}.${h2}.${finished + 1}|${model.key(state)}`;
      if (!seen.has(key)) {
        seen.add(key);
        push(i, EXPIRED);
        finished++;
        entry = next[entry]!;
        remove(i);
        continue;
      }
      toggle(i);
      if (!backtrack()) break;
      continue;
    }
    // A return of an op not yet linearized: every linearization of this prefix is stuck.
    const linearizedCompleted = completed - remaining;
    if (linearizedCompleted > bestCompleted) {
      bestCompleted = linearizedCompleted;
      best = {
        linearizedCompleted,
        completed,
        tail: lastLinearized(),
        blockedBy: entry - n,
        state: model.describe(state),
      };
    }
    if (!backtrack()) break;
  }
  return {
    ok: false,
    reason: best === undefined ? 'no linearization' : `no linearization: ${best.linearizedCompleted} of ${completed} completed operations linearize before operation ${best.blockedBy} is stuck`,
    partial: best ?? { linearizedCompleted: 0, completed, tail: [], blockedBy: -1, state: model.describe(model.init()) },
    steps,
    configurations: seen.size,
  };

  function push(i: number, kind: number): void {
    stackOps.push(i);
    stackKinds.push(kind);
    stackStates.push(state);
  }

  function lastLinearized(): number[] {
    const tail: number[] = [];
    for (let k = stackOps.length - 1; k >= 0 && tail.length < TAIL; k--) if (stackKinds[k] === LINEARIZED) tail.unshift(stackOps[k]!);
    return tail;
  }

  /** Undoes drops (consequences, not choices) down to the last linearization, then that. */
  function backtrack(): boolean {
    for (;;) {
      const i = stackOps.pop();
      const kind = stackKinds.pop();
      const before = stackStates.pop();
      if (i === undefined || before === undefined) return false;
      restore(i);
      toggle(i);
      finished--;
      if (kind !== LINEARIZED) continue;
      state = before;
      linearized[i] = 0;
      if (hasReturn(i)) remaining++;
      entry = next[i]!;
      return true;
    }
  }
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

// ---------------------------------------------------------------------------------------------
// Lock models

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

// ---------------------------------------------------------------------------------------------
// Lock histories

/** Where an operation of a lock problem came from. */
export interface LockOperationSource {
  /** `expire` operations are synthesised from a grant (`operation`) and its validity. */
  readonly kind: 'recorded' | 'expire';
  readonly operation: Operation;
}

/** One resource's history as engine input. */
export interface LockProblem {
  readonly resource: string;
  readonly operations: readonly LinOperation<LockInput>[];
  readonly sources: readonly LockOperationSource[];
}

/** Options of {@link checkLinearizability}. */
export interface LinearizabilityOptions extends SearchOptions, LockModelOptions, ReportLimits {
  /**
   * When the coordinator may end a hold that was never released (session expiry):
   * - `afterValidity` (default): only after the holder's validity window ended (its lease
   *   signal fired, it invoked a release that was not acknowledged, or it crashed), which is
   *   the design's promise; a hold still valid at the end of the history never expires.
   *   Grants without a validity record fall back to `anytime`.
   * - `anytime`: at any moment after its acquire was invoked.
   */
  readonly leaseExpiry?: 'afterValidity' | 'anytime';
  /** The model for a resource: default a FencedMutexModel if every acquire on it asks for capacity 1, else a SemaphoreModel. */
  readonly model?: (resource: string, operations: readonly Operation[]) => SequentialModel<LockState, LockInput>;
}

/** The verdict on one resource. */
export type ResourceLinearizability = SearchResult & { readonly resource: string; readonly model: string; readonly operations: number };

/** The result of {@link checkLinearizability}. */
export interface LinearizabilityResult extends CheckResult {
  /** false if any resource has no linearization, else 'unknown' if any ran out of budget. */
  readonly linearizable: boolean | 'unknown';
  readonly resources: readonly ResourceLinearizability[];
  readonly steps: number;
}

/**
 * Turns one resource's recorded operations into engine operations. Failed operations took no
 * effect and are dropped; so are checkFences without a result (a read with no answer
 * constrains nothing). Acknowledged operations must linearize between invoke and completion;
 * releases with unknown outcome may linearize at any point after their invoke, or never. Each
 * grant not ended by an acknowledged release gets a synthetic `expire`, possible from when
 * the holder stopped trusting it (see `leaseExpiry`): of unknown outcome, or an instant at
 * that moment when nothing later shows the hold still current (the earliest expiry then
 * admits every linearization a later one would).
 */
export function lockProblem(
  h: PreparedHistory,
  resource: string,
  options: Pick<LinearizabilityOptions, 'leaseExpiry'> = {},
): LockProblem {
  const recorded = h.byResource.get(resource) ?? [];
  const knownTokens = new Set<number>();
  const released = new Set<number>();
  for (const op of recorded) {
    if (op.f === 'acquire' && op.grant !== undefined) knownTokens.add(op.grant.token);
    if (op.f === 'release' && op.outcome === 'ok') released.add(op.token);
  }
  // An unknown grant can only explain a token nobody saw granted (see LockState.credits), so
  // it is needed only for tokens some checkFence reported that no recorded grant has:
  // unexplained[token] = when the first such report returned.
  const unexplained = new Map<number, number>();
  const heldUnexplained = new Set<number>();
  const note = (token: number, at: number): void => {
    if (token === 0 || knownTokens.has(token)) return;
    unexplained.set(token, Math.min(unexplained.get(token) ?? Infinity, at));
  };
  // The last moment anyone saw each token as current.
  const seenCurrent = new Map<number, number>();
  for (const op of recorded) {
    if (op.f !== 'checkFence' || op.result === undefined) continue;
    if (op.result.current) seenCurrent.set(op.token, Math.max(seenCurrent.get(op.token) ?? -Infinity, op.end));
    note(op.result.latestToken, op.end);
    if (op.result.current && !knownTokens.has(op.token)) {
      note(op.token, op.end);
      heldUnexplained.add(op.token);
    }
  }
  const validity = new Map<string, Validity[]>();
  for (const v of h.history.validity) {
    if (v.resource !== resource) continue;
    const key = String(v.token);
    const list = validity.get(key);
    if (list === undefined) validity.set(key, [v]);
    else list.push(v);
  }
  const expiryFrom = (g: AcquireOperation): number => {
    if (options.leaseExpiry === 'anytime' || g.grant === undefined) return g.start;
    const candidates = validity.get(String(g.grant.token));
    const v = candidates?.find((c) => c.process === g.process) ?? candidates?.[0];
    return v === undefined ? g.start : v.validUntil;
  };

  const operations: LinOperation<LockInput>[] = [];
  const sources: LockOperationSource[] = [];
  const push = (input: LockInput, call: number, ret: number, source: LockOperationSource): void => {
    operations.push({ input, call, ret });
    sources.push(source);
  };
  for (const op of recorded) {
    switch (op.f) {
      case 'acquire': {
        if (op.outcome === 'fail') break;
        if (op.grant !== undefined) {
          const g = op.grant;
          push({ kind: 'acquire', ref: op.id, token: g.token, mode: g.mode, permits: g.permits, capacity: g.capacity }, op.start, op.end, {
            kind: 'recorded',
            operation: op,
          });
          if (!released.has(g.token)) {
            const from = expiryFrom(op);
            // Ending a hold sooner only frees capacity, so unless someone later still saw it
            // as current, an expiry at the earliest allowed moment fits whenever a later one
            // does: pin it there (an instant) rather than let the search try every moment.
            const earliest = from >= op.end && (seenCurrent.get(g.token) ?? -Infinity) <= from;
            if (Number.isFinite(from)) push({ kind: 'expire', ref: op.id, token: g.token }, from, earliest ? from : Infinity, { kind: 'expire', operation: op });
          }
        } else if (op.outcome === 'info') {
          let deadline = -Infinity;
          let observedHeld = false;
          for (const [token, at] of unexplained) {
            if (at <= op.start) continue;
            deadline = Math.max(deadline, at);
            observedHeld ||= heldUnexplained.has(token);
          }
          if (deadline === -Infinity) break;
          const r = op.request ?? { mode: 'shared', permits: 1, capacity: 1 };
          const source: LockOperationSource = { kind: 'recorded', operation: op };
          if (observedHeld) {
            // Someone saw a hold nobody was seen to get as current: a credit cannot say that
            // (its hold ends at once), so this acquire becomes a real, optional grant whose
            // unseen token the report pins, ending by an expiry nothing bounds. It can only
            // matter before the last report it could explain. Exact, but each such acquire
            // can double the search, which is why the credits exist.
            const index = operations.length;
            operations.push({ input: { kind: 'acquire', ref: op.id, token: undefined, mode: r.mode, permits: r.permits, capacity: r.capacity }, call: op.start, ret: Infinity, deadline });
            sources.push(source);
            operations.push({ input: { kind: 'expire', ref: op.id, token: undefined }, call: op.start, ret: Infinity, after: index });
            sources.push({ kind: 'expire', operation: op });
          } else {
            push({ kind: 'unknownAcquire', mode: r.mode, permits: r.permits, capacity: r.capacity }, op.start, op.start, source);
          }
        }
        break;
      }
      case 'release':
        if (op.outcome === 'fail') break;
        push({ kind: 'release', token: op.token }, op.start, op.outcome === 'ok' ? op.end : Infinity, { kind: 'recorded', operation: op });
        break;
      case 'checkFence':
        if (op.result === undefined) break;
        push({ kind: 'checkFence', token: op.token, current: op.result.current, latestToken: op.result.latestToken }, op.start, op.end, {
          kind: 'recorded',
          operation: op,
        });
        break;
    }
  }
  // Tokens only grow, so acquires that returned linearize in token order: chaining them spares
  // the search every order of concurrent grants that the tokens already rule out.
  const chain = operations
    .map((op, i) => ({ op, i }))
    .filter(({ op }) => op.input.kind === 'acquire' && op.input.token !== undefined && Number.isFinite(op.ret))
    .sort((a, b) => tokenOf(a.op.input) - tokenOf(b.op.input));
  const chained = operations.slice();
  for (let k = 1; k < chain.length; k++) chained[chain[k]!.i] = { ...chain[k]!.op, after: chain[k - 1]!.i };
  return { resource, operations: chained, sources };
}

function tokenOf(input: LockInput): number {
  return input.kind === 'acquire' && input.token !== undefined ? input.token : 0;
}

/** The default choice of model: a mutex unless some acquire on the resource asks for capacity > 1. */
export function defaultLockModel(operations: readonly Operation[], options: LockModelOptions = {}): SequentialModel<LockState, LockInput> {
  const semaphore = operations.some((op) => op.f === 'acquire' && ((op.grant?.capacity ?? 1) > 1 || (op.request?.capacity ?? 1) > 1));
  return semaphore ? new SemaphoreModel(options) : new FencedMutexModel(options);
}

/**
 * Linearizability of the acquire/release/checkFence history against the fenced lock models,
 * one resource at a time (linearizability is compositional, so per-object checks decide the
 * whole, and each search stays small). Every resource gets its own step budget; a resource
 * that exhausts it is reported as unknown, never as linearizable.
 */
export function checkLinearizability(history: History | PreparedHistory, options: LinearizabilityOptions = {}): LinearizabilityResult {
  const h = prepareHistory(history);
  const sink = new ViolationSink(h, 'linearizability', options);
  const resources: ResourceLinearizability[] = [];
  let steps = 0;
  let anyFalse = false;
  let anyUnknown = false;
  const chooseModel = options.model ?? ((_r: string, ops: readonly Operation[]) => defaultLockModel(ops, options));
  for (const [resource, recorded] of [...h.byResource].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const problem = lockProblem(h, resource, options);
    const model = chooseModel(resource, recorded);
    const searchOptions: SearchOptions = {
      ...(options.maxSteps === undefined ? {} : { maxSteps: options.maxSteps }),
      ...(options.seed === undefined ? {} : { seed: options.seed }),
    };
    const result = checkOperations(model, problem.operations, searchOptions);
    steps += result.steps;
    resources.push({ ...result, resource, model: model.name, operations: problem.operations.length });
    if (result.ok === true) continue;
    if (result.ok === 'unknown') {
      anyUnknown = true;
      continue;
    }
    anyFalse = true;
    const p = result.partial;
    const describe = (i: number): string => describeLockOperation(problem, i, h.startTime);
    const tailOps = p.tail.map((i) => problem.sources[i]!.operation);
    const blocked = problem.sources[p.blockedBy]?.operation;
    const from = Math.min(...tailOps.map((op) => op.start), blocked?.start ?? Infinity);
    const to = blocked === undefined ? from : Number.isFinite(blocked.end) ? blocked.end : blocked.start;
    sink.add({
      kind: 'notLinearizable',
      message:
        `${resource} (${model.name}): no linearization. The longest linearizable prefix has ${p.linearizedCompleted} of ` +
        `${p.completed} completed operations, ending ${p.tail.length === 0 ? '(empty)' : p.tail.map(describe).join('; ')}; ` +
        `then ${p.blockedBy < 0 ? 'nothing' : describe(p.blockedBy)} cannot take effect in state: ${p.state}`,
      resources: [resource],
      from: Number.isFinite(from) ? from : to,
      to,
    });
  }
  const base = sink.result();
  return { ...base, linearizable: anyFalse ? false : anyUnknown ? 'unknown' : true, resources, steps };
}

/** A one-line description of operation `i` of a lock problem, for reports; times relative to `startTime`. */
export function describeLockOperation(problem: LockProblem, i: number, startTime = 0): string {
  const op = problem.operations[i];
  const src = problem.sources[i];
  if (op === undefined || src === undefined) return `operation ${i}`;
  const input = op.input;
  const at = (t: number): string => relativeTime(startTime, t);
  const when = `[${at(op.call)}, ${Number.isFinite(op.ret) ? at(op.ret) : '?'}]`;
  switch (input.kind) {
    case 'acquire':
      return `${src.operation.process} acquire ${input.mode}${input.capacity > 1 ? ` ${input.permits}/${input.capacity}` : ''} → ${input.token === undefined ? 'unknown' : `token ${input.token}`} ${when}`;
    case 'release':
      return `${src.operation.process} release token ${input.token} → ${Number.isFinite(op.ret) ? 'ok' : 'unknown'} ${when}`;
    case 'checkFence':
      return `${src.operation.process} checkFence token ${input.token} → current ${input.current}, latest ${input.latestToken} ${when}`;
    case 'unknownAcquire':
      return `${src.operation.process} acquire ${input.mode}${input.capacity > 1 ? ` ${input.permits}/${input.capacity}` : ''} → unknown (from ${at(op.call)} it may hold an unseen token)`;
    case 'expire': {
      const g = src.operation;
      const token = g.f === 'acquire' && g.grant !== undefined ? `token ${g.grant.token}` : `the unknown grant of ${g.process}`;
      return `expiry of ${token} (possible from ${at(op.call)})`;
    }
  }
}
