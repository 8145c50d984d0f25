/**
 * Judging a finished chaos run: the history checkers of @quorumlock/chaos-check, then the runner's
 * own checks (judge.ts), into the printed report and the one-line JSON summary.
 */
import { checkAll, type CheckAllResult, formatReport, type History, type HistoryEvent } from '@quorumlock/chaos-check';
import type { ClusterLog } from './cluster-log';
import {
  checkCrashedHolds,
  checkExpiries,
  checkFaults,
  checkHoldsAmidElections,
  checkInputs,
  checkLeaseLosses,
  checkRecovery,
  checkStore,
  checkWorkerExits,
  type StrictOptions,
  type Violation,
  type WorkerExit,
} from './judge';
import { FREE_GIVE_UP_TTLS, type FaultKind, type FaultRecord, type SkippedFault } from './nemesis';
import type { StoreWrite } from './protected-store';
import { closeOpenHolds, type WorkerRecords } from './run-history';
import { ELECTION_MAX_MS, FREE_SLACK_MS, LIVENESS_BOUND_MS, PROBE_CLIENT, RESUME_BOUND_MS, SKEW_MS, TTL_MS } from './run-settings';
import type { WorkerProc } from './worker-pool';

/** What a finished run recorded. */
export interface RunRecord {
  readonly records: WorkerRecords;
  readonly clusterLog: ClusterLog;
  readonly procs: readonly WorkerProc[];
  readonly faults: readonly FaultRecord[];
  readonly skipped: readonly SkippedFault[];
  readonly storeWrites: readonly StoreWrite[];
  /** When each of the probe's acquire+release round trips succeeded. */
  readonly probeOk: readonly number[];
  readonly strict: StrictOptions | undefined;
}

export interface Analysis {
  readonly report: string;
  readonly violations: number;
  readonly summary: Record<string, unknown>;
}

/** Everything the report and the summary are made of. */
interface Judged {
  readonly checked: CheckAllResult;
  readonly extra: readonly Violation[];
  readonly faults: readonly FaultRecord[];
  readonly skipped: readonly SkippedFault[];
  readonly injectedByKind: ReadonlyMap<FaultKind, number>;
  readonly inputs: Readonly<Record<string, number>>;
  readonly fenceChecks: number;
  readonly store: { readonly accepted: number; readonly refused: number };
  readonly expiries: number;
  readonly leaseSignals: { readonly beforeRelease: number; readonly byReason: ReadonlyMap<string, number> };
  readonly crashed: { readonly crashedHolds: number; readonly worstFreeMs: number };
  readonly amidElections: { readonly kills: number; readonly worstMs: number | undefined };
  readonly recovery: { readonly worstMs: number; readonly lines: readonly string[] };
}

export function analyse(run: RunRecord, say: (s: string) => void): Analysis {
  const { records, clusterLog, procs, faults, skipped, strict } = run;
  const killedAt = new Map(procs.filter((p) => p.killedAt > 0).map((p) => [p.id, p.killedAt]));
  closeOpenHolds(records, killedAt);
  const { events, validity, expiries, leaseLosses } = records;
  const history: History = { events, validity };
  const checked = checkAll(history, {
    clusterGrants: { grants: clusterLog.grants, sessionEnds: clusterLog.sessionEnds, unrecordedClients: [PROBE_CLIENT] },
    liveness: { boundMs: LIVENESS_BOUND_MS },
  });
  const extra: Violation[] = [];

  const grants = events.filter((e): e is Extract<HistoryEvent, { f: 'acquire'; type: 'ok' }> => e.f === 'acquire' && e.type === 'ok');
  const storeCheck = checkStore(run.storeWrites, grants.map((g) => ({ process: g.process, resource: g.resource, time: g.time, token: g.value.token, mode: g.value.mode })));
  extra.push(...storeCheck.violations);
  // Expiries: a session may expire only while something kept its client from a live majority
  // (a client that stays connected to a majority keeps its session through any failover).
  extra.push(...checkExpiries(expiries, faults, TTL_MS + ELECTION_MAX_MS + 1000));

  // Lease signals. The nemesis never revokes, so a hold the server ended while its session lived
  // ('revoked': reported lost, or gone when the session resumed) is a lost grant, whatever the
  // faults; 'deadline' and 'session expired' are the lease lapsing, judged by the expiry rule.
  // Only signals that came before the worker let go count: a release can race a resume that
  // then finds the hold gone, rightly.
  const releasedAt = new Map<string, number>();
  for (const e of events) if (e.f === 'release' && e.type === 'invoke') releasedAt.set(`${e.process}|${e.value.token}`, e.time);
  const leaseCheck = checkLeaseLosses(leaseLosses, releasedAt);
  extra.push(...leaseCheck.violations);

  // A crashed worker's holds come free within TTL + failover (+ the skew allowance per leader
  // transfer), whether judged from the histories or by the nemesis amid elections.
  const freeBound = { baseMs: TTL_MS + FREE_SLACK_MS, perTransferMs: SKEW_MS };
  const crashed = checkCrashedHolds(events, validity, killedAt, faults, freeBound);
  extra.push(...crashed.violations);
  const amidElections = checkHoldsAmidElections(faults, { ...freeBound, giveUpMs: FREE_GIVE_UP_TTLS * TTL_MS });
  extra.push(...amidElections.violations);

  // Recovery: after each fault heals, the probe's first successful acquire+release.
  const recovery = checkRecovery(faults, run.probeOk, RESUME_BOUND_MS);
  extra.push(...recovery.violations);

  // The run's own strictness: failed injections, kinds covered, the checkers' inputs, workers' exits.
  const faultCheck = checkFaults(faults, skipped, strict);
  extra.push(...faultCheck.violations);
  const fenceChecks = events.filter((e) => e.f === 'checkFence' && e.type === 'ok').length;
  const crashKills = faults.filter((f) => f.error === undefined && f.kind === 'killHolderAmidElections').length;
  const inputs = { grants: grants.length, storeWritesAccepted: storeCheck.accepted, fenceChecks, crashedHoldsJudged: crashed.crashedHolds, clusterGrants: clusterLog.grants.length };
  if (strict !== undefined) {
    extra.push(...checkInputs(inputs, { grants: 1, storeWritesAccepted: 1, fenceChecks: 1, clusterGrants: 1, crashedHoldsJudged: crashKills > 0 ? 1 : 0 }));
  }
  extra.push(...checkWorkerExits(procs.map((p): WorkerExit => ({ id: p.id, code: p.exit?.code ?? null, signal: p.exit?.signal ?? 'still running', killed: p.killedAt > 0 }))));

  if (checked.ok === 'unknown') say('warning: the linearizability search ran out of budget on some resource; see the report');
  return report({
    checked,
    extra,
    faults,
    skipped,
    injectedByKind: faultCheck.injectedByKind,
    inputs,
    fenceChecks,
    store: { accepted: storeCheck.accepted, refused: storeCheck.refused },
    expiries: expiries.length,
    leaseSignals: leaseCheck,
    crashed,
    amidElections,
    recovery,
  });
}

