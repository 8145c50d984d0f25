/**
 * The chaos runner's own checks, as pure functions of what a run recorded, so each can be tested
 * on small made-up histories: the protected store (lostUpdate, staleWriteAccepted), session
 * expiries (unexcusedExpiry), lease signals (holdLost), recovery after faults (slowRecovery), and
 * the run's own strictness: failed injections, fault kinds covered, floors on the checkers'
 * inputs, worker exit codes; and how soon a crashed holder's holds came free (slowRelease).
 */
import type { HistoryEvent, Validity } from '@quorumlock/chaos-check';
import type { FaultKind, FaultRecord, SkippedFault } from './nemesis';
import type { StoreWrite } from './protected-store';

export interface Violation {
  readonly kind: string;
  readonly message: string;
}

/** A grant as the workers recorded it (enough of it for the store check). */
export interface GrantSeen {
  readonly process: string;
  readonly resource: string;
  readonly time: number;
  readonly token: number;
  readonly mode: string;
}

/**
 * The store: accepted values of a resource go up by one each time (no lost update), and it never
 * accepted a token lower than an exclusive grant of that resource made before the write.
 */
export function checkStore(writes: readonly StoreWrite[], grants: readonly GrantSeen[]): { violations: Violation[]; accepted: number; refused: number } {
  const violations: Violation[] = [];
  const byResource = new Map<string, StoreWrite[]>();
  for (const w of writes) byResource.set(w.resource, [...(byResource.get(w.resource) ?? []), w]);
  let accepted = 0;
  let refused = 0;
  for (const [resource, ws] of byResource) {
    let last = 0;
    for (const w of ws) {
      if (!w.accepted) {
        refused++;
        continue;
      }
      accepted++;
      if (w.value !== last + 1) violations.push({ kind: 'lostUpdate', message: `store ${resource}: ${w.process} wrote ${w.value} after ${last} (token ${w.token})` });
      last = w.value;
      const newer = grants.find((g) => g.resource === resource && g.token > w.token && g.mode === 'exclusive' && g.time < w.time);
      if (newer !== undefined) {
        violations.push({ kind: 'staleWriteAccepted', message: `store ${resource}: accepted token ${w.token} from ${w.process} after token ${newer.token} was granted to ${newer.process}` });
      }
    }
  }
  return { violations, accepted, refused };
}

/** True when a fault that touched `worker` was active at some moment in [from, to]. */
function faultTouched(faults: readonly FaultRecord[], worker: string, from: number, to: number): boolean {
  return faults.some((f) => f.workers.includes(worker) && f.at <= to && (f.healedAt === 0 ? Infinity : f.healedAt) >= from);
}

/** A session may expire only while a fault cut its worker off (or killed it) within `windowMs` before. */
export function checkExpiries(expiries: readonly { process: string; time: number }[], faults: readonly FaultRecord[], windowMs: number): Violation[] {
  return expiries
    .filter((x) => !faultTouched(faults, x.process, x.time - windowMs, x.time))
    .map((x) => ({ kind: 'unexcusedExpiry', message: `session of ${x.process} expired at ${Math.round(x.time)} with no fault in the ${windowMs} ms before` }));
}

export interface LeaseLoss {
  readonly process: string;
  readonly resource: string;
  readonly token: number;
  readonly time: number;
  readonly reason: string;
  readonly detail: string;
}

/**
 * Lease signals before the worker let go. The nemesis never revokes, so a hold the cluster ended
 * while its session lived ('revoked') is a lost grant; lapses are judged by the expiry rule.
 */
export function checkLeaseLosses(losses: readonly LeaseLoss[], releaseInvokedAt: ReadonlyMap<string, number>): { violations: Violation[]; beforeRelease: number; byReason: Map<string, number> } {
  const violations: Violation[] = [];
  const byReason = new Map<string, number>();
  let beforeRelease = 0;
  for (const l of losses) {
    if ((releaseInvokedAt.get(`${l.process}|${l.token}`) ?? Infinity) <= l.time) continue;
    beforeRelease++;
    byReason.set(l.reason, (byReason.get(l.reason) ?? 0) + 1);
    if (l.reason === 'revoked') violations.push({ kind: 'holdLost', message: `${l.process}'s hold of ${l.resource} (token ${l.token}) was ended by the cluster while its session lived: ${l.detail}` });
  }
  return { violations, beforeRelease, byReason };
}

