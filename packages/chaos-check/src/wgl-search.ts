/**
 * A Wing & Gong linearizability checker with Lowe's memoization (the algorithm of Knossos'
 * `wgl` and porcupine), generic over a sequential model. The lock models are in
 * lock-models.ts, the translation of a recorded history in lock-problem.ts.
 */

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
  const maxSteps = options.maxSteps ?? 1_000_000 + 100 * ops.length;
  return new Search(model, ops, options.seed ?? 0x9e3779b9).run(maxSteps);
}

// List entries: i < n is op i's call, n + i its return, 2n + i its deadline; 3n is the head.
const CALL = 0;
const RETURN = 1;
const DEADLINE = 2;

/**
 * The calls, returns and deadlines of the operations as one time-ordered doubly linked list,
 * from which operations are removed as the search finishes them and restored as it backtracks.
 */
class EntryList<I> {
  readonly head: number;
  readonly next: Int32Array;
  readonly prev: Int32Array;
  /** Operations with a (finite) return. */
  readonly completed: number;

  constructor(private readonly ops: readonly LinOperation<I>[]) {
    const n = ops.length;
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
    this.completed = completed;
    // At equal times: calls first (ties are concurrent), then returns, then deadlines (an
    // operation that may precede a return at its deadline's instant gets the chance).
    entries.sort((a, b) => a.t - b.t || a.k - b.k || a.e - b.e);
    this.head = 3 * n;
    this.next = new Int32Array(3 * n + 1).fill(-1);
    this.prev = new Int32Array(3 * n + 1).fill(-1);
    let last = this.head;
    for (const x of entries) {
      this.next[last] = x.e;
      this.prev[x.e] = last;
      last = x.e;
    }
    this.next[last] = -1;
  }

  hasReturn(i: number): boolean {
    return Number.isFinite(this.ops[i]!.ret);
  }

  // Every removal unlinks the call, then the return or deadline; undoing relinks in reverse,
  // which restores the list exactly because undos happen in LIFO order.
  remove(i: number): void {
    const n = this.ops.length;
    this.unlink(i);
    if (this.hasReturn(i)) this.unlink(n + i);
    else if (this.hasDeadline(i)) this.unlink(2 * n + i);
  }

  restore(i: number): void {
    const n = this.ops.length;
    if (this.hasReturn(i)) this.relink(n + i);
    else if (this.hasDeadline(i)) this.relink(2 * n + i);
    this.relink(i);
  }

  private hasDeadline(i: number): boolean {
    return !this.hasReturn(i) && this.ops[i]!.deadline !== undefined && Number.isFinite(this.ops[i]!.deadline);
  }

  private unlink(e: number): void {
    const p = this.prev[e]!;
    const q = this.next[e]!;
    this.next[p] = q;
    if (q !== -1) this.prev[q] = p;
  }

  private relink(e: number): void {
    const p = this.prev[e]!;
    const q = this.next[e]!;
    this.next[p] = e;
    if (q !== -1) this.prev[q] = e;
  }
}

// How an operation left the list: a choice the search made, or a consequence of one.
const LINEARIZED = 0;
const DEAD = 1;
const EXPIRED = 2;

/** One run of {@link checkOperations}: the walk over the list, with its stack and memo. */
class Search<S, I> {
  private readonly n: number;
  private readonly list: EntryList<I>;
  /** Zobrist keys of the operations; (h1, h2) hashes the set of finished ones. */
  private readonly z1: Uint32Array;
  private readonly z2: Uint32Array;
  private h1 = 0;
  private h2 = 0;
  private finished = 0;
  private readonly linearized: Uint8Array;
  private readonly seen = new Set<string>();
  private readonly stackOps: number[] = [];
  private readonly stackKinds: number[] = [];
  private readonly stackStates: S[] = [];
  private state: S;
  /** Completed operations not linearized yet. */
  private remaining: number;
  private steps = 0;
  private best: PartialLinearization | undefined;
  private bestCompleted = -1;
  /** The list entry the walk is at (-1 past the end). */
  private entry: number;

