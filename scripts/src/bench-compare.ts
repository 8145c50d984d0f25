#!/usr/bin/env node
/**
 * `pnpm bench:compare [-- --rounds N --seconds S --skip-10k]`: quorumlock and etcd 3.4 (Debian's
 * etcd-server, installed if missing) side by side in one harness on this machine. Both run as 3
 * members on 127.0.0.1 with default settings and fsync on, data in temporary dirs. The same four
 * client processes run the same loops against each (bench-locks-worker.ts): quorumlock over its
 * Acquire stream, etcd through its v3lock service with one lease per session and keepalives on
 * one stream per process (as clientv3 does). Every session keeps alive at TTL/3.
 *
 * Workloads: uncontended pairs at 1, 16 and 64 sessions; 32 sessions on one lock; 10,000
 * sessions keeping alive (leader CPU); leader SIGKILL failover. Rounds alternate between the
 * systems (quorumlock first in odd rounds, etcd first in even ones); figures are medians.
 * Prints a side-by-side table; the last line is one JSON object whose ratios are quorumlock ÷
 * etcd (above 1 is better for throughput, below 1 is better for failover time and CPU).
 */
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';
import type { SystemName } from './bench/bench-session';
import { EtcdCluster, ensureEtcd } from './bench/etcd-cluster';
import { type Target, type Worker, contendedRound, failoverRun, keepaliveLeaderCpu, median, pairsRound, pct, r2, spawnWorker, step, benchArgs } from './bench/harness';

const SYSTEMS: readonly SystemName[] = ['quorumlock', 'etcd'];
const log = (s: string): void => void process.stdout.write(`${s}\n`);

interface Figures {
  pairsPerSec1: number;
  pairsPerSec16: number;
  pairsPerSec64: number;
  pairP50Ms1: number;
  contendedGrantsPerSec: number;
  handoffP50Ms: number;
  serverCpuUsPerPair64: number;
  clientCpuUsPerPair64: number;
  leaderCpuPct10k: number;
  failoverMs: number;
}

type Samples = Record<'p1' | 'p16' | 'p64' | 'p50_1' | 'cg' | 'ho' | 'srv64' | 'cli64', number[]>;
const noSamples = (): Samples => ({ p1: [], p16: [], p64: [], p50_1: [], cg: [], ho: [], srv64: [], cli64: [] });

/** Alternating rounds of the pairs and contended workloads; returns each system's samples. */
async function runRounds(workers: readonly Worker[], targets: Record<SystemName, Target>, rounds: number, seconds: number): Promise<Record<SystemName, Samples>> {
  const samples: Record<SystemName, Samples> = { quorumlock: noSamples(), etcd: noSamples() };
  for (let r = 1; r <= rounds; r++) {
    const order = r % 2 === 1 ? SYSTEMS : [...SYSTEMS].reverse();
    for (const sys of order) {
      const t = targets[sys];
      const acc = samples[sys];
      for (const n of [1, 16, 64] as const) {
        const p = await step(`round ${r}, ${sys} pairs with ${n} sessions`, () => pairsRound(workers, t, n, seconds, `${sys}-r${r}n${n}`));
        acc[`p${n}`].push(p.pps);
        if (n === 1) acc.p50_1.push(pct(p.lat, 50));
        if (n === 64) {
          acc.srv64.push(p.cpu.serverMs);
          acc.cli64.push(p.cpu.clientMs);
        }
        log(`round ${r} ${sys.padEnd(10)} pairs ×${String(n).padEnd(2)}: ${Math.round(p.pps)}/s, p50 ${r2(pct(p.lat, 50))} ms`);
      }
      const c = await step(`round ${r}, ${sys} contended`, () => contendedRound(workers[0]!, t, 32, seconds, `bench/contended-${sys}/${r}`));
      acc.cg.push(c.gps);
      acc.ho.push(c.handoffP50);
      log(`round ${r} ${sys.padEnd(10)} contended: ${Math.round(c.gps)} grants/s, handoff p50 ${r2(c.handoffP50)} ms, out of order ${c.outOfOrder}`);
    }
  }
  return samples;
}

/** Leader CPU with 10,000 sessions keeping alive, per system (NaN when skipped). */
async function measureKeepalive(workers: readonly Worker[], targets: Record<SystemName, Target>, etcd: EtcdCluster, ql: CoordinatorCluster, skip10k: boolean): Promise<Record<SystemName, number>> {
  const keepaliveCpu: Record<SystemName, number> = { quorumlock: NaN, etcd: NaN };
  if (skip10k) return keepaliveCpu;
  for (const sys of SYSTEMS) {
    const pid = sys === 'etcd' ? (await etcd.leader()).pid : ql.pid(await ql.waitLeader());
    if (pid === undefined) throw new Error(`${sys}: the leader has no process`);
    keepaliveCpu[sys] = await step(`${sys} 10,000 sessions keeping alive`, async () => (await keepaliveLeaderCpu(workers, targets[sys], pid)).leaderCpuPct);
    log(`${sys}: leader CPU with 10,000 sessions keeping alive: ${r2(keepaliveCpu[sys])} % of a core`);
  }
  return keepaliveCpu;
}

