/**
 * The history the fault suite records, Jepsen style: every client operation is an `invoke`
 * event followed by one completion (`ok`, `fail`, or `info` when the outcome is unknown), plus
 * one validity record per grant saying for how long the worker itself trusted the hold.
 *
 * Times are milliseconds on one machine's monotonic clock (performance.timeOrigin +
 * performance.now()), so events from different processes compare directly.
 */

/** lock.proto `Mode`. */
export type LockMode = 'exclusive' | 'shared';

/** The operations the checkers understand. */
export type OpFunction = 'acquire' | 'release' | 'checkFence';

/** How an operation ended; `info` also covers an invoke that never completed. */
export type Outcome = 'ok' | 'fail' | 'info';

/** What an acquire asked for (lock.proto `LockRequest`, normalised: permits and capacity ≥ 1). */
export interface AcquireRequest {
  readonly mode: LockMode;
  readonly permits: number;
  readonly capacity: number;
}

/** An acquire's `ok` value: the grant and its fencing token. */
export interface GrantValue extends AcquireRequest {
  readonly token: number;
}

/** The value of a release invoke (and optionally its ok) and of a checkFence invoke. */
export interface TokenValue {
  readonly token: number;
}

/** lock.proto `CheckFenceResponse`. */
export interface FenceValue {
  readonly current: boolean;
  readonly latestToken: number;
}

/** Optional detail on a `fail` or `info` completion. */
export interface ErrorValue {
  readonly error: string;
}

/** Fields every event has. */
export interface EventCommon {
  /** The client (worker process or session) that issued the operation. */
  readonly process: string;
  readonly resource: string;
  /** Milliseconds on the machine's monotonic clock. */
  readonly time: number;
  /**
   * Pairs a completion with its invoke. Without it, a completion belongs to its process's
   * outstanding invoke (Jepsen's rule: one operation at a time per process).
   */
  readonly id?: string | number;
}

/** An acquire event. */
export type AcquireEvent = EventCommon &
  (
    | { readonly f: 'acquire'; readonly type: 'invoke'; readonly value?: AcquireRequest }
    | { readonly f: 'acquire'; readonly type: 'ok'; readonly value: GrantValue }
    | { readonly f: 'acquire'; readonly type: 'fail' | 'info'; readonly value?: ErrorValue }
  );

/** A release event. */
export type ReleaseEvent = EventCommon &
  (
    | { readonly f: 'release'; readonly type: 'invoke'; readonly value: TokenValue }
    | { readonly f: 'release'; readonly type: 'ok'; readonly value?: TokenValue }
    | { readonly f: 'release'; readonly type: 'fail' | 'info'; readonly value?: ErrorValue }
  );

/** A checkFence event. */
export type CheckFenceEvent = EventCommon &
  (
    | { readonly f: 'checkFence'; readonly type: 'invoke'; readonly value: TokenValue }
    | { readonly f: 'checkFence'; readonly type: 'ok'; readonly value: FenceValue }
    | { readonly f: 'checkFence'; readonly type: 'fail' | 'info'; readonly value?: ErrorValue }
  );

/** One recorded event. */
export type HistoryEvent = AcquireEvent | ReleaseEvent | CheckFenceEvent;

/** Why a validity window ended. */
export type ValidityEnd = 'signal' | 'release' | 'crash' | 'open';

/**
 * How long a worker trusted one grant: from the moment it received the grant to the moment its
 * lease signal fired, it invoked the release, or it crashed (`validUntil` = Infinity, or the end
 * of the history, when it held to the end or crashed at an unknown time).
 */
export interface Validity {
  readonly process: string;
  readonly resource: string;
  readonly token: number;
  readonly grantedAt: number;
  readonly validUntil: number;
  readonly end?: ValidityEnd;
  /** Taken from the matching grant when absent. */
  readonly mode?: LockMode;
  readonly permits?: number;
  readonly capacity?: number;
}

/** A recorded run. */
export interface History {
  readonly events: readonly HistoryEvent[];
  readonly validity: readonly Validity[];
}

interface OperationCommon {
  /** Position in invoke-time order; stable identity within one prepared history. */
  readonly id: number;
  readonly process: string;
  readonly resource: string;
  readonly outcome: Outcome;
  /** Invoke time. */
  readonly start: number;
  /** Completion time; Infinity when the invoke never completed. */
  readonly end: number;
  readonly invoke: HistoryEvent;
  readonly completion: HistoryEvent | undefined;
}

/** A paired acquire. `grant` is set exactly when the outcome is `ok`. */
export interface AcquireOperation extends OperationCommon {
  readonly f: 'acquire';
  readonly request: AcquireRequest | undefined;
  readonly grant: GrantValue | undefined;
}

/** A paired release of `token`. */
export interface ReleaseOperation extends OperationCommon {
  readonly f: 'release';
  readonly token: number;
}

/** A paired checkFence of `token`; `result` is set exactly when the outcome is `ok`. */
export interface CheckFenceOperation extends OperationCommon {
  readonly f: 'checkFence';
  readonly token: number;
  readonly result: FenceValue | undefined;
}

