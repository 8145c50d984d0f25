import { checkCapacity, checkHistoryWellFormed, checkReleases, checkTokens, type TokenCheckOptions } from './checkers';
import { checkClusterGrants, type ClusterGrant, type ClusterSessionEnd } from './cluster-grants';
import { checkLiveness, type LivenessOptions } from './liveness';
import {
  type History,
  type OpFunction,
  type Operation,
  type Outcome,
  type PreparedHistory,
  prepareHistory,
  relativeTime,
  type Validity,
} from './history';
import { checkLinearizability, type LinearizabilityOptions, type LinearizabilityResult } from './linearizability';
import type { CheckResult, ReportLimits, Violation, ViolationKind } from './violation';

/** Options of {@link checkAll}. */
export interface CheckAllOptions extends ReportLimits {
  readonly tokens?: Omit<TokenCheckOptions, keyof ReportLimits>;
  /** `false` skips the linearizability search (the other checkers still run). */
  readonly linearizability?: Omit<LinearizabilityOptions, keyof ReportLimits> | false;
  /** The cluster's own record of its grants; when given, the histories are cross-checked against it. */
  readonly clusterGrants?: {
    readonly grants: readonly ClusterGrant[];
    readonly unrecordedClients?: readonly string[];
    readonly sessionEnds?: readonly ClusterSessionEnd[];
  };
  /** Per-resource liveness (a grant within the bound after each request); skipped without it. */
  readonly liveness?: Omit<LivenessOptions, keyof ReportLimits>;
}

/** Per-resource figures for the report. */
export interface ResourceSummary {
  readonly resource: string;
  /** The largest capacity any acquire asked for (1: a mutex). */
  readonly capacity: number;
  readonly operations: number;
  readonly grants: number;
  readonly exclusiveGrants: number;
  readonly sharedGrants: number;
  /** Lowest and highest token granted (undefined without grants). */
  readonly firstToken: number | undefined;
  readonly lastToken: number | undefined;
  readonly linearizability: 'ok' | 'violation' | 'unknown' | 'skipped';
  readonly model: string | undefined;
  readonly searchSteps: number;
}

/** Totals for the report and the run's last JSON line. */
export interface CheckAllCounts {
  readonly events: number;
  readonly operations: number;
  readonly byFunction: Readonly<Record<OpFunction, Readonly<Record<Outcome, number>>>>;
  readonly grants: number;
  readonly resources: number;
  readonly validityWindows: number;
  readonly grantsWithoutValidity: number;
  /** Every violation found, including those not detailed. */
  readonly violations: number;
  readonly violationsByKind: Readonly<Partial<Record<ViolationKind, number>>>;
  readonly resourcesLinearizabilityUnknown: number;
  readonly linearizabilitySteps: number;
}

/** The result of {@link checkAll}. */
export interface CheckAllResult {
  /**
   * false on any violation (a malformed recording counts: the verdict cannot be trusted);
   * 'unknown' when none was found but some search ran out of budget.
   */
  readonly ok: boolean | 'unknown';
  readonly counts: CheckAllCounts;
  readonly resources: readonly ResourceSummary[];
  readonly checkers: {
    readonly history: CheckResult;
    readonly capacity: CheckResult;
    readonly tokens: CheckResult;
    readonly releases: CheckResult;
    readonly linearizability: LinearizabilityResult | undefined;
    readonly clusterGrants: CheckResult | undefined;
    readonly liveness: CheckResult | undefined;
  };
  /** The detailed violations of every checker, in time order. */
  readonly violations: readonly Violation[];
  /** Things that weaken the verdict without being violations. */
  readonly warnings: readonly string[];
  readonly startTime: number;
  readonly endTime: number;
}