/** After each healed fault, the probe's first success must come within `boundMs`. */
export function checkRecovery(faults: readonly FaultRecord[], probeOk: readonly number[], boundMs: number): { violations: Violation[]; worstMs: number; lines: string[] } {
  const violations: Violation[] = [];
  const lines: string[] = [];
  let worstMs = 0;
  for (const f of faults) {
    if (f.healedAt === 0) continue;
    const next = probeOk.find((t) => t >= f.healedAt);
    const ms = next === undefined ? Infinity : next - f.healedAt;
    worstMs = Math.max(worstMs, ms);
    lines.push(`  ${f.kind.padEnd(23)} ${f.detail}: grants again ${Number.isFinite(ms) ? `${Math.round(ms)} ms` : 'never'} after healing`);
    if (ms > boundMs) violations.push({ kind: 'slowRecovery', message: `the probe got no grant within ${boundMs} ms after ${f.kind} (${f.detail}) healed` });
  }
  return { violations, worstMs, lines };
}

export interface StrictOptions {
  /** Fewest faults that must have been injected without error. */
  readonly minInjected: number;
  /** Kinds that must each have been injected without error at least once. */
  readonly requiredKinds: readonly FaultKind[];
}

/**
 * The nemesis: a failed injection is always a violation (it may not have happened, its recovery
 * was not measured, a failed re-add leaves the cluster short). Under `strict` (the CI run), the
 * run must also have injected enough faults and every kind its seed scheduled, or listed.
 */
export function checkFaults(faults: readonly FaultRecord[], skipped: readonly SkippedFault[], strict: StrictOptions | undefined): { violations: Violation[]; injectedByKind: Map<FaultKind, number> } {
  const violations: Violation[] = faults
    .filter((f) => f.error !== undefined)
    .map((f) => ({ kind: 'injectionFailed', message: `${f.kind} (${f.detail}) failed: ${f.error ?? ''}` }));
  const injectedByKind = new Map<FaultKind, number>();
  for (const f of faults) if (f.error === undefined) injectedByKind.set(f.kind, (injectedByKind.get(f.kind) ?? 0) + 1);
  if (strict !== undefined) {
    const injected = [...injectedByKind.values()].reduce((a, b) => a + b, 0);
    if (injected < strict.minInjected) violations.push({ kind: 'tooFewFaults', message: `${injected} faults injected without error (${skipped.length} skipped for want of a target), fewer than ${strict.minInjected}` });
    const scheduled = new Set<FaultKind>([...strict.requiredKinds, ...faults.map((f) => f.kind), ...skipped.map((f) => f.kind)]);
    for (const k of scheduled) {
      if (!injectedByKind.has(k)) {
        const why = skipped.filter((f) => f.kind === k).map((f) => f.reason);
        violations.push({ kind: 'faultKindNotCovered', message: `${k} was scheduled but never injected${why.length > 0 ? ` (skipped: ${[...new Set(why)].join(', ')})` : ''}` });
      }
    }
  }
  return { violations, injectedByKind };
}

/** Floors on what each checker judged: a checker with nothing to check fails the run. */
export function checkInputs(inputs: Readonly<Record<string, number>>, floors: Readonly<Record<string, number>>): Violation[] {
  return Object.entries(floors)
    .filter(([k, min]) => (inputs[k] ?? 0) < min)
    .map(([k, min]) => ({ kind: 'checkerStarved', message: `${k}: ${inputs[k] ?? 0}, fewer than ${min}: the checker that judges it had (almost) nothing to check` }));
}

export interface WorkerExit {
  readonly id: string;
  readonly code: number | null;
  readonly signal: string | null;
  /** SIGKILLed on purpose by the nemesis. */
  readonly killed: boolean;
}