/** An invoke paired with its completion. */
export type Operation = AcquireOperation | ReleaseOperation | CheckFenceOperation;

/** A defect in the recording itself (not in the system under test). */
export interface HistoryProblem {
  readonly message: string;
  readonly time: number;
  readonly resource: string;
}

/**
 * A history paired into operations and indexed for the checkers. Build it with
 * {@link prepareHistory}; every checker accepts either form.
 */
export interface PreparedHistory {
  readonly history: History;
  /** Sorted by invoke time. */
  readonly operations: readonly Operation[];
  /** The operations of each resource, sorted by invoke time. */
  readonly byResource: ReadonlyMap<string, readonly Operation[]>;
  /** Acquires that returned a grant, sorted by invoke time. */
  readonly grants: readonly (AcquireOperation & { readonly grant: GrantValue })[];
  readonly problems: readonly HistoryProblem[];
  /** First and last event time (0 and 0 for an empty history). */
  readonly startTime: number;
  readonly endTime: number;
}

const prepared = new WeakMap<History, PreparedHistory>();

/** Whether `h` is already prepared. */
export function isPrepared(h: History | PreparedHistory): h is PreparedHistory {
  return 'operations' in h;
}

/**
 * Pairs invokes with completions and indexes the result. Cached per history object, so that
 * `checkAll` and the checkers it runs pair the history once.
 */
export function prepareHistory(h: History | PreparedHistory): PreparedHistory {
  if (isPrepared(h)) return h;
  const cached = prepared.get(h);
  if (cached !== undefined) return cached;
  const result = pair(h);
  prepared.set(h, result);
  return result;
}

interface Pending {
  readonly invoke: HistoryEvent;
}

function pair(history: History): PreparedHistory {
  // Stable on equal times, so an invoke and a completion stamped in the same millisecond keep
  // the order the recorder wrote them in.
  const events = history.events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.time - b.e.time || a.i - b.i)
    .map((x) => x.e);
  const pending = new Map<string, Pending>();
  const raw: { invoke: HistoryEvent; completion: HistoryEvent | undefined }[] = [];
  const problems: HistoryProblem[] = [];
  const keyOf = (e: HistoryEvent): string => (e.id === undefined ? `p\u0000${e.process}` : `i\u0000${String(e.id)}`);

  for (const e of events) {
    const key = keyOf(e);
    const open = pending.get(key);
    if (e.type === 'invoke') {
      if (open !== undefined) {
        // Jepsen's rule is one outstanding operation per process; keep the earlier one as
        // unknown rather than guess which invoke the next completion answers.
        problems.push({
          message: `${e.process} invoked ${e.f} while its ${open.invoke.f} (invoked at ${relativeTime(events[0]?.time ?? 0, open.invoke.time)}) had not completed; that one is treated as unknown (info)`,
          time: e.time,
          resource: e.resource,
        });
        raw.push({ invoke: open.invoke, completion: undefined });
      }
      pending.set(key, { invoke: e });
      continue;
    }
    if (open === undefined) {
      problems.push({ message: `${e.process}: ${e.f} ${e.type} without an invoke`, time: e.time, resource: e.resource });
      continue;
    }
    if (open.invoke.f !== e.f || open.invoke.resource !== e.resource) {
      problems.push({
        message: `${e.process}: ${e.f} ${e.type} on ${e.resource} answers an invoke of ${open.invoke.f} on ${open.invoke.resource}; both are treated as unknown`,
        time: e.time,
        resource: e.resource,
      });
      pending.delete(key);
      raw.push({ invoke: open.invoke, completion: undefined });
      continue;
    }
    pending.delete(key);
    raw.push({ invoke: open.invoke, completion: e });
  }
  for (const open of pending.values()) raw.push({ invoke: open.invoke, completion: undefined });

  raw.sort((a, b) => a.invoke.time - b.invoke.time);
  const operations: Operation[] = raw.map((r, id) => toOperation(id, r.invoke, r.completion, problems));
  const byResource = new Map<string, Operation[]>();
  for (const op of operations) {
    const list = byResource.get(op.resource);
    if (list === undefined) byResource.set(op.resource, [op]);
    else list.push(op);
  }
  const grants = operations.filter((op): op is AcquireOperation & { grant: GrantValue } => op.f === 'acquire' && op.grant !== undefined);
  const first = events[0];
  const last = events[events.length - 1];
  return {
    history,
    operations,
    byResource,
    grants,
    problems,
    startTime: first === undefined ? 0 : first.time,
    endTime: last === undefined ? 0 : last.time,
  };
}

