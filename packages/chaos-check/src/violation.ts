import { historySlice, type Operation, type PreparedHistory, type Validity } from './history';

/** What went wrong. */
export type ViolationKind =
  /** Two validity windows overlapped where one of them was exclusive. */
  | 'exclusiveOverlap'
  /** Overlapping shared windows took more permits than the capacity. */
  | 'capacityExceeded'
  /** One fencing token granted twice. */
  | 'duplicateToken'
  /** A grant that started after another had returned got a lower token. */
  | 'tokenOrder'
  /** After a release was acknowledged, its hold was still reported current (or granted again). */
  | 'releaseNotHonoured'
  /** A release was acknowledged for a token nobody was granted on that resource. */
  | 'releaseOfUnknownHold'
  /** No order of the operations fits the sequential lock model. */
  | 'notLinearizable'
  /** The recording itself is inconsistent (unpaired or mismatched events). */
  | 'malformedHistory'
  /** The cluster's log shows a grant to a client that asked for nothing that could receive it. */
  | 'unrequestedGrant'
  /** A client recorded a grant that no coordinator's log shows. */
  | 'grantNotDecided'
  /** The cluster's log shows a grant to a session after the entry that ended it. */
  | 'grantToEndedSession'
  /** A resource went longer than the liveness bound without a grant after someone asked for it. */
  | 'resourceStuck';

/** The checkers, by name. */
export type CheckerName = 'history' | 'capacity' | 'tokens' | 'releases' | 'linearizability' | 'clusterGrants' | 'liveness';

/** One violation, with the part of the history that shows it. */
export interface Violation {
  readonly kind: ViolationKind;
  readonly checker: CheckerName;
  readonly message: string;
  readonly resources: readonly string[];
  /** The time window the violation concerns. */
  readonly from: number;
  readonly to: number;
  /** Operations on `resources` overlapping [from, to] (the edges, when there are too many). */
  readonly context: readonly Operation[];
  /** How many overlapping operations `context` leaves out. */
  readonly contextOmitted: number;
  /** The validity windows involved, for the window checkers. */
  readonly windows: readonly Validity[];
}

/** The result of one checker. */
export interface CheckResult {
  readonly ok: boolean;
  /** The first violations found (at most the checker's `maxViolations`), in time order. */
  readonly violations: readonly Violation[];
  /** All violations found, including those not detailed in `violations`. */
  readonly violationCount: number;
  /** All violations found, by kind. */
  readonly violationsByKind: Readonly<Partial<Record<ViolationKind, number>>>;
}

/** Limits shared by the checkers. */
export interface ReportLimits {
  /** Violations detailed per checker; the rest are only counted. Default 50. */
  readonly maxViolations?: number;
  /** Operations of history shown around each violation. Default 30. */
  readonly contextLimit?: number;
}

/** Collects violations up to a cap, attaching the history around each. */
export class ViolationSink {
  private readonly list: Violation[] = [];
  private count = 0;
  private readonly byKind: Partial<Record<ViolationKind, number>> = {};
  private readonly max: number;
  private readonly contextLimit: number;

  constructor(
    private readonly h: PreparedHistory,
    private readonly checker: CheckerName,
    limits: ReportLimits = {},
  ) {
    this.max = limits.maxViolations ?? 50;
    this.contextLimit = limits.contextLimit ?? 30;
  }

  add(v: {
    kind: ViolationKind;
    message: string;
    resources: readonly string[];
    from: number;
    to: number;
    windows?: readonly Validity[];
    /** Widens the history shown beyond [from, to], e.g. back to the grants involved. */
    contextFrom?: number;
    contextTo?: number;
  }): void {
    this.count++;
    this.byKind[v.kind] = (this.byKind[v.kind] ?? 0) + 1;
    // Building the context is the expensive part; skip it once the cap is reached.
    if (this.list.length >= this.max) return;
    const slice = historySlice(this.h, v.resources, Math.min(v.from, v.contextFrom ?? Infinity), Math.max(v.to, v.contextTo ?? -Infinity), this.contextLimit);
    this.list.push({
      kind: v.kind,
      checker: this.checker,
      message: v.message,
      resources: v.resources,
      from: v.from,
      to: v.to,
      context: slice.operations,
      contextOmitted: slice.omitted,
      windows: v.windows ?? [],
    });
  }

  result(): CheckResult {
    const violations = [...this.list].sort((a, b) => a.from - b.from);
    return { ok: this.count === 0, violations, violationCount: this.count, violationsByKind: { ...this.byKind } };
  }
}