/** Every worker the run did not kill must have exited 0 after its SIGTERM. */
export function checkWorkerExits(exits: readonly WorkerExit[]): Violation[] {
  return exits
    .filter((w) => !w.killed && w.code !== 0)
    .map((w) => ({ kind: 'workerFailed', message: `worker ${w.id} exited with ${w.code === null ? `signal ${w.signal ?? '?'}` : `code ${w.code}`}` }));
}

/** How long a crashed holder's holds may stay held: a base, plus so much per leader transfer. */
export interface FreeBound {
  readonly baseMs: number;
  readonly perTransferMs: number;
}

/**
 * A crashed worker's holds come free within the bound: the next grant of each resource it held
 * (validity ending in 'crash') to a waiter that asked before the kill and could hear the cluster
 * meanwhile. A new leader may add the clock-skew allowance to every deadline once per term, so a
 * kill amid leader transfers gets `perTransferMs` more per transfer.
 */
export function checkCrashedHolds(
  events: readonly HistoryEvent[],
  validity: readonly Validity[],
  killedAt: ReadonlyMap<string, number>,
  faults: readonly FaultRecord[],
  bound: FreeBound,
): { violations: Violation[]; crashedHolds: number; worstFreeMs: number } {
  const violations: Violation[] = [];
  const grants = events.filter((e): e is Extract<HistoryEvent, { f: 'acquire'; type: 'ok' }> => e.f === 'acquire' && e.type === 'ok');
  const freeBound = (proc: string): number =>
    bound.baseMs + bound.perTransferMs * Math.max(0, ...faults.filter((f) => f.kind === 'killHolderAmidElections' && f.workers.includes(proc)).map((f) => f.transfers ?? 0));
  let worstFreeMs = 0;
  let crashedHolds = 0;
  for (const [proc, k] of killedAt) {
    const held = validity.filter((v) => v.process === proc && v.end === 'crash');
    crashedHolds += held.length;
    for (const v of held) {
      const next = grants.filter((g) => g.resource === v.resource && g.process !== proc && g.time > k).sort((a, b) => a.time - b.time)[0];
      if (next === undefined) continue;
      const waitedSince = Math.max(k, ...events.filter((e) => e.f === 'acquire' && e.type === 'invoke' && e.process === next.process && e.resource === v.resource && e.time <= next.time).map((e) => e.time).slice(-1));
      const ms = next.time - k;
      // Only a waiter that asked before the kill and could hear the cluster meanwhile measures the
      // release: one cut off by a fault receives its grant only when that fault heals.
      const waiterCutOff = faultTouched(faults, next.process, k, next.time);
      if (waitedSince > k + 1 || waiterCutOff) continue;
      worstFreeMs = Math.max(worstFreeMs, ms);
      if (ms > freeBound(proc)) {
        violations.push({ kind: 'slowRelease', message: `${v.resource} held by crashed ${proc} was granted again after ${Math.round(ms)} ms (bound ${freeBound(proc)} ms)` });
      }
    }
  }
  return { violations, crashedHolds, worstFreeMs };
}

/**
 * The same under repeated leader changes, as the nemesis measured it against the leader's view
 * (`freedAfterMs`, Infinity when it gave up after `giveUpMs`).
 */
export function checkHoldsAmidElections(faults: readonly FaultRecord[], bound: FreeBound & { readonly giveUpMs: number }): { violations: Violation[]; kills: number; worstMs: number | undefined } {
  const amidElections = faults.filter((f) => f.freedAfterMs !== undefined).map((f) => f.freedAfterMs ?? 0);
  const violations: Violation[] = [];
  for (const f of faults) {
    const limit = bound.baseMs + bound.perTransferMs * (f.transfers ?? 0);
    if (f.freedAfterMs === undefined || f.freedAfterMs <= limit) continue;
    const took = Number.isFinite(f.freedAfterMs) ? `came free after ${Math.round(f.freedAfterMs)} ms` : `were still held after ${bound.giveUpMs} ms`;
    violations.push({ kind: 'slowRelease', message: `${f.detail}: the holds ${took} (bound ${limit} ms after ${f.transfers ?? 0} leader transfers)` });
  }
  return { violations, kills: amidElections.length, worstMs: amidElections.length > 0 ? Math.max(...amidElections) : undefined };
}