function toOperation(id: number, invoke: HistoryEvent, completion: HistoryEvent | undefined, problems: HistoryProblem[]): Operation {
  const outcome: Outcome = completion === undefined ? 'info' : (completion.type as Outcome);
  const { process, resource } = invoke;
  const start = invoke.time;
  const end = completion === undefined ? Infinity : completion.time;
  switch (invoke.f) {
    case 'acquire': {
      let grant: GrantValue | undefined;
      if (completion !== undefined && completion.f === 'acquire' && completion.type === 'ok') grant = normaliseGrant(completion.value);
      const request = invoke.type === 'invoke' && invoke.value !== undefined ? normaliseRequest(invoke.value) : grant;
      return { id, process, resource, outcome, start, end, invoke, completion, f: 'acquire', request, grant };
    }
    case 'release':
      return { id, process, resource, outcome, start, end, invoke, completion, f: 'release', token: (invoke.value as TokenValue).token };
    case 'checkFence': {
      let result: FenceValue | undefined;
      if (completion !== undefined && completion.f === 'checkFence' && completion.type === 'ok') result = completion.value;
      if (completion?.type === 'ok' && result === undefined) {
        problems.push({ message: `${process}: checkFence ok without a value`, time: completion.time, resource });
      }
      return { id, process, resource, outcome, start, end, invoke, completion, f: 'checkFence', token: (invoke.value as TokenValue).token, result };
    }
  }
}

function normaliseRequest(r: AcquireRequest): AcquireRequest {
  // lock.proto: 0 means 1 for both fields.
  return { mode: r.mode, permits: Math.max(1, r.permits), capacity: Math.max(1, r.capacity) };
}

function normaliseGrant(g: GrantValue): GrantValue {
  return { ...normaliseRequest(g), token: g.token };
}

/**
 * A time as reports show it: milliseconds since the history's first event, so that monotonic
 * clock readings (performance.timeOrigin + performance.now()) stay readable.
 */
export function relativeTime(startTime: number, t: number): string {
  return Number.isFinite(t) ? `+${(t - startTime).toFixed(1)}` : '∞';
}

/** The operations of `resources` whose [start, end] overlaps [from, to], at most `limit`. */
export function historySlice(
  h: PreparedHistory,
  resources: readonly string[],
  from: number,
  to: number,
  limit: number,
): { readonly operations: readonly Operation[]; readonly omitted: number } {
  const hits: Operation[] = [];
  for (const r of new Set(resources)) {
    for (const op of h.byResource.get(r) ?? []) {
      if (op.start > to) break;
      if (displayEnd(op) >= from) hits.push(op);
    }
  }
  hits.sort((a, b) => a.start - b.start || a.id - b.id);
  if (hits.length <= limit) return { operations: hits, omitted: 0 };
  // Keep both edges of the window: the start shows how the conflict began, the end what it led to.
  const head = Math.ceil(limit / 2);
  return { operations: [...hits.slice(0, head), ...hits.slice(hits.length - (limit - head))], omitted: hits.length - limit };
}

/** When an operation stopped mattering to a reader of the report: its completion, if any. */
function displayEnd(op: Operation): number {
  return op.completion === undefined ? Infinity : op.completion.time;
}

/** Lease events that end validity windows, for {@link deriveValidity}. */
export interface DeriveValidityOptions {
  /** When a worker's lease signal fired for a hold. */
  readonly leaseLost?: readonly { readonly resource: string; readonly token: number; readonly time: number }[];
  /** When worker processes crashed (were killed). */
  readonly crashes?: readonly { readonly process: string; readonly time: number }[];
  /** Where open windows end; Infinity (the default) means "still held". */
  readonly endTime?: number;
}

/**
 * Builds validity records from the events when the runner did not record them itself: a
 * window runs from the grant's ok to the earliest of the holder's release invoke, its lease
 * signal, its process's crash, or `endTime`.
 */
export function deriveValidity(events: readonly HistoryEvent[], options: DeriveValidityOptions = {}): Validity[] {
  const h = prepareHistory({ events, validity: [] });
  const releases = new Map<string, number[]>();
  for (const op of h.operations) {
    if (op.f !== 'release') continue;
    const key = `${op.process}\u0000${op.resource}\u0000${op.token}`;
    const list = releases.get(key);
    if (list === undefined) releases.set(key, [op.start]);
    else list.push(op.start);
  }
  const lost = new Map<string, number>();
  for (const l of options.leaseLost ?? []) {
    const key = `${l.resource}\u0000${l.token}`;
    lost.set(key, Math.min(lost.get(key) ?? Infinity, l.time));
  }
  const crashes = new Map<string, number[]>();
  for (const c of options.crashes ?? []) {
    const list = crashes.get(c.process);
    if (list === undefined) crashes.set(c.process, [c.time]);
    else list.push(c.time);
  }
  const endTime = options.endTime ?? Infinity;
  return h.grants.map((g) => {
    const grantedAt = g.end;
    let validUntil = endTime;
    let end: ValidityEnd = 'open';
    const consider = (t: number | undefined, why: ValidityEnd): void => {
      if (t !== undefined && t >= grantedAt && t < validUntil) {
        validUntil = t;
        end = why;
      }
    };
    for (const t of releases.get(`${g.process}\u0000${g.resource}\u0000${g.grant.token}`) ?? []) consider(t, 'release');
    consider(lost.get(`${g.resource}\u0000${g.grant.token}`), 'signal');
    for (const t of crashes.get(g.process) ?? []) consider(t, 'crash');
    return {
      process: g.process,
      resource: g.resource,
      token: g.grant.token,
      grantedAt,
      validUntil,
      end,
      mode: g.grant.mode,
      permits: g.grant.permits,
      capacity: g.grant.capacity,
    };
  });
}
