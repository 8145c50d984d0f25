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
import * as path from 'node:path';
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';
import {
  type CpuPerOp, type Target, contendedRound, failoverRun, keepaliveLeaderCpu, median, pairsRound, pct, r2, spawnWorker, step, benchArgs } from './bench/harness';

async function main(): Promise<void> {
  const { rounds, seconds, skip10k, profile } = benchArgs(process.argv.slice(2), true);
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
    const target: Target = {
      system: 'quorumlock',
      address,
      serverPids: () => cluster.ids.map((id) => cluster.pid(id)).filter((p): p is number => p !== undefined),
    };
    const log = (s: string): void => void process.stdout.write(`${s}\n`);
    await step('warmup', () => pairsRound(workers, target, 16, 1, 'warmup'));
    const acc: Record<string, number[]> = {
      p1: [], p16: [], p64: [], p50_1: [], p99_64: [], cg: [], ho: [],
      srv1: [], srv64: [], cli1: [], cli64: [], srvCg: [], cliCg: [],
    };
    const cpuText = (c: CpuPerOp, per: string): string => `server CPU ${r2(c.serverMs * 1000)} µs/${per}, client CPU ${r2(c.clientMs * 1000)} µs/${per}`;
    for (let r = 1; r <= rounds; r++) {
      for (const n of [1, 16, 64]) {
        const { pps, lat, cpu } = await step(`round ${r}, pairs with ${n} sessions`, () => pairsRound(workers, target, n, seconds, `r${r}n${n}`));
        acc[`p${n}`]?.push(pps);
        if (n === 1) acc['p50_1']?.push(pct(lat, 50));
        if (n === 64) acc['p99_64']?.push(pct(lat, 99));
        if (n !== 16) {
          acc[`srv${n}`]?.push(cpu.serverMs);
          acc[`cli${n}`]?.push(cpu.clientMs);
        }
        log(`round ${r} pairs with ${n} sessions: ${Math.round(pps)}/s, p50 ${r2(pct(lat, 50))} ms, p99 ${r2(pct(lat, 99))} ms, ${cpuText(cpu, 'pair')}`);
      }
      const c = await step(`round ${r}, contended`, () => contendedRound(workers[0]!, target, 32, seconds, `bench/contended/${r}`));
      const cgCpu = c.cpu;
      const cgps = c.gps;
      acc['cg']?.push(cgps);
      acc['ho']?.push(c.handoffP50);
      acc['srvCg']?.push(cgCpu.serverMs);
      acc['cliCg']?.push(cgCpu.clientMs);
      log(
        `round ${r} contended (32 sessions, one resource): ${Math.round(cgps)} grants/s, handoff p50 ${r2(c.handoffP50)} ms, ` +
          `tokens out of order ${c.outOfOrder}, ${cpuText(cgCpu, 'grant')}`,
      );
    }

    let leaderCpuPct10k = NaN;
    if (!skip10k) {
      const pid = cluster.pid(leader);
      if (pid === undefined) throw new Error(`leader ${leader} has no process`);
      log('opening 10,000 sessions keeping alive (TTL 10 s); measuring leader CPU for 10 s');
      leaderCpuPct10k = await step('10,000 sessions keeping alive', () => keepaliveLeaderCpu(workers, target, pid));
      log(`leader CPU with 10,000 sessions keeping alive: ${r2(leaderCpuPct10k)} % of a core`);
    }

    if (profile !== undefined) {
      // A profile is written when a process exits normally: SIGTERM every node, no failover run.
      for (const id of cluster.ids) await cluster.kill(id, 'SIGTERM');
      log(`CPU profiles written to ${path.resolve(profile)} (the failover run is skipped when profiling)`);
      return;
    }
    leader = await cluster.waitLeader();
    const dead = leader;
    const f = await failoverRun(workers[1]!, { ...target, address: cluster.address(leader) }, cluster.endpoints(), () => cluster.kill(dead));
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