  constructor(
    private readonly model: SequentialModel<S, I>,
    private readonly ops: readonly LinOperation<I>[],
    seed: number,
  ) {
    const n = ops.length;
    this.n = n;
    this.list = new EntryList(ops);
    const rnd = mulberry32(seed);
    this.z1 = new Uint32Array(n);
    this.z2 = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      this.z1[i] = rnd();
      this.z2[i] = rnd();
    }
    this.linearized = new Uint8Array(n);
    this.state = model.init();
    this.remaining = this.list.completed;
    this.entry = this.list.next[this.list.head]!;
  }

  run(maxSteps: number): SearchResult {
    const n = this.n;
    for (;;) {
      if (this.remaining === 0) return { ok: true, steps: this.steps, configurations: this.seen.size };
      if (++this.steps > maxSteps) {
        return { ok: 'unknown', reason: 'budget exhausted', steps: this.steps, configurations: this.seen.size, partial: this.best };
      }
      const entry = this.entry;
      if (entry === -1) {
        // Unreachable while a completed op is unlinearized (its return entry lies ahead); kept
        // as a backtrack so a surprise cannot turn into a false "ok".
        if (!this.backtrack()) break;
      } else if (entry < n) {
        this.visitCall(entry);
      } else if (entry >= 2 * n) {
        if (!this.visitDeadline(entry - 2 * n)) break;
      } else if (!this.visitReturn(entry - n)) {
        break;
      }
    }
    return this.failure();
  }

  /** Linearizes op `i` here if the model accepts it in a configuration not seen yet. */
  private visitCall(i: number): void {
    const { list, model } = this;
    const op = this.ops[i]!;
    if (op.after !== undefined && this.linearized[op.after] === 0) {
      this.entry = list.next[i]!;
      return;
    }
    if (!list.hasReturn(i) && model.isDead?.(this.state, op.input) === true) {
      this.push(i, DEAD);
      this.toggle(i);
      this.finished++;
      this.entry = list.next[i]!;
      list.remove(i);
      return;
    }
    const after = model.step(this.state, op.input);
    if (after !== undefined) {
      this.toggle(i);
      const key = `${this.h1}.${this.h2}.${this.finished + 1}|${model.key(after)}`;
      if (!this.seen.has(key)) {
        this.seen.add(key);
        this.push(i, LINEARIZED);
        this.finished++;
        this.linearized[i] = 1;
        this.state = after;
        list.remove(i);
        if (list.hasReturn(i)) this.remaining--;
        this.entry = list.next[list.head]!;
        return;
      }
      this.toggle(i);
    }
    this.entry = list.next[i]!;
  }

  /**
   * The deadline of unknown op `i` that has not taken effect: from here on it never does. Every
   * call before this entry was tried in this state, so that is the only way on. False when the
   * search is exhausted.
   */
  private visitDeadline(i: number): boolean {
    const list = this.list;
    this.toggle(i);
    const key = `${this.h1}.${this.h2}.${this.finished + 1}|${this.model.key(this.state)}`;
    if (!this.seen.has(key)) {
      this.seen.add(key);
      this.push(i, EXPIRED);
      this.finished++;
      this.entry = list.next[this.entry]!;
      list.remove(i);
      return true;
    }
    this.toggle(i);
    return this.backtrack();
  }

  /**
   * The return of op `blockedBy`, not yet linearized: every linearization of this prefix is
   * stuck. False when the search is exhausted.
   */
  private visitReturn(blockedBy: number): boolean {
    const completed = this.list.completed;
    const linearizedCompleted = completed - this.remaining;
    if (linearizedCompleted > this.bestCompleted) {
      this.bestCompleted = linearizedCompleted;
      this.best = {
        linearizedCompleted,
        completed,
        tail: this.lastLinearized(),
        blockedBy,
        state: this.model.describe(this.state),
      };
    }
    return this.backtrack();
  }

  private failure(): SearchResult {
    const best = this.best;
    const completed = this.list.completed;
    return {
      ok: false,
      reason: best === undefined ? 'no linearization' : `no linearization: ${best.linearizedCompleted} of ${completed} completed operations linearize before operation ${best.blockedBy} is stuck`,
      partial: best ?? { linearizedCompleted: 0, completed, tail: [], blockedBy: -1, state: this.model.describe(this.model.init()) },
      steps: this.steps,
      configurations: this.seen.size,
    };
  }

  private toggle(i: number): void {
    this.h1 = (this.h1 ^ this.z1[i]!) >>> 0;
    this.h2 = (this.h2 ^ this.z2[i]!) >>> 0;
  }

  private push(i: number, kind: number): void {
    this.stackOps.push(i);
    this.stackKinds.push(kind);
    this.stackStates.push(this.state);
  }

  private lastLinearized(): number[] {
    const { stackOps, stackKinds } = this;
    const tail: number[] = [];
    for (let k = stackOps.length - 1; k >= 0 && tail.length < TAIL; k--) if (stackKinds[k] === LINEARIZED) tail.unshift(stackOps[k]!);
    return tail;
  }

  /** Undoes drops (consequences, not choices) down to the last linearization, then that. */
  private backtrack(): boolean {
    for (;;) {
      const i = this.stackOps.pop();
      const kind = this.stackKinds.pop();
      const before = this.stackStates.pop();
      if (i === undefined || before === undefined) return false;
      this.list.restore(i);
      this.toggle(i);
      this.finished--;
      if (kind !== LINEARIZED) continue;
      this.state = before;
      this.linearized[i] = 0;
      if (this.list.hasReturn(i)) this.remaining++;
      this.entry = this.list.next[i]!;
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