/** Runs every checker over one history. */
export function checkAll(history: History | PreparedHistory, options: CheckAllOptions = {}): CheckAllResult {
  const h = prepareHistory(history);
  const checkers = runCheckers(h, options);
  const { history: historyCheck, capacity, tokens, releases, linearizability, clusterGrants, liveness } = checkers;
  const merged = mergeViolations([
    historyCheck,
    capacity,
    tokens,
    releases,
    ...(linearizability === undefined ? [] : [linearizability]),
    ...(clusterGrants === undefined ? [] : [clusterGrants]),
    ...(liveness === undefined ? [] : [liveness]),
  ]);
  const withoutValidity = grantsWithoutValidity(h);
  const unknown = linearizability?.resources.filter((r) => r.ok === 'unknown') ?? [];
  const linByResource = new Map((linearizability?.resources ?? []).map((r) => [r.resource, r]));
  const resources: ResourceSummary[] = [...h.byResource]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([resource, ops]) => summarise(resource, ops, linByResource.get(resource)));

  const ok: boolean | 'unknown' = merged.violationCount > 0 ? false : unknown.length > 0 ? 'unknown' : true;
  return {
    ok,
    counts: {
      events: h.history.events.length,
      operations: h.operations.length,
      byFunction: countByFunction(h.operations),
      grants: h.grants.length,
      resources: h.byResource.size,
      validityWindows: h.history.validity.length,
      grantsWithoutValidity: withoutValidity.length,
      violations: merged.violationCount,
      violationsByKind: merged.violationsByKind,
      resourcesLinearizabilityUnknown: unknown.length,
      linearizabilitySteps: linearizability?.steps ?? 0,
    },
    resources,
    checkers,
    violations: merged.violations,
    warnings: collectWarnings(withoutValidity, unknown, linearizability),
    startTime: h.startTime,
    endTime: h.endTime,
  };
}

/** Each checker over the prepared history; the optional ones undefined when not asked for. */
function runCheckers(h: PreparedHistory, options: CheckAllOptions): CheckAllResult['checkers'] {
  const limits: ReportLimits = {
    ...(options.maxViolations === undefined ? {} : { maxViolations: options.maxViolations }),
    ...(options.contextLimit === undefined ? {} : { contextLimit: options.contextLimit }),
  };
  const historyCheck = checkHistoryWellFormed(h, limits);
  const capacity = checkCapacity(h, limits);
  const tokens = checkTokens(h, { ...options.tokens, ...limits });
  const releases = checkReleases(h, limits);
  const linearizability = options.linearizability === false ? undefined : checkLinearizability(h, { ...options.linearizability, ...limits });
  const cg = options.clusterGrants;
  const clusterGrants =
    cg === undefined
      ? undefined
      : checkClusterGrants(h, cg.grants, {
          ...limits,
          ...(cg.unrecordedClients === undefined ? {} : { unrecordedClients: cg.unrecordedClients }),
          ...(cg.sessionEnds === undefined ? {} : { sessionEnds: cg.sessionEnds }),
        });
  const liveness = options.liveness === undefined ? undefined : checkLiveness(h, { ...options.liveness, ...limits });
  return { history: historyCheck, capacity, tokens, releases, linearizability, clusterGrants, liveness };
}

/** Every checker's violations in time order, with the totals (including those not detailed). */
function mergeViolations(all: readonly CheckResult[]): {
  violations: Violation[];
  violationCount: number;
  violationsByKind: Partial<Record<ViolationKind, number>>;
} {
  const violationsByKind: Partial<Record<ViolationKind, number>> = {};
  const violations: Violation[] = [];
  let violationCount = 0;
  for (const r of all) {
    violationCount += r.violationCount;
    violations.push(...r.violations);
    for (const [kind, n] of Object.entries(r.violationsByKind) as [ViolationKind, number][]) {
      violationsByKind[kind] = (violationsByKind[kind] ?? 0) + n;
    }
  }
  violations.sort((a, b) => a.from - b.from);
  return { violations, violationCount, violationsByKind };
}

function countByFunction(operations: readonly Operation[]): Record<OpFunction, Record<Outcome, number>> {
  const byFunction: Record<OpFunction, Record<Outcome, number>> = {
    acquire: { ok: 0, fail: 0, info: 0 },
    release: { ok: 0, fail: 0, info: 0 },
    checkFence: { ok: 0, fail: 0, info: 0 },
  };
  for (const op of operations) byFunction[op.f][op.outcome]++;
  return byFunction;
}

function grantsWithoutValidity(h: PreparedHistory): PreparedHistory['grants'] {
  const validityKeys = new Set(h.history.validity.map((v) => `${v.resource}\u0000${v.token}`));
  return h.grants.filter((g) => !validityKeys.has(`${g.resource}\u0000${g.grant.token}`));
}

