#!/usr/bin/env node
/**
 * `pnpm chaos -- --duration S --seed N [--nodes 3|5] [--workers K] [--faults a,b] [--keep DIR] [--tls]`:
 * the fault suite. A real cluster behind a proxy on every directed peer link, K SDK workers each
 * behind their own client proxies, a protected store, and a seeded nemesis. Afterwards the
 * recorded history is checked (capacity by the workers' own validity windows, token order,
 * releases, linearizability per resource, the store's fencing, expiries, recovery times) and a
 * report is printed; the last line is one JSON object. Exits 1 on any violation.
 *
 * `--strict` (the CI run): also a violation when fewer than 3 faults were injected, when a kind the
 * seed scheduled was never injected, or when a checker had (almost) nothing to judge.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { checkAll, formatReport, type History, type HistoryEvent, type Validity } from '@quorumlock/chaos-check';
import { LockClient } from '@quorumlock/client';
import { CoordinatorCluster, FaultProxy } from '@quorumlock/coordinator/testing';
import { SeededRng } from '@quorumlock/raft';
import { type ClusterLog, readClusterLog } from './cluster-log';
import { checkExpiries, checkFaults, checkInputs, checkLeaseLosses, checkRecovery, checkStore, checkWorkerExits, type StrictOptions, type WorkerExit } from './judge';
import { ALL_FAULTS, FREE_GIVE_UP_TTLS, Nemesis, type FaultKind, type FaultRecord, type SkippedFault } from './nemesis';
import { ProtectedStore } from './protected-store';
import { WORKER_IDENTITY, chaosClientTls, chaosClusterAuth, chaosClusterTls, type PemTls } from './chaos-tls';
import type { ResourceSpec, WorkerConfig } from './worker';

const TICK_MS = 50;
const ELECTION_TICKS = 10;
/** Long enough that a client connected to a majority keeps its session across any failover. */
const TTL_MS = 4000;
const SKEW_MS = 250;
const ELECTION_MAX_MS = 2 * TICK_MS * ELECTION_TICKS;
/** A crashed worker's holds must come free within TTL + this (failover, skew, batching, slack). */
const FREE_SLACK_MS = ELECTION_MAX_MS + SKEW_MS + 1500;
/** After a fault heals, grants must resume within this bound. */
const RESUME_BOUND_MS = 6_000;
/**
 * After any request of a resource, someone is granted it within this: the longest hold (6 s) or a
 * dead holder's TTL plus failover, plus the recovery bound of a fault.
 */
const LIVENESS_BOUND_MS = TTL_MS + FREE_SLACK_MS + RESUME_BOUND_MS;
/** The availability probe's client name; its grants are not in the workers' histories. */
const PROBE_CLIENT = 'availability-probe';

const RESOURCES: readonly ResourceSpec[] = [
  { name: 'acct/1', capacity: 1, fenced: true, sharedRate: 0 },
  { name: 'acct/2', capacity: 1, fenced: true, sharedRate: 0 },
  { name: 'acct/3', capacity: 1, fenced: true, sharedRate: 0 },
  { name: 'pool', capacity: 3, fenced: false, sharedRate: 1 },
  { name: 'config', capacity: 4, fenced: true, sharedRate: 0.7 },
];

/**
 * CLOCK_MONOTONIC, one clock for every process of the run (performance.timeOrigin is fixed per
 * process at start and can differ between processes by a millisecond or two).
 */
const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface ExtraViolation {
  readonly kind: string;
  readonly message: string;
}

