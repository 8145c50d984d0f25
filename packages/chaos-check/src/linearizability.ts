/**
 * Linearizability of a recorded lock history: each resource's operations (lock-problem.ts)
 * searched against a fenced lock model (lock-models.ts) by the Wing & Gong engine with Lowe's
 * memoization (wgl-search.ts).
 */
import { type History, type Operation, type PreparedHistory, prepareHistory } from './history';
import { FencedMutexModel, type LockInput, type LockModelOptions, type LockState, SemaphoreModel } from './lock-models';
import { describeLockOperation, lockProblem, type LockProblemOptions } from './lock-problem';
import { type CheckResult, type ReportLimits, ViolationSink } from './violation';
import { checkOperations, type SearchOptions, type SearchResult, type SequentialModel } from './wgl-search';

/** Options of {@link checkLinearizability}. */
export interface LinearizabilityOptions extends SearchOptions, LockModelOptions, LockProblemOptions, ReportLimits {
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
