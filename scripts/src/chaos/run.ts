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
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CoordinatorCluster, FaultProxy } from '@quorumlock/coordinator/testing';
import { SeededRng } from '@quorumlock/raft';
import { analyse } from './analyse';
import { WORKER_IDENTITY, chaosClientTls, chaosClusterAuth, chaosClusterTls, type PemTls } from './chaos-tls';
import { readClusterLog } from './cluster-log';
import type { StrictOptions } from './judge';
import { Nemesis } from './nemesis';
import { type Probe, startProbe } from './probe';
import { ProtectedStore } from './protected-store';
import { parseRunArgs, type RunArgs } from './run-args';
import { readWorkerRecords } from './run-history';
import { ELECTION_TICKS, now, RESUME_BOUND_MS, sleep, SKEW_MS, TICK_MS, TTL_MS } from './run-settings';
import { WorkerPool } from './worker-pool';

// The run's parts: settings and bounds (run-settings.ts), workers (worker-pool.ts), the probe
// (probe.ts), the nemesis (nemesis.ts), and the judging (run-history.ts, analyse.ts, judge.ts).

type Say = (s: string) => void;

async function main(): Promise<void> {
  const args = parseRunArgs(process.argv.slice(2));
  const dir = args.keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'quorumlock-chaos-'));
  fs.mkdirSync(dir, { recursive: true });
  const t0 = now();
  const say: Say = (s) => void process.stdout.write(`[${((now() - t0) / 1000).toFixed(1).padStart(6)}s] ${s}\n`);
  const rng = new SeededRng(args.seed);
  say(`seed ${args.seed}, ${args.nodes} nodes, ${args.workerCount} workers, ${args.durationS} s, faults: ${args.kinds.join(', ')}${args.tls ? "; mTLS on client and peer ports, authorization on" : ""}; data in ${dir}`);

  // Proxies on every directed peer link, created before the nodes so their configs can name them.
  const peerProxies = new Map<string, FaultProxy>();
  const cluster = await createCluster(args, dir, peerProxies);
  const workerTls = chaosClientTls(cluster, WORKER_IDENTITY); // made before any node runs
  await startPeerProxies(cluster, peerProxies);
  const store = new ProtectedStore();
  await store.start();
  const historyDir = path.join(dir, 'history');
  fs.mkdirSync(historyDir, { recursive: true });
  const pool = new WorkerPool({ cluster, seed: args.seed, storeUrl: store.url, historyDir, tls: workerTls });
  stopOnSignals(cluster, pool, dir);

  const running: Running = { nemesis: null, probe: null };
  try {
    await runWorkload({ args, cluster, pool, peerProxies, workerTls, rng, t0, say }, running);
  } finally {
    await running.probe?.stop();
    running.nemesis?.close();
    pool.killAll();
    await cluster.destroy();
    for (const p of peerProxies.values()) await p.close();
    await pool.closeProxies();
    await store.close();
  }

  const faults = running.nemesis?.log ?? [];
  fs.writeFileSync(path.join(dir, 'faults.json'), JSON.stringify(faults, null, 1));
  fs.writeFileSync(path.join(dir, 'store.json'), JSON.stringify(store.writes));
  const strict: StrictOptions | undefined = args.strict ? { minInjected: 3, requiredKinds: [] } : undefined;
  const result = analyse(
    {
      records: readWorkerRecords(historyDir),
      clusterLog: readClusterLog(path.join(dir, 'cluster')),
      procs: pool.finished,
      faults,
      skipped: running.nemesis?.skipped ?? [],
      storeWrites: store.writes,
      probeOk: running.probe?.successes ?? [],
      strict,
    },
    say,
  );
  process.stdout.write(result.report);
  if (args.keep === undefined && result.violations === 0) fs.rmSync(dir, { recursive: true, force: true });
  else say(`history kept in ${dir}`);
  process.stdout.write(`${JSON.stringify(result.summary)}\n`);
  process.exitCode = result.violations === 0 ? 0 : 1;
}