interface WorkerProc {
  readonly id: string;
  readonly child: ChildProcess;
  readonly proxies: FaultProxy[];
  killedAt: number;
  exit?: { code: number | null; signal: string | null };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: {
      duration: { type: 'string', default: '60' },
      seed: { type: 'string', default: '1' },
      nodes: { type: 'string', default: '3' },
      workers: { type: 'string', default: '6' },
      faults: { type: 'string', default: ALL_FAULTS.join(',') },
      keep: { type: 'string' },
      strict: { type: 'boolean', default: false },
      tls: { type: 'boolean', default: false },
    },
  });
  const durationS = Number(values.duration);
  const seed = Number(values.seed);
  const nodes = Number(values.nodes);
  const workerCount = Number(values.workers);
  if (!(durationS > 0)) throw new Error(`--duration must be a positive number of seconds, got '${values.duration}'`);
  if (!Number.isSafeInteger(seed)) throw new Error(`--seed must be an integer, got '${values.seed}'`);
  if (nodes !== 3 && nodes !== 5) throw new Error(`--nodes must be 3 or 5, got '${values.nodes}'`);
  if (!Number.isSafeInteger(workerCount) || workerCount < 1) throw new Error(`--workers must be a positive integer, got '${values.workers}'`);
  const kinds = values.faults.split(',').filter((k) => k !== '') as FaultKind[];
  for (const k of kinds) if (!ALL_FAULTS.includes(k)) throw new Error(`--faults: unknown fault '${k}'; known: ${ALL_FAULTS.join(', ')}`);

  const dir = values.keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'quorumlock-chaos-'));
  fs.mkdirSync(dir, { recursive: true });
  const t0 = now();
  const say = (s: string): void => void process.stdout.write(`[${((now() - t0) / 1000).toFixed(1).padStart(6)}s] ${s}\n`);
  const rng = new SeededRng(seed);
  say(`seed ${seed}, ${nodes} nodes, ${workerCount} workers, ${durationS} s, faults: ${kinds.join(', ')}${values.tls ? "; mTLS on client and peer ports, authorization on" : ""}; data in ${dir}`);

  // Proxies on every directed peer link, created before the nodes so their configs can name them.
  const peerProxies = new Map<string, FaultProxy>();
  const route = (from: string, to: string): string => peerProxies.get(`${from}>${to}`)?.address ?? '';
  const cluster = await CoordinatorCluster.create({
    size: nodes,
    baseDir: path.join(dir, 'cluster'),
    // debug: the audit log of every grant, which the histories are cross-checked against.
    logLevel: 'debug',
    // A cluster id of its own: another run on this host can never join its peer links.
    args: ['--cluster-id', `chaos-${seed}-${process.pid}`, '--tick-ms', String(TICK_MS), '--election-ticks', String(ELECTION_TICKS), '--max-clock-skew-ms', String(SKEW_MS), '--snapshot-entries', '2000', '--keep-entries', '200'],
    peerRoute: route,
    // The clockStep fault steps a server's Date through the test-only preload.
    steppableClocks: true,
    tls: chaosClusterTls(values.tls, dir),
    auth: chaosClusterAuth(values.tls),
  });
  const workerTls = chaosClientTls(cluster, WORKER_IDENTITY); // made before any node runs
  for (const from of cluster.ids) {
    for (const to of cluster.ids) {
      if (from === to) continue;
      const target = cluster.peerAddress(to);
      const p = new FaultProxy(target);
      await p.start();
      peerProxies.set(`${from}>${to}`, p);
    }
  }
  const store = new ProtectedStore();
  await store.start();
  const workers = new Map<string, WorkerProc>();
  const finished: WorkerProc[] = [];
  let workerSeq = 0;
  const historyDir = path.join(dir, 'history');
  fs.mkdirSync(historyDir, { recursive: true });
  const startWorker = async (): Promise<void> => {
    const id = `w${++workerSeq}`;
    const proxies: FaultProxy[] = [];
    const dialMap: Record<string, string> = {};
    for (const n of cluster.ids) {
      const a = cluster.address(n);
      const p = new FaultProxy(a);
      await p.start();
      proxies.push(p);
      dialMap[a] = p.address;
    }
    const cfg: WorkerConfig = {
      id,
      seed: seed * 1000 + workerSeq,
      endpoints: cluster.endpoints(),
      dialMap,
      storeUrl: store.url,
      historyFile: path.join(historyDir, `${id}.jsonl`),
      ttlMs: TTL_MS,
      resources: RESOURCES,
      waitTimeoutMs: 8000,
      longHoldRate: 0.15,
      tls: workerTls,
    };
    const child = fork(path.join(__dirname, 'worker.js'), [JSON.stringify(cfg)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const wp: WorkerProc = { id, child, proxies, killedAt: 0 };
    child.once('exit', (code, signal) => (wp.exit = { code, signal }));
    workers.set(id, wp);
  };

  // Ctrl-C or a kill of the runner: leave no server or worker behind (a paused server dies too).
  const onSignal = (signal: NodeJS.Signals): void => {
    for (const id of cluster.ids) {
      const pid = cluster.pid(id);
      if (pid !== undefined) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    for (const w of workers.values()) w.child.kill('SIGKILL');
    process.stderr.write(`chaos: stopped by ${signal}; the history so far is in ${dir}\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let nemesis: Nemesis | null = null;
  let probe: Probe | null = null;
  try {
    await cluster.startAll();
    const leader = await cluster.waitLeader(20_000);
    say(`cluster up, leader ${leader}`);
    for (let i = 0; i < workerCount; i++) await startWorker();
    probe = startProbe(cluster.endpoints(), workerTls);
    nemesis = new Nemesis(cluster, rng, {
      peerProxies,
      workerProxies: (w) => workers.get(w)?.proxies ?? [],
      runningWorkers: () => [...workers.keys()],
      killWorker: async (w) => {
        const wp = workers.get(w);
        if (wp === undefined) return;
        workers.delete(w);
        wp.killedAt = now();
        wp.child.kill('SIGKILL');
        finished.push(wp);
        await startWorker();
      },
      electionTimeoutMs: TICK_MS * ELECTION_TICKS,
      ttlMs: TTL_MS,
    }, say, kinds);
    await nemesis.run(t0 + durationS * 1000);

    // Heal everything, let the cluster settle, then stop the workers cleanly.
    for (const p of peerProxies.values()) p.setMode('pass');
    for (const w of workers.values()) for (const p of w.proxies) p.setMode('pass');
    for (const id of cluster.ids) if (!cluster.isRunning(id)) await cluster.start(id);
    // Long enough after the last heal to judge recovery against its bound.
    await sleep(RESUME_BOUND_MS + 1000);
    say('stopping workers');
    await Promise.all(
      [...workers.values()].map(async (w) => {
        const exited = new Promise<void>((resolve) => w.child.once('exit', () => resolve()));
        w.child.kill('SIGTERM');
        const t = setTimeout(() => w.child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(t);
        finished.push(w);
      }),
    );
  } finally {
    await probe?.stop();
    nemesis?.close();
    for (const w of workers.values()) w.child.kill('SIGKILL');
    await cluster.destroy();
    for (const p of peerProxies.values()) await p.close();
    for (const w of [...workers.values(), ...finished]) for (const p of w.proxies) await p.close();
    await store.close();
  }

  const faults = nemesis?.log ?? [];
  fs.writeFileSync(path.join(dir, 'faults.json'), JSON.stringify(faults, null, 1));
  fs.writeFileSync(path.join(dir, 'store.json'), JSON.stringify(store.writes));
  const strict: StrictOptions | undefined = values.strict ? { minInjected: 3, requiredKinds: [] } : undefined;
  const result = analyse(historyDir, readClusterLog(path.join(dir, 'cluster')), finished, faults, nemesis?.skipped ?? [], store, probe?.successes ?? [], strict, say);
  process.stdout.write(result.report);
  if (values.keep === undefined && result.violations === 0) fs.rmSync(dir, { recursive: true, force: true });
  else say(`history kept in ${dir}`);
  process.stdout.write(`${JSON.stringify(result.summary)}\n`);
  process.exitCode = result.violations === 0 ? 0 : 1;
}

interface Analysis {
  readonly report: string;
  readonly violations: number;
  readonly summary: Record<string, unknown>;
}

interface Probe {
  readonly successes: number[];
  stop(): Promise<void>;
}

/**
 * Availability, measured apart from the workload (whose own grants may wait behind long holds):
 * a client in this process acquires and releases a private lock every 100 ms and records when
 * each round trip succeeded.
 */
function startProbe(endpoints: readonly string[], tls: PemTls | undefined): Probe {
  const client = new LockClient({ endpoints: [...endpoints], ttlMs: TTL_MS, clientName: PROBE_CLIENT, backoff: { initialMs: 20, maxMs: 200, budgetMs: 600_000 }, tls });
  const successes: number[] = [];
  let stopped = false;
  // Aborts the call in flight at stop: against a dead cluster the client would retry for minutes.
  const stop = new AbortController();
  const loop = (async (): Promise<void> => {
    while (!stopped) {
      try {
        const lease = await client.acquire('probe/availability', { waitTimeoutMs: 1000, signal: stop.signal });
        await lease.release();
        successes.push(now());
      } catch {
        // unavailable right now: the gap is what is measured
      }
      await sleep(100);
    }
  })();
  return {
    successes,
    async stop() {
      stopped = true;
      stop.abort();
      await loop;
      await client.close().catch(() => undefined);
    },
  };
}

function analyse(historyDir: string, clusterLog: ClusterLog, procs: readonly WorkerProc[], faults: readonly FaultRecord[], skipped: readonly SkippedFault[], store: ProtectedStore, probeOk: readonly number[], strict: StrictOptions | undefined, say: (s: string) => void): Analysis {
  const events: HistoryEvent[] = [];
  const validity: Validity[] = [];
  const expiries: { process: string; time: number }[] = [];
  const leaseLosses: { process: string; resource: string; token: number; time: number; reason: string; detail: string }[] = [];
  const killedAt = new Map(procs.filter((p) => p.killedAt > 0).map((p) => [p.id, p.killedAt]));
  let end = 0;
  for (const f of fs.readdirSync(historyDir)) {
    for (const line of fs.readFileSync(path.join(historyDir, f), 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue; // a line torn by SIGKILL
      }
      const time = Number(rec['time'] ?? rec['grantedAt'] ?? 0);
      end = Math.max(end, time);
      if (rec['kind'] === 'event') {
        const { kind: _k, ...ev } = rec;
        events.push(ev as unknown as HistoryEvent);
      } else if (rec['kind'] === 'validity') {
        const { kind: _k, ...v } = rec;
        validity.push(v as unknown as Validity);
      } else if (rec['kind'] === 'sessionExpired') {
        expiries.push({ process: String(rec['process']), time });
      } else if (rec['kind'] === 'leaseLost') {
        leaseLosses.push({ process: String(rec['process']), resource: String(rec['resource']), token: Number(rec['token']), time, reason: String(rec['reason']), detail: String(rec['detail'] ?? '') });
      }
    }
  }
  // A worker SIGKILLed while holding trusted its grants until the moment it died.
  const closed = new Set(validity.map((v) => `${v.process}|${v.token}`));
  for (const e of events) {
    if (e.f !== 'acquire' || e.type !== 'ok') continue;
    if (closed.has(`${e.process}|${e.value.token}`)) continue;
    const k = killedAt.get(e.process);
    validity.push({
      process: e.process, resource: e.resource, token: e.value.token, grantedAt: e.time,
      validUntil: k ?? end, end: k !== undefined ? 'crash' : 'open', mode: e.value.mode, permits: e.value.permits, capacity: e.value.capacity,
    });
  }
  const history: History = { events, validity };
  const checked = checkAll(history, {
    clusterGrants: { grants: clusterLog.grants, sessionEnds: clusterLog.sessionEnds, unrecordedClients: [PROBE_CLIENT] },
    liveness: { boundMs: LIVENESS_BOUND_MS },
  });
  const extra: ExtraViolation[] = [];

  const grants = events.filter((e): e is Extract<HistoryEvent, { f: 'acquire'; type: 'ok' }> => e.f === 'acquire' && e.type === 'ok');
  const storeCheck = checkStore(store.writes, grants.map((g) => ({ process: g.process, resource: g.resource, time: g.time, token: g.value.token, mode: g.value.mode })));
  extra.push(...storeCheck.violations);
  const storeAccepted = storeCheck.accepted;
  const storeRejected = storeCheck.refused;
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
  const lossesBeforeRelease = leaseCheck.beforeRelease;
  const lossesByReason = leaseCheck.byReason;

  // A crashed worker's holds come free within TTL + failover: the next grant of each resource it
  // held. A new leader may add the clock-skew allowance to every deadline once per term (never a
  // full TTL), so a kill amid leader transfers gets that much more per transfer.
  const freeBound = (proc: string): number =>
    TTL_MS + FREE_SLACK_MS + SKEW_MS * Math.max(0, ...faults.filter((f) => f.kind === 'killHolderAmidElections' && f.workers.includes(proc)).map((f) => f.transfers ?? 0));
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
      const waiterCutOff = faults.some((f) => f.workers.includes(next.process) && f.at <= next.time && (f.healedAt === 0 ? Infinity : f.healedAt) >= k);
      if (waitedSince > k + 1 || waiterCutOff) continue;
      worstFreeMs = Math.max(worstFreeMs, ms);
      if (ms > freeBound(proc)) {
        extra.push({ kind: 'slowRelease', message: `${v.resource} held by crashed ${proc} was granted again after ${Math.round(ms)} ms (bound ${freeBound(proc)} ms)` });
      }
    }
  }

  // The same under repeated leader changes, measured by the nemesis against the leader's view.
  const amidElections = faults.filter((f) => f.freedAfterMs !== undefined).map((f) => f.freedAfterMs ?? 0);
  for (const f of faults) {
    const bound = TTL_MS + FREE_SLACK_MS + SKEW_MS * (f.transfers ?? 0);
    if (f.freedAfterMs === undefined || f.freedAfterMs <= bound) continue;
    const took = Number.isFinite(f.freedAfterMs) ? `came free after ${Math.round(f.freedAfterMs)} ms` : `were still held after ${FREE_GIVE_UP_TTLS * TTL_MS} ms`;
    extra.push({ kind: 'slowRelease', message: `${f.detail}: the holds ${took} (bound ${bound} ms after ${f.transfers ?? 0} leader transfers)` });
  }
  const worstAmidElections = amidElections.length > 0 ? Math.max(...amidElections) : undefined;

  // Recovery: after each fault heals, the probe's first successful acquire+release.
  const recovery = checkRecovery(faults, probeOk, RESUME_BOUND_MS);
  extra.push(...recovery.violations);
  const maxUnavailableMs = recovery.worstMs;
  const unavailable = recovery.lines;

  // The run's own strictness: failed injections, kinds covered, the checkers' inputs, workers' exits.
  const faultCheck = checkFaults(faults, skipped, strict);
  extra.push(...faultCheck.violations);
  const fenceChecks = events.filter((e) => e.f === 'checkFence' && e.type === 'ok').length;
  const crashKills = faults.filter((f) => f.error === undefined && f.kind === 'killHolderAmidElections').length;
  const inputs = { grants: grants.length, storeWritesAccepted: storeAccepted, fenceChecks, crashedHoldsJudged: crashedHolds, clusterGrants: clusterLog.grants.length };
  if (strict !== undefined) {
    extra.push(...checkInputs(inputs, { grants: 1, storeWritesAccepted: 1, fenceChecks: 1, clusterGrants: 1, crashedHoldsJudged: crashKills > 0 ? 1 : 0 }));
  }
  extra.push(...checkWorkerExits(procs.map((p): WorkerExit => ({ id: p.id, code: p.exit?.code ?? null, signal: p.exit?.signal ?? 'still running', killed: p.killedAt > 0 }))));

  const byKind = new Map<string, number>();
  for (const f of faults) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
  const violations = checked.counts.violations + extra.length;
  const lines = [
    '',
    formatReport(checked),
    '',
    `Faults injected: ${faults.length} (${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}); without error: ${[...faultCheck.injectedByKind].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}; skipped for want of a target: ${skipped.length}${skipped.length > 0 ? ` (${skipped.map((f) => `${f.kind}: ${f.reason}`).join(', ')})` : ''}`,
    `Checkers' inputs: ${Object.entries(inputs).map(([k, n]) => `${k} ${n}`).join(', ')}`,
    `Protected store: ${storeAccepted} writes accepted, ${storeRejected} refused as stale`,
    `Session expiries: ${expiries.length}`,
    `Lease signals before release: ${lossesBeforeRelease}${lossesByReason.size > 0 ? ` (${[...lossesByReason].map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}`,
    `Workers killed while holding: ${crashedHolds} holds; worst time until such a hold was granted to a waiter: ${crashedHolds > 0 ? `${Math.round(worstFreeMs)} ms` : 'n/a'} (bound TTL ${TTL_MS} + ${FREE_SLACK_MS} ms, + ${SKEW_MS} ms per leader transfer)`,
    `Workers killed while holding, with leadership moved every ${TTL_MS / 4} ms: ${amidElections.length} kills; worst time until their holds were gone: ${worstAmidElections === undefined ? 'n/a' : Number.isFinite(worstAmidElections) ? `${Math.round(worstAmidElections)} ms` : 'never'} (bound ${TTL_MS + FREE_SLACK_MS} ms + ${SKEW_MS} ms per transfer)`,
    `Unavailability after each fault, measured by a probe client acquiring every 100 ms (bound ${RESUME_BOUND_MS} ms):`,
    ...unavailable,
    ...(extra.length > 0 ? ['', 'Further violations:', ...extra.map((v) => `  [${v.kind}] ${v.message}`)] : []),
    '',
    violations === 0 ? 'No violations.' : `${violations} VIOLATIONS`,
    '',
  ];
  if (checked.ok === 'unknown') say('warning: the linearizability search ran out of budget on some resource; see the report');
  return {
    report: lines.join('\n'),
    violations,
    summary: {
      operations: checked.counts.operations,
      grants: checked.counts.grants,
      faults: faults.length,
      faultsByKind: Object.fromEntries(byKind),
      faultsInjected: [...faultCheck.injectedByKind.values()].reduce((a, b) => a + b, 0),
      faultsFailed: faults.filter((f) => f.error !== undefined).length,
      faultsSkipped: skipped.length,
      kindsInjected: [...faultCheck.injectedByKind.keys()].sort(),
      fenceChecks,
      violations,
      maxUnavailableMs: Number.isFinite(maxUnavailableMs) ? Math.round(maxUnavailableMs) : null,
      storeWritesAccepted: storeAccepted,
      storeWritesRefused: storeRejected,
      sessionExpiries: expiries.length,
      leaseSignals: lossesBeforeRelease,
      crashedHolds,
      worstCrashedHoldFreeMs: crashedHolds > 0 ? Math.round(worstFreeMs) : null,
      worstFreeAmidElectionsMs: worstAmidElections === undefined || !Number.isFinite(worstAmidElections) ? null : Math.round(worstAmidElections),
      linearizability: checked.ok === 'unknown' ? 'unknown' : checked.counts.violationsByKind.notLinearizable ? 'violation' : 'ok',
    },
  };
}

main().catch((e: unknown) => {
  process.stderr.write(`chaos: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(2);
});