/** What weakens the verdict without being a violation. */
function collectWarnings(
  withoutValidity: PreparedHistory['grants'],
  unknown: LinearizabilityResult['resources'],
  linearizability: LinearizabilityResult | undefined,
): string[] {
  const warnings: string[] = [];
  if (withoutValidity.length > 0) {
    warnings.push(
      `${withoutValidity.length} grants have no validity record (e.g. ${withoutValidity[0]!.process} on ${withoutValidity[0]!.resource} token ${withoutValidity[0]!.grant.token}): ` +
        'the window checker cannot see them and the linearizability check lets them expire at any time',
    );
  }
  if (unknown.length > 0) {
    warnings.push(`linearizability undecided (search budget exhausted) on ${unknown.map((r) => `${r.resource} after ${r.steps} steps`).join(', ')}`);
  }
  if (linearizability === undefined) warnings.push('linearizability not checked');
  return warnings;
}

function summarise(resource: string, ops: readonly Operation[], lin: LinearizabilityResult['resources'][number] | undefined): ResourceSummary {
  let capacity = 1;
  let grants = 0;
  let exclusive = 0;
  let firstToken: number | undefined;
  let lastToken: number | undefined;
  for (const op of ops) {
    if (op.f !== 'acquire') continue;
    capacity = Math.max(capacity, op.request?.capacity ?? 1, op.grant?.capacity ?? 1);
    if (op.grant === undefined) continue;
    grants++;
    if (op.grant.mode === 'exclusive') exclusive++;
    firstToken = firstToken === undefined ? op.grant.token : Math.min(firstToken, op.grant.token);
    lastToken = lastToken === undefined ? op.grant.token : Math.max(lastToken, op.grant.token);
  }
  return {
    resource,
    capacity,
    operations: ops.length,
    grants,
    exclusiveGrants: exclusive,
    sharedGrants: grants - exclusive,
    firstToken,
    lastToken,
    linearizability: lin === undefined ? 'skipped' : lin.ok === true ? 'ok' : lin.ok === false ? 'violation' : 'unknown',
    model: lin?.model,
    searchSteps: lin?.steps ?? 0,
  };
}

// ---------------------------------------------------------------------------------------------
// The text report

/** Options of {@link formatReport}. */
export interface FormatOptions {
  /** Violations printed in full; the rest are listed by kind only. Default 20. */
  readonly maxViolations?: number;
}

/**
 * A readable report: operation counts, grants per resource, the checkers' verdicts, and each
 * violation with the history around it. Times are milliseconds since the first event.
 */
