/**
 * One resource's recorded lock history as a problem for the linearizability search: the
 * operations as model inputs with their real-time bounds, grants of unknown outcome, and the
 * synthetic expiries of holds never released. Pure.
 */
import { type AcquireOperation, type GrantValue, type Operation, type PreparedHistory, relativeTime, type Validity } from './history';
import type { LockInput } from './lock-models';
import type { LinOperation } from './wgl-search';

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

/** Options of {@link lockProblem}. */
export interface LockProblemOptions {
  /**
   * When the coordinator may end a hold that was never released (session expiry):
   * - `afterValidity` (default): only after the holder's validity window ended (its lease
   *   signal fired, it invoked a release that was not acknowledged, or it crashed), which is
   *   the design's promise; a hold still valid at the end of the history never expires.
   *   Grants without a validity record fall back to `anytime`.
   * - `anytime`: at any moment after its acquire was invoked.
   */
  readonly leaseExpiry?: 'afterValidity' | 'anytime';
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
export function lockProblem(h: PreparedHistory, resource: string, options: LockProblemOptions = {}): LockProblem {
  const recorded = h.byResource.get(resource) ?? [];
  const facts = tokenFacts(recorded);
  const expiryFrom = expiryStart(h, resource, options);
  const problem: ProblemBuilder = { operations: [], sources: [] };
  for (const op of recorded) {
    switch (op.f) {
      case 'acquire':
        if (op.outcome === 'fail') break;
        if (op.grant !== undefined) addGrant(problem, op, op.grant, facts, expiryFrom);
        else if (op.outcome === 'info') addUnknownAcquire(problem, op, facts);
        break;
      case 'release':
        if (op.outcome === 'fail') break;
        push(problem, { kind: 'release', token: op.token }, op.start, op.outcome === 'ok' ? op.end : Infinity, { kind: 'recorded', operation: op });
        break;
      case 'checkFence':
        if (op.result === undefined) break;
        push(problem, { kind: 'checkFence', token: op.token, current: op.result.current, latestToken: op.result.latestToken }, op.start, op.end, {
          kind: 'recorded',
          operation: op,
        });
        break;
    }
  }
  return { resource, operations: chainAcquires(problem.operations), sources: problem.sources };
}

/** What a resource's recorded operations say about its tokens. */
interface TokenFacts {
  /** Tokens released with an acknowledgement. */
  readonly released: ReadonlySet<number>;
  /**
   * Tokens some checkFence reported that no recorded grant has, with when the first such report
   * returned. An unknown grant can only explain a token nobody saw granted (see
   * LockState.credits), so it is needed only for these.
   */
  readonly unexplained: ReadonlyMap<number, number>;
  /** The unexplained tokens someone saw as current. */
  readonly heldUnexplained: ReadonlySet<number>;
  /** The last moment anyone saw each token as current. */
  readonly seenCurrent: ReadonlyMap<number, number>;
}

function tokenFacts(recorded: readonly Operation[]): TokenFacts {
  const knownTokens = new Set<number>();
  const released = new Set<number>();
  for (const op of recorded) {
    if (op.f === 'acquire' && op.grant !== undefined) knownTokens.add(op.grant.token);
    if (op.f === 'release' && op.outcome === 'ok') released.add(op.token);
  }
  const unexplained = new Map<number, number>();
  const heldUnexplained = new Set<number>();
  const note = (token: number, at: number): void => {
    if (token === 0 || knownTokens.has(token)) return;
    unexplained.set(token, Math.min(unexplained.get(token) ?? Infinity, at));
  };
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
  return { released, unexplained, heldUnexplained, seenCurrent };
}

/** When the coordinator may first end grant `g`'s hold without a release (see `leaseExpiry`). */
function expiryStart(h: PreparedHistory, resource: string, options: LockProblemOptions): (g: AcquireOperation) => number {
  const validity = new Map<string, Validity[]>();
  for (const v of h.history.validity) {
    if (v.resource !== resource) continue;
    const key = String(v.token);
    const list = validity.get(key);
    if (list === undefined) validity.set(key, [v]);
    else list.push(v);
  }
  return (g) => {
    if (options.leaseExpiry === 'anytime' || g.grant === undefined) return g.start;
    const candidates = validity.get(String(g.grant.token));
    const v = candidates?.find((c) => c.process === g.process) ?? candidates?.[0];
    return v === undefined ? g.start : v.validUntil;
  };
}

interface ProblemBuilder {
  readonly operations: LinOperation<LockInput>[];
  readonly sources: LockOperationSource[];
}

function push(problem: ProblemBuilder, input: LockInput, call: number, ret: number, source: LockOperationSource): void {
  problem.operations.push({ input, call, ret });
  problem.sources.push(source);
}

/** A recorded grant, and the expiry of its hold unless an acknowledged release ended it. */
function addGrant(problem: ProblemBuilder, op: AcquireOperation, g: GrantValue, facts: TokenFacts, expiryFrom: (g: AcquireOperation) => number): void {
  push(problem, { kind: 'acquire', ref: op.id, token: g.token, mode: g.mode, permits: g.permits, capacity: g.capacity }, op.start, op.end, {
    kind: 'recorded',
    operation: op,
  });
  if (facts.released.has(g.token)) return;
  const from = expiryFrom(op);
  // Ending a hold sooner only frees capacity, so unless someone later still saw it
  // as current, an expiry at the earliest allowed moment fits whenever a later one
  // does: pin it there (an instant) rather than let the search try every moment.
  const earliest = from >= op.end && (facts.seenCurrent.get(g.token) ?? -Infinity) <= from;
  if (Number.isFinite(from)) push(problem, { kind: 'expire', ref: op.id, token: g.token }, from, earliest ? from : Infinity, { kind: 'expire', operation: op });
}

/**
 * An acquire of unknown outcome that nobody saw granted. It matters only if it may explain a
 * token some later report saw unexplained: as a credit, or as a real optional grant when that
 * token was seen held.
 */
function addUnknownAcquire(problem: ProblemBuilder, op: AcquireOperation, facts: TokenFacts): void {
  let deadline = -Infinity;
  let observedHeld = false;
  for (const [token, at] of facts.unexplained) {
    if (at <= op.start) continue;
    deadline = Math.max(deadline, at);
    observedHeld ||= facts.heldUnexplained.has(token);
  }
  if (deadline === -Infinity) return;
  const r = op.request ?? { mode: 'shared', permits: 1, capacity: 1 };
  const source: LockOperationSource = { kind: 'recorded', operation: op };
  if (observedHeld) {
    // Someone saw a hold nobody was seen to get as current: a credit cannot say that
    // (its hold ends at once), so this acquire becomes a real, optional grant whose
    // unseen token the report pins, ending by an expiry nothing bounds. It can only
    // matter before the last report it could explain. Exact, but each such acquire
    // can double the search, which is why the credits exist.
    const { operations, sources } = problem;
    const index = operations.length;
    operations.push({ input: { kind: 'acquire', ref: op.id, token: undefined, mode: r.mode, permits: r.permits, capacity: r.capacity }, call: op.start, ret: Infinity, deadline });
    sources.push(source);
    operations.push({ input: { kind: 'expire', ref: op.id, token: undefined }, call: op.start, ret: Infinity, after: index });
    sources.push({ kind: 'expire', operation: op });
  } else {
    push(problem, { kind: 'unknownAcquire', mode: r.mode, permits: r.permits, capacity: r.capacity }, op.start, op.start, source);
  }
}

/**
 * Tokens only grow, so acquires that returned linearize in token order: chaining them spares
 * the search every order of concurrent grants that the tokens already rule out.
 */
function chainAcquires(operations: readonly LinOperation<LockInput>[]): LinOperation<LockInput>[] {
  const chain = operations
    .map((op, i) => ({ op, i }))
    .filter(({ op }) => op.input.kind === 'acquire' && op.input.token !== undefined && Number.isFinite(op.ret))
    .sort((a, b) => tokenOf(a.op.input) - tokenOf(b.op.input));
  const chained = operations.slice();
  for (let k = 1; k < chain.length; k++) chained[chain[k]!.i] = { ...chain[k]!.op, after: chain[k - 1]!.i };
  return chained;
}

function tokenOf(input: LockInput): number {
  return input.kind === 'acquire' && input.token !== undefined ? input.token : 0;
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
