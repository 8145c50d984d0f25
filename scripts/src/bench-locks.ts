#!/usr/bin/env node
/**
 * `pnpm bench:locks [-- --rounds N --seconds S --skip-10k --profile DIR]`: a 3-node quorumlock cluster of real
 * processes (default settings, fsync on) and benchmark clients in separate processes speaking
 * lock.proto over streams. Figures are medians over rounds, measured side by side in one run:
 * - pairsPerSec{1,16,64}, pairP50Ms1, pairP99Ms64: acquire+release pairs, each session on its
 *   own resource (1, 16 and 64 sessions spread over client processes);
 * - contendedGrantsPerSec, handoffP50Ms: 32 sessions queueing on one resource; a handoff is from
 *   a release to the next grant;
 * - leaderCpuPct10k: leader CPU (% of one core) while 10,000 sessions keep alive at a 10 s TTL;
 * - failoverMs: leader SIGKILL until a held session's keepalive is acknowledged again and a new
 *   acquire succeeds (once per run: it kills the leader);
 * - serverCpuUsPerPair*, clientCpuUsPerPair*, *PerContendedGrant: the three servers' CPU
 *   (utime+stime) and the benchmark clients' CPU per pair or grant, as etcd's benchmarks report.
 * Every session keeps alive at TTL/3 as the SDK does, so rounds of any length work and the figures
 * include keepalive traffic. A failure names the step and the status it got.
 * The last line of output is one JSON object.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { CoordinatorCluster } from '@quorumlock/coordinator';

class Worker {
  private rid = 1;
  private waiters = new Map<number, (m: { ok: boolean; result?: unknown; error?: string }) => void>();
  readonly ready: Promise<void>;
  constructor(readonly child: ChildProcess) {
    this.ready = new Promise((resolve) => {
      child.on('message', (raw: unknown) => {
        const m = raw as { rid: number; ok: boolean; result?: unknown; error?: string };
        if (m.rid === 0) return resolve();
        const w = this.waiters.get(m.rid);
        this.waiters.delete(m.rid);
        w?.(m);
      });
    });
  }
  run<T>(job: object): Promise<T> {
    const rid = this.rid++;
    return new Promise((resolve, reject) => {
      this.waiters.set(rid, (m) => (m.ok ? resolve(m.result as T) : reject(new Error(m.error))));
      this.child.send({ rid, job });
    });
  }
}

function spawnWorker(): Worker {
  const child = fork(path.join(__dirname, 'bench-locks-worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Worker(child);
}

const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
function pct(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  return xs[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))] ?? NaN;
}
const median = (xs: number[]): number => pct(sorted(xs), 50);
const r2 = (x: number): number => Math.round(x * 100) / 100;

/** Linux's USER_HZ: /proc/PID/stat counts CPU time in these. */
const CLOCK_TICKS_PER_SEC = 100;

/** utime+stime of a process in clock ticks (Linux /proc). */
function cpuTicks(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]);
}

/** CPU time (utime+stime) of the cluster's live server processes, in ms. */
function serverCpuMs(cluster: CoordinatorCluster): number {
  let ticks = 0;
  for (const id of cluster.ids) {
    const pid = cluster.pid(id);
    if (pid !== undefined) ticks += cpuTicks(pid);
  }
  return ticks * (1000 / CLOCK_TICKS_PER_SEC);
}