export function formatReport(result: CheckAllResult, options: FormatOptions = {}): string {
  const t0 = result.startTime;
  const at = (t: number): string => relativeTime(t0, t);
  const lines: string[] = [];
  const c = result.counts;
  const verdict = result.ok === true ? 'OK' : result.ok === false ? 'VIOLATIONS FOUND' : 'UNDECIDED (no violation found, but a search ran out of budget)';
  lines.push(`chaos-check: ${verdict}`);
  lines.push(`history: ${c.events} events, ${c.operations} operations over ${((result.endTime - t0) / 1000).toFixed(1)} s, ${c.resources} resources`);
  for (const f of ['acquire', 'release', 'checkFence'] as const) {
    const o = c.byFunction[f];
    lines.push(`  ${f.padEnd(10)} ok ${o.ok}, fail ${o.fail}, unknown ${o.info}`);
  }
  lines.push('times: ms since the first event');
  lines.push(`grants: ${c.grants}; validity windows: ${c.validityWindows}${c.grantsWithoutValidity > 0 ? ` (${c.grantsWithoutValidity} grants without one)` : ''}`);
  lines.push('');

  const header = ['resource', 'capacity', 'ops', 'grants', 'excl/shared', 'tokens', 'linearizable', 'model', 'steps'];
  const rows = result.resources.map((r) => [
    r.resource,
    String(r.capacity),
    String(r.operations),
    String(r.grants),
    `${r.exclusiveGrants}/${r.sharedGrants}`,
    r.firstToken === undefined ? '-' : `${r.firstToken}..${r.lastToken}`,
    r.linearizability,
    r.model ?? '-',
    String(r.searchSteps),
  ]);
  lines.push('grants per resource:');
  lines.push(...table([header, ...rows]).map((l) => `  ${l}`));
  lines.push('');

  lines.push('checkers:');
  const checker = (name: string, r: CheckResult | undefined, extra = ''): void => {
    if (r === undefined) lines.push(`  ${name.padEnd(34)} skipped`);
    else lines.push(`  ${name.padEnd(34)} ${r.ok ? 'ok' : `${r.violationCount} violations`}${extra}`);
  };
  checker('history well-formed', result.checkers.history);
  checker('exclusive overlap / capacity', result.checkers.capacity);
  checker('tokens unique and increasing', result.checkers.tokens);
  checker('acknowledged releases honoured', result.checkers.releases);
  const lin = result.checkers.linearizability;
  checker(
    'linearizability (WGL)',
    lin,
    lin === undefined ? '' : `${lin.linearizable === 'unknown' ? ', UNDECIDED on some resources' : ''} (${lin.steps} search steps)`,
  );
  checker("grants match the cluster's log", result.checkers.clusterGrants);
  checker('every resource granted again in time', result.checkers.liveness);
  for (const w of result.warnings) lines.push(`  warning: ${w}`);

  const max = options.maxViolations ?? 20;
  if (c.violations > 0) {
    lines.push('');
    const kinds = Object.entries(c.violationsByKind).map(([k, n]) => `${k} ${n}`).join(', ');
    lines.push(`violations: ${c.violations} (${kinds})`);
    result.violations.slice(0, max).forEach((v, i) => {
      lines.push('');
      lines.push(`#${i + 1} [${v.kind}] ${v.resources.join(', ')} ${at(v.from)} .. ${at(v.to)}`);
      lines.push(`  ${v.message}`);
      for (const w of v.windows) lines.push(`  window: ${formatWindow(w, at)}`);
      if (v.context.length > 0) lines.push('  history:');
      const head = v.contextOmitted > 0 ? Math.ceil(v.context.length / 2) : v.context.length;
      v.context.forEach((op, j) => {
        if (j === head) lines.push(`    … ${v.contextOmitted} more operations …`);
        lines.push(`    ${formatOperation(op, at)}`);
      });
    });
    const shown = Math.min(max, result.violations.length);
    if (c.violations > shown) lines.push('', `(${c.violations - shown} more violations not shown)`);
  }
  return lines.join('\n');
}

function formatWindow(w: Validity, at: (t: number) => string): string {
  return `${w.process} token ${w.token} valid ${at(w.grantedAt)} .. ${at(w.validUntil)}${w.end === undefined ? '' : ` (${w.end})`}`;
}

/** One operation as a report line: invoke and completion times, process, call and outcome. */
export function formatOperation(op: Operation, at: (t: number) => string = (t) => String(t)): string {
  const when = `${at(op.start).padStart(10)} → ${(op.completion === undefined ? '…' : at(op.completion.time)).padStart(10)}`;
  let call: string;
  let result: string;
  switch (op.f) {
    case 'acquire': {
      const r = op.request;
      call = `acquire${r === undefined ? '' : ` ${r.mode}${r.capacity > 1 ? ` ${r.permits}/${r.capacity}` : ''}`}`;
      result = op.grant === undefined ? '' : ` token ${op.grant.token}`;
      break;
    }
    case 'release':
      call = `release ${op.token}`;
      result = '';
      break;
    case 'checkFence':
      call = `checkFence ${op.token}`;
      result = op.result === undefined ? '' : ` current=${op.result.current} latest=${op.result.latestToken}`;
      break;
  }
  const outcome = op.completion === undefined ? 'no reply' : op.outcome === 'info' ? 'unknown' : op.outcome;
  const error = op.completion !== undefined && op.completion.type !== 'ok' && op.completion.value !== undefined && 'error' in op.completion.value ? ` (${op.completion.value.error})` : '';
  return `${when}  ${op.process.padEnd(10)} ${call} → ${outcome}${result}${error}`;
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd());
}
