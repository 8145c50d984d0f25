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
 *   acquire succeeds (once per run: it kills the leader).
 * The last line of output is one JSON object.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';

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

/** utime+stime of a process in clock ticks (Linux /proc). */
function cpuTicks(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]);
}

async function pairsRound(workers: Worker[], address: string, sessions: number, seconds: number, tag: string): Promise<{ pps: number; lat: number[] }> {
  const procs = Math.min(workers.length, Math.max(1, Math.ceil(sessions / 16)));
  const per = Math.ceil(sessions / procs);
  const res = await Promise.all(
    workers.slice(0, procs).map((w, i) =>
      w.run<{ pairs: number; elapsedMs: number; latencies: number[] }>({ kind: 'pairs', address, sessions: per, durationMs: seconds * 1000, prefix: `bench/${tag}/${i}` }),
    ),
  );
  const pairs = res.reduce((a, r) => a + r.pairs, 0);
  const elapsed = Math.max(...res.map((r) => r.elapsedMs));
  return { pps: (pairs / elapsed) * 1000, lat: sorted(res.flatMap((r) => r.latencies)) };
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
    await pairsRound(workers, address, 16, 1, 'warmup');
    const acc: Record<string, number[]> = { p1: [], p16: [], p64: [], p50_1: [], p99_64: [], cg: [], ho: [] };
    for (let r = 1; r <= rounds; r++) {
      for (const n of [1, 16, 64]) {
        const { pps, lat } = await pairsRound(workers, address, n, seconds, `r${r}n${n}`);
        acc[`p${n}`]?.push(pps);
        if (n === 1) acc['p50_1']?.push(pct(lat, 50));
        if (n === 64) acc['p99_64']?.push(pct(lat, 99));
        log(`round ${r} pairs with ${n} sessions: ${Math.round(pps)}/s, p50 ${r2(pct(lat, 50))} ms, p99 ${r2(pct(lat, 99))} ms`);
      }
      const c = await workers[0]!.run<{ grants: number; elapsedMs: number; handoffs: number[]; outOfOrder: number }>({
        kind: 'contended', address, sessions: 32, durationMs: seconds * 1000, name: `bench/contended/${r}`,
      });
      const cgps = (c.grants / c.elapsedMs) * 1000;
      acc['cg']?.push(cgps);
      acc['ho']?.push(pct(sorted(c.handoffs), 50));
      log(`round ${r} contended (32 sessions, one resource): ${Math.round(cgps)} grants/s, handoff p50 ${r2(pct(sorted(c.handoffs), 50))} ms, tokens out of order ${c.outOfOrder}`);
    }

    let leaderCpuPct10k = NaN;
    if (!values['skip-10k']) {
      const pid = cluster.pid(leader);
      await Promise.all(workers.map((w) => w.run({ kind: 'keepalive', address, sessions: 2500, ttlMs: 10_000 })));
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
    await workers[1]!.run({ kind: 'hold', address: cluster.address(leader), name: 'bench/failover' });
    const fo = workers[1]!.run<{ keepaliveMs: number; acquireMs: number }>({ kind: 'failover', endpoints: cluster.endpoints(), name: 'bench/failover' });
    await cluster.kill(leader);
    const f = await fo;
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