function report(j: Judged): Analysis {
  const { checked, extra, faults, skipped, injectedByKind, crashed, amidElections } = j;
  const byKind = new Map<string, number>();
  for (const f of faults) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
  const violations = checked.counts.violations + extra.length;
  const worstAmid = amidElections.worstMs;
  const lines = [
    '',
    formatReport(checked),
    '',
    `Faults injected: ${faults.length} (${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}); without error: ${[...injectedByKind].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}; skipped for want of a target: ${skipped.length}${skipped.length > 0 ? ` (${skipped.map((f) => `${f.kind}: ${f.reason}`).join(', ')})` : ''}`,
    `Checkers' inputs: ${Object.entries(j.inputs).map(([k, n]) => `${k} ${n}`).join(', ')}`,
    `Protected store: ${j.store.accepted} writes accepted, ${j.store.refused} refused as stale`,
    `Session expiries: ${j.expiries}`,
    `Lease signals before release: ${j.leaseSignals.beforeRelease}${j.leaseSignals.byReason.size > 0 ? ` (${[...j.leaseSignals.byReason].map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}`,
    `Workers killed while holding: ${crashed.crashedHolds} holds; worst time until such a hold was granted to a waiter: ${crashed.crashedHolds > 0 ? `${Math.round(crashed.worstFreeMs)} ms` : 'n/a'} (bound TTL ${TTL_MS} + ${FREE_SLACK_MS} ms, + ${SKEW_MS} ms per leader transfer)`,
    `Workers killed while holding, with leadership moved every ${TTL_MS / 4} ms: ${amidElections.kills} kills; worst time until their holds were gone: ${worstAmid === undefined ? 'n/a' : Number.isFinite(worstAmid) ? `${Math.round(worstAmid)} ms` : 'never'} (bound ${TTL_MS + FREE_SLACK_MS} ms + ${SKEW_MS} ms per transfer)`,
    `Unavailability after each fault, measured by a probe client acquiring every 100 ms (bound ${RESUME_BOUND_MS} ms):`,
    ...j.recovery.lines,
    ...(extra.length > 0 ? ['', 'Further violations:', ...extra.map((v) => `  [${v.kind}] ${v.message}`)] : []),
    '',
    violations === 0 ? 'No violations.' : `${violations} VIOLATIONS`,
    '',
  ];
  const maxUnavailableMs = j.recovery.worstMs;
  return {
    report: lines.join('\n'),
    violations,
    summary: {
      operations: checked.counts.operations,
      grants: checked.counts.grants,
      faults: faults.length,
      faultsByKind: Object.fromEntries(byKind),
      faultsInjected: [...injectedByKind.values()].reduce((a, b) => a + b, 0),
      faultsFailed: faults.filter((f) => f.error !== undefined).length,
      faultsSkipped: skipped.length,
      kindsInjected: [...injectedByKind.keys()].sort(),
      fenceChecks: j.fenceChecks,
      violations,
      maxUnavailableMs: Number.isFinite(maxUnavailableMs) ? Math.round(maxUnavailableMs) : null,
      storeWritesAccepted: j.store.accepted,
      storeWritesRefused: j.store.refused,
      sessionExpiries: j.expiries,
      leaseSignals: j.leaseSignals.beforeRelease,
      crashedHolds: crashed.crashedHolds,
      worstCrashedHoldFreeMs: crashed.crashedHolds > 0 ? Math.round(crashed.worstFreeMs) : null,
      worstFreeAmidElectionsMs: worstAmid === undefined || !Number.isFinite(worstAmid) ? null : Math.round(worstAmid),
      linearizability: checked.ok === 'unknown' ? 'unknown' : checked.counts.violationsByKind.notLinearizable ? 'violation' : 'ok',
    },
  };
}