/** SIGKILL each system's leader; the longer of keepalive and acquire recovery, per system. */
async function measureFailover(worker: Worker, targets: Record<SystemName, Target>, etcd: EtcdCluster, ql: CoordinatorCluster): Promise<Record<SystemName, number>> {
  const failover: Record<SystemName, number> = { quorumlock: NaN, etcd: NaN };
  for (const sys of SYSTEMS) {
    let address: string;
    let kill: () => Promise<void>;
    let endpoints: string[];
    if (sys === 'etcd') {
      const lead = await etcd.leader();
      address = lead.address;
      kill = () => etcd.kill(lead.name);
      endpoints = etcd.endpoints();
    } else {
      const lead = await ql.waitLeader();
      address = ql.address(lead);
      kill = () => ql.kill(lead);
      endpoints = ql.endpoints();
    }
    const f = await failoverRun(worker, { ...targets[sys], address }, endpoints, kill);
    failover[sys] = Math.max(f.keepaliveMs, f.acquireMs);
    log(`${sys}: failover: keepalive acknowledged again after ${Math.round(f.keepaliveMs)} ms, new acquire after ${Math.round(f.acquireMs)} ms`);
  }
  return failover;
}

function figuresOf(a: Samples, keepaliveCpu: number, failover: number): Figures {
  return {
    pairsPerSec1: Math.round(median(a.p1)),
    pairsPerSec16: Math.round(median(a.p16)),
    pairsPerSec64: Math.round(median(a.p64)),
    pairP50Ms1: r2(median(a.p50_1)),
    contendedGrantsPerSec: Math.round(median(a.cg)),
    handoffP50Ms: r2(median(a.ho)),
    serverCpuUsPerPair64: r2(median(a.srv64) * 1000),
    clientCpuUsPerPair64: r2(median(a.cli64) * 1000),
    leaderCpuPct10k: r2(keepaliveCpu),
    failoverMs: Math.round(failover),
  };
}

/** The side-by-side table, then the one-line JSON summary. */
function report(q: Figures, e: Figures, rounds: number, seconds: number): void {
  const ratio = (k: keyof Figures): number => r2(q[k] / e[k]);
  const rows: Array<[string, keyof Figures]> = [
    ['pairs/s, 1 session', 'pairsPerSec1'],
    ['pair p50 ms, 1 session', 'pairP50Ms1'],
    ['pairs/s, 16 sessions', 'pairsPerSec16'],
    ['pairs/s, 64 sessions', 'pairsPerSec64'],
    ['server CPU µs/pair, 64 sessions', 'serverCpuUsPerPair64'],
    ['client CPU µs/pair, 64 sessions', 'clientCpuUsPerPair64'],
    ['contended grants/s, 32 sessions', 'contendedGrantsPerSec'],
    ['handoff p50 ms', 'handoffP50Ms'],
    ['leader CPU %, 10k sessions', 'leaderCpuPct10k'],
    ['failover ms', 'failoverMs'],
  ];
  log('');
  log(`${'figure'.padEnd(34)}${'quorumlock'.padStart(12)}${'etcd 3.4'.padStart(12)}${'ratio'.padStart(8)}`);
  for (const [label, k] of rows) log(`${label.padEnd(34)}${String(q[k]).padStart(12)}${String(e[k]).padStart(12)}${String(ratio(k)).padStart(8)}`);
  log(`(medians of ${rounds} alternating rounds of ${seconds} s; ratio = quorumlock ÷ etcd)`);
  process.stdout.write(
    `${JSON.stringify({
      rounds,
      secondsPerRun: seconds,
      quorumlock: q,
      etcd: e,
      ratioPairs1: ratio('pairsPerSec1'),
      ratioPairs64: ratio('pairsPerSec64'),
      ratioContended: ratio('contendedGrantsPerSec'),
      ratioFailover: ratio('failoverMs'),
      ratioKeepaliveCpu: ratio('leaderCpuPct10k'),
    })}\n`,
  );
}

async function main(): Promise<void> {
  const { rounds, seconds, skip10k } = benchArgs(process.argv.slice(2), false);

  const etcdBin = ensureEtcd(log);
  const etcd = await EtcdCluster.create(etcdBin);
  const ql = await CoordinatorCluster.create({ size: 3, logLevel: 'warn' });
  const workers = [spawnWorker(), spawnWorker(), spawnWorker(), spawnWorker()];
  try {
    await step('start etcd', () => etcd.startAll());
    await step('start quorumlock', () => ql.startAll());
    await Promise.all(workers.map((w) => w.ready));
    const qlPids = (): number[] => ql.ids.map((id) => (ql.isRunning(id) ? ql.pid(id) : undefined)).filter((p): p is number => p !== undefined);
    const targets: Record<SystemName, Target> = {
      quorumlock: { system: 'quorumlock', address: ql.address(await ql.waitLeader()), serverPids: qlPids },
      etcd: { system: 'etcd', address: (await etcd.leader()).address, serverPids: () => etcd.pids() },
    };
    for (const sys of SYSTEMS) await step(`${sys} warmup`, () => pairsRound(workers, targets[sys], 16, 1, `warmup-${sys}`));
    const samples = await runRounds(workers, targets, rounds, seconds);
    const keepaliveCpu = await measureKeepalive(workers, targets, etcd, ql, skip10k);
    const failover = await measureFailover(workers[1]!, targets, etcd, ql);
    const figures = (sys: SystemName): Figures => figuresOf(samples[sys], keepaliveCpu[sys], failover[sys]);
    report(figures('quorumlock'), figures('etcd'), rounds, seconds);
  } finally {
    for (const w of workers) w.child.kill('SIGKILL');
    await ql.destroy();
    await etcd.destroy();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench-compare: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