/** A step's failure names the step, so a stopped run says where and why. */
async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw new Error(`step '${name}' failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

interface CpuPerOp {
  /** The three servers' CPU per operation, ms. */
  readonly serverMs: number;
  /** The benchmark clients' CPU per operation, ms. */
  readonly clientMs: number;
}

async function pairsRound(
  cluster: CoordinatorCluster,
  workers: Worker[],
  address: string,
  sessions: number,
  seconds: number,
  tag: string,
): Promise<{ pps: number; lat: number[]; cpu: CpuPerOp }> {
  const procs = Math.min(workers.length, Math.max(1, Math.ceil(sessions / 16)));
  const per = Math.ceil(sessions / procs);
  const server0 = serverCpuMs(cluster);
  const res = await Promise.all(
    workers.slice(0, procs).map((w, i) =>
      w.run<{ pairs: number; elapsedMs: number; latencies: number[]; cpuMs: number }>({
        kind: 'pairs', address, sessions: per, durationMs: seconds * 1000, prefix: `bench/${tag}/${i}`,
      }),
    ),
  );
  const serverMs = serverCpuMs(cluster) - server0;
  const pairs = res.reduce((a, r) => a + r.pairs, 0);
  const elapsed = Math.max(...res.map((r) => r.elapsedMs));
  const clientMs = res.reduce((a, r) => a + r.cpuMs, 0);
  return { pps: (pairs / elapsed) * 1000, lat: sorted(res.flatMap((r) => r.latencies)), cpu: { serverMs: serverMs / pairs, clientMs: clientMs / pairs } };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: {
      rounds: { type: 'string', default: '3' },
      seconds: { type: 'string', default: '3' },
      'skip-10k': { type: 'boolean', default: false },
      // Write a V8 CPU profile of every server process into this directory (for finding hot spots).
      profile: { type: 'string' },
    },
  });
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  if (!Number.isSafeInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got '${values.rounds}'`);
  if (!(seconds > 0)) throw new Error(`--seconds must be positive, got '${values.seconds}'`);
  const profile = values.profile;
  const cluster = await CoordinatorCluster.create({
    size: 3,
    logLevel: 'warn',
    ...(profile !== undefined ? { execArgv: ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profile)}`] } : {}),
  });
  const workers = [spawnWorker(), spawnWorker(), spawnWorker(), spawnWorker()];
  try {
    await cluster.startAll();
    await Promise.all(workers.map((w) => w.ready));
    let leader = await cluster.waitLeader();
    const address = cluster.address(leader);
    const log = (s: string): void => void process.stdout.write(`${s}\n`);
    await step('warmup', () => pairsRound(cluster, workers, address, 16, 1, 'warmup'));
    const acc: Record<string, number[]> = {
      p1: [], p16: [], p64: [], p50_1: [], p99_64: [], cg: [], ho: [],
      srv1: [], srv64: [], cli1: [], cli64: [], srvCg: [], cliCg: [],
    };
    const cpuText = (c: CpuPerOp, per: string): string => `server CPU ${r2(c.serverMs * 1000)} µs/${per}, client CPU ${r2(c.clientMs * 1000)} µs/${per}`;
    for (let r = 1; r <= rounds; r++) {
      for (const n of [1, 16, 64]) {
        const { pps, lat, cpu } = await step(`round ${r}, pairs with ${n} sessions`, () => pairsRound(cluster, workers, address, n, seconds, `r${r}n${n}`));
        acc[`p${n}`]?.push(pps);
        if (n === 1) acc['p50_1']?.push(pct(lat, 50));
        if (n === 64) acc['p99_64']?.push(pct(lat, 99));
        if (n !== 16) {
          acc[`srv${n}`]?.push(cpu.serverMs);
          acc[`cli${n}`]?.push(cpu.clientMs);
        }
        log(`round ${r} pairs with ${n} sessions: ${Math.round(pps)}/s, p50 ${r2(pct(lat, 50))} ms, p99 ${r2(pct(lat, 99))} ms, ${cpuText(cpu, 'pair')}`);
      }
      const server0 = serverCpuMs(cluster);
      const c = await step(`round ${r}, contended`, () =>
        workers[0]!.run<{ grants: number; elapsedMs: number; handoffs: number[]; outOfOrder: number; cpuMs: number }>({
          kind: 'contended', address, sessions: 32, durationMs: seconds * 1000, name: `bench/contended/${r}`,
        }),
      );
      const cgCpu: CpuPerOp = { serverMs: (serverCpuMs(cluster) - server0) / c.grants, clientMs: c.cpuMs / c.grants };
      const cgps = (c.grants / c.elapsedMs) * 1000;
      acc['cg']?.push(cgps);
      acc['ho']?.push(pct(sorted(c.handoffs), 50));
      acc['srvCg']?.push(cgCpu.serverMs);
      acc['cliCg']?.push(cgCpu.clientMs);
      log(
        `round ${r} contended (32 sessions, one resource): ${Math.round(cgps)} grants/s, handoff p50 ${r2(pct(sorted(c.handoffs), 50))} ms, ` +
          `tokens out of order ${c.outOfOrder}, ${cpuText(cgCpu, 'grant')}`,
      );
    }

    let leaderCpuPct10k = NaN;
    if (!values['skip-10k']) {
      const pid = cluster.pid(leader);
      await step('open 10,000 sessions', () => Promise.all(workers.map((w) => w.run({ kind: 'keepalive', address, sessions: 2500, ttlMs: 10_000 }))));
      log('10,000 sessions open and keeping alive (TTL 10 s); measuring leader CPU for 10 s');
      await new Promise((res) => setTimeout(res, 4000));
      if (pid !== undefined) {
        const t0 = cpuTicks(pid);
        const w0 = Date.now();
        await new Promise((res) => setTimeout(res, 10_000));
        const ticks = cpuTicks(pid) - t0;
        leaderCpuPct10k = ((ticks / 100) / ((Date.now() - w0) / 1000)) * 100;
      }
      log(`leader CPU with 10,000 sessions keeping alive: ${r2(leaderCpuPct10k)} % of a core`);
      await Promise.all(workers.map((w) => w.run({ kind: 'stopKeepalive' })));
    }

    if (profile !== undefined) {
      // A profile is written when a process exits normally: SIGTERM every node, no failover run.
      for (const id of cluster.ids) await cluster.kill(id, 'SIGTERM');
      log(`CPU profiles written to ${path.resolve(profile)} (the failover run is skipped when profiling)`);
      return;
    }
    leader = await cluster.waitLeader();
    await step('failover: hold', () => workers[1]!.run({ kind: 'hold', address: cluster.address(leader), name: 'bench/failover' }));
    const fo = workers[1]!.run<{ keepaliveMs: number; acquireMs: number }>({ kind: 'failover', endpoints: cluster.endpoints(), name: 'bench/failover' });
    await cluster.kill(leader);
    const f = await step('failover: resume and acquire', () => fo);
    const failoverMs = Math.max(f.keepaliveMs, f.acquireMs);
    log(`failover: keepalive acknowledged again after ${Math.round(f.keepaliveMs)} ms, new acquire after ${Math.round(f.acquireMs)} ms`);

    process.stdout.write(
      `${JSON.stringify({
        rounds,
        secondsPerRun: seconds,
        pairsPerSec1: Math.round(median(acc['p1'] ?? [])),
        pairsPerSec16: Math.round(median(acc['p16'] ?? [])),
        pairsPerSec64: Math.round(median(acc['p64'] ?? [])),
        pairP50Ms1: r2(median(acc['p50_1'] ?? [])),
        pairP99Ms64: r2(median(acc['p99_64'] ?? [])),
        contendedGrantsPerSec: Math.round(median(acc['cg'] ?? [])),
        handoffP50Ms: r2(median(acc['ho'] ?? [])),
        serverCpuUsPerPair1: r2(median(acc['srv1'] ?? []) * 1000),
        clientCpuUsPerPair1: r2(median(acc['cli1'] ?? []) * 1000),
        serverCpuUsPerPair64: r2(median(acc['srv64'] ?? []) * 1000),
        clientCpuUsPerPair64: r2(median(acc['cli64'] ?? []) * 1000),
        serverCpuUsPerContendedGrant: r2(median(acc['srvCg'] ?? []) * 1000),
        clientCpuUsPerContendedGrant: r2(median(acc['cliCg'] ?? []) * 1000),
        leaderCpuPct10k: r2(leaderCpuPct10k),
        failoverMs: Math.round(failoverMs),
      })}\n`,
    );
  } finally {
    for (const w of workers) w.child.kill('SIGKILL');
    await cluster.destroy();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench-locks: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