/** The cluster's servers, configured to reach each other through the peer proxies (`peerProxies`, by `from>to`). */
function createCluster(args: RunArgs, dir: string, peerProxies: ReadonlyMap<string, FaultProxy>): Promise<CoordinatorCluster> {
  const route = (from: string, to: string): string => peerProxies.get(`${from}>${to}`)?.address ?? '';
  return CoordinatorCluster.create({
    size: args.nodes,
    baseDir: path.join(dir, 'cluster'),
    // debug: the audit log of every grant, which the histories are cross-checked against.
    logLevel: 'debug',
    // A cluster id of its own: another run on this host can never join its peer links.
    args: ['--cluster-id', `chaos-${args.seed}-${process.pid}`, '--tick-ms', String(TICK_MS), '--election-ticks', String(ELECTION_TICKS), '--max-clock-skew-ms', String(SKEW_MS), '--snapshot-entries', '2000', '--keep-entries', '200'],
    peerRoute: route,
    // The clockStep fault steps a server's Date through the test-only preload.
    steppableClocks: true,
    tls: chaosClusterTls(args.tls, dir),
    auth: chaosClusterAuth(args.tls),
  });
}

async function startPeerProxies(cluster: CoordinatorCluster, peerProxies: Map<string, FaultProxy>): Promise<void> {
  for (const from of cluster.ids) {
    for (const to of cluster.ids) {
      if (from === to) continue;
      const target = cluster.peerAddress(to);
      const p = new FaultProxy(target);
      await p.start();
      peerProxies.set(`${from}>${to}`, p);
    }
  }
}

/** Ctrl-C or a kill of the runner: leave no server or worker behind (a paused server dies too). */
function stopOnSignals(cluster: CoordinatorCluster, pool: WorkerPool, dir: string): void {
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
    pool.killAll();
    process.stderr.write(`chaos: stopped by ${signal}; the history so far is in ${dir}\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

/** What the run started that the cleanup must stop, whatever failed. */
interface Running {
  nemesis: Nemesis | null;
  probe: Probe | null;
}

interface RunContext {
  readonly args: RunArgs;
  readonly cluster: CoordinatorCluster;
  readonly pool: WorkerPool;
  readonly peerProxies: ReadonlyMap<string, FaultProxy>;
  readonly workerTls: PemTls | undefined;
  readonly rng: SeededRng;
  readonly t0: number;
  readonly say: Say;
}

/** Starts the cluster, the workers and the probe, runs the nemesis, then heals and stops the workers. */
async function runWorkload(ctx: RunContext, running: Running): Promise<void> {
  const { args, cluster, pool, peerProxies, say } = ctx;
  await cluster.startAll();
  const leader = await cluster.waitLeader(20_000);
  say(`cluster up, leader ${leader}`);
  for (let i = 0; i < args.workerCount; i++) await pool.start();
  running.probe = startProbe(cluster.endpoints(), ctx.workerTls);
  const nemesis = new Nemesis(cluster, ctx.rng, {
    peerProxies,
    workerProxies: (w) => pool.workers.get(w)?.proxies ?? [],
    runningWorkers: () => [...pool.workers.keys()],
    killWorker: (w) => pool.kill(w),
    electionTimeoutMs: TICK_MS * ELECTION_TICKS,
    ttlMs: TTL_MS,
  }, say, args.kinds);
  running.nemesis = nemesis;
  await nemesis.run(ctx.t0 + args.durationS * 1000);

  // Heal everything, let the cluster settle, then stop the workers cleanly.
  for (const p of peerProxies.values()) p.setMode('pass');
  for (const w of pool.workers.values()) for (const p of w.proxies) p.setMode('pass');
  for (const id of cluster.ids) if (!cluster.isRunning(id)) await cluster.start(id);
  // Long enough after the last heal to judge recovery against its bound.
  await sleep(RESUME_BOUND_MS + 1000);
  say('stopping workers');
  await pool.stopAll();
}

main().catch((e: unknown) => {
  process.stderr.write(`chaos: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(2);
});
