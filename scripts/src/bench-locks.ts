#!/usr/bin/env node
/**
 * `pnpm bench:locks [-- --rounds N --seconds S --keepalive-sessions N --skip-10k --profile DIR]`: a 3-node quorumlock cluster of real
 * processes (default settings, fsync on) and benchmark clients in separate processes speaking
 * lock.proto over streams. Figures are medians over rounds, measured side by side in one run:
 * - pairsPerSec{1,16,64}, pairP50Ms1, pairP99Ms64: acquire+release pairs, each session on its
 *   own resource (1, 16 and 64 sessions spread over client processes);
 * - contendedGrantsPerSec, handoffP50Ms: 32 sessions queueing on one resource; a handoff is from
 *   a release to the next grant;
 * - opensPerSec: sessions opened per second from one process with 200 opens in flight, each on
 *   its own stream (2,000 per round);
 * - leaderCpuPctKeepalive, keepaliveSessions, keepaliveExpirations: leader CPU (% of one core)
 *   while `--keepalive-sessions` sessions (default 10,000) keep alive at a 10 s TTL, and how many
 *   of them the servers expired or the clients saw end meanwhile (the aim is 0);
 * - failoverMs: leader SIGKILL until a held session's keepalive is acknowledged again and a new
 *   acquire succeeds (once per run: it kills the leader);
 * - commitMs1, fsyncLeaderMs1, fsyncFollowerMs1, commitMsContended, fsyncFollowerMsContended: where a
 *   commit's time goes with 1 session and in the contended round, from the servers' histograms
 *   (leader propose → applied, and synced writes on the leader and the followers);
 * - serverCpuUsPerPair*, clientCpuUsPerPair*, *PerContendedGrant: the three servers' CPU
 *   (utime+stime) and the benchmark clients' CPU per pair or grant, as etcd's benchmarks report.
 * Every session keeps alive at TTL/3 as the SDK does, so rounds of any length work and the figures
 * include keepalive traffic. A failure names the step and the status it got.
 * The last line of output is one JSON object.
 */
import * as path from 'node:path';
import { type CommitBreakdown, breakdown, commitTotals } from './bench/commit-breakdown';
import { counterSum } from './bench/prom-text';
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';
import {
  type CpuPerOp, type KeepaliveLoad, type Target, type Worker, contendedRound, failoverRun, keepaliveLeaderCpu, median, opensRound, pairsRound, pct, r2, spawnWorker, step, benchArgs } from './bench/harness';

/** The open-rate workload: sessions per round, and opens outstanding at once from one process. */
const OPENS_PER_ROUND = 2000;
const OPENS_IN_FLIGHT = 200;

const log = (s: string): void => void process.stdout.write(`${s}\n`);
const cpuText = (c: CpuPerOp, per: string): string => `server CPU ${r2(c.serverMs * 1000)} µs/${per}, client CPU ${r2(c.clientMs * 1000)} µs/${per}`;

type Samples = Record<
  | 'p1' | 'p16' | 'p64' | 'p50_1' | 'p99_64' | 'cg' | 'ho' | 'srv1' | 'srv64' | 'cli1' | 'cli64' | 'srvCg' | 'cliCg' | 'opens' | 'srvOpen'
  | 'commit1' | 'fsyncL1' | 'fsyncF1' | 'commitCg' | 'fsyncLCg' | 'fsyncFCg',
  number[]
>;

/** The servers' metrics addresses: the leader's and the followers'. */
interface MetricsAddresses {
  readonly leader: string;
  readonly followers: readonly string[];
}

/** Runs `run` and reports the mean commit breakdown over it (commit-breakdown.ts). */
async function withBreakdown<T>(m: MetricsAddresses, run: () => Promise<T>): Promise<[T, CommitBreakdown]> {
  const before = await commitTotals(m.leader, m.followers);
  const result = await run();
  return [result, breakdown(before, await commitTotals(m.leader, m.followers))];
}

const breakdownText = (b: CommitBreakdown): string =>
  `commit (leader propose → applied) ${r2(b.commitMs)} ms, fsync leader ${r2(b.leaderFsyncMs)} ms, followers ${r2(b.followerFsyncMs)} ms`;

/** One round: pairs at 1, 16 and 64 sessions, the contended lock, then the open rate. */
async function round(r: number, workers: readonly Worker[], target: Target, m: MetricsAddresses, seconds: number, acc: Samples): Promise<void> {
  for (const n of [1, 16, 64] as const) {
    const [{ pps, lat, cpu }, b] = await withBreakdown(m, () => step(`round ${r}, pairs with ${n} sessions`, () => pairsRound(workers, target, n, seconds, `r${r}n${n}`)));
    if (n === 1) {
      acc.commit1.push(b.commitMs);
      acc.fsyncL1.push(b.leaderFsyncMs);
      acc.fsyncF1.push(b.followerFsyncMs);
      log(`round ${r} breakdown with 1 session: ${breakdownText(b)}`);
    }
    acc[`p${n}`].push(pps);
    if (n === 1) acc.p50_1.push(pct(lat, 50));
    if (n === 64) acc.p99_64.push(pct(lat, 99));
    if (n !== 16) {
      acc[`srv${n}`].push(cpu.serverMs);
      acc[`cli${n}`].push(cpu.clientMs);
    }
    log(`round ${r} pairs with ${n} sessions: ${Math.round(pps)}/s, p50 ${r2(pct(lat, 50))} ms, p99 ${r2(pct(lat, 99))} ms, ${cpuText(cpu, 'pair')}`);
  }
  const [c, cb] = await withBreakdown(m, () => step(`round ${r}, contended`, () => contendedRound(workers[0]!, target, 32, seconds, `bench/contended/${r}`)));
  acc.commitCg.push(cb.commitMs);
  acc.fsyncLCg.push(cb.leaderFsyncMs);
  acc.fsyncFCg.push(cb.followerFsyncMs);
  acc.cg.push(c.gps);
  acc.ho.push(c.handoffP50);
  acc.srvCg.push(c.cpu.serverMs);
  acc.cliCg.push(c.cpu.clientMs);
  log(
    `round ${r} contended (32 sessions, one resource): ${Math.round(c.gps)} grants/s, handoff p50 ${r2(c.handoffP50)} ms, ` +
      `tokens out of order ${c.outOfOrder}, ${cpuText(c.cpu, 'grant')}; ${breakdownText(cb)}`,
  );
  const o = await step(`round ${r}, session opens`, () => opensRound(workers[0]!, target, OPENS_PER_ROUND, OPENS_IN_FLIGHT));
  acc.opens.push(o.ops);
  acc.srvOpen.push(o.cpu.serverMs);
  log(`round ${r} session opens (${OPENS_PER_ROUND}, ${OPENS_IN_FLIGHT} in flight): ${Math.round(o.ops)}/s, ${cpuText(o.cpu, 'open')}`);
}

async function keepaliveStep(workers: readonly Worker[], target: Target, leaderPid: number | undefined, sessions: number): Promise<KeepaliveLoad> {
  if (leaderPid === undefined) throw new Error('the leader has no process');
  const n = sessions.toLocaleString('en-US');
  log(`opening ${n} sessions keeping alive (TTL 10 s); measuring leader CPU for 10 s`);
  const ka = await step(`${n} sessions keeping alive`, () => keepaliveLeaderCpu(workers, target, leaderPid, sessions));
  log(
    `leader CPU with ${n} sessions keeping alive: ${r2(ka.leaderCpuPct)} % of a core; ` +
      `sessions expired by the servers ${ka.expirations}, ended on the clients ${ka.endedSessions}, keepalives refused ${ka.failedKeepalives}`,
  );
  return ka;
}

/** The figures of the last line: medians over rounds. */
function figures(acc: Samples, ka: KeepaliveLoad | null, keepaliveSessions: number): Record<string, number | null> {
  const med = (xs: number[], scale = 1): number => r2(median(xs) * scale);
  return {
    pairsPerSec1: Math.round(median(acc.p1)),
    pairsPerSec16: Math.round(median(acc.p16)),
    pairsPerSec64: Math.round(median(acc.p64)),
    pairP50Ms1: med(acc.p50_1),
    pairP99Ms64: med(acc.p99_64),
    contendedGrantsPerSec: Math.round(median(acc.cg)),
    handoffP50Ms: med(acc.ho),
    serverCpuUsPerPair1: med(acc.srv1, 1000),
    clientCpuUsPerPair1: med(acc.cli1, 1000),
    serverCpuUsPerPair64: med(acc.srv64, 1000),
    clientCpuUsPerPair64: med(acc.cli64, 1000),
    serverCpuUsPerContendedGrant: med(acc.srvCg, 1000),
    clientCpuUsPerContendedGrant: med(acc.cliCg, 1000),
    commitMs1: med(acc.commit1),
    fsyncLeaderMs1: med(acc.fsyncL1),
    fsyncFollowerMs1: med(acc.fsyncF1),
    commitMsContended: med(acc.commitCg),
    fsyncFollowerMsContended: med(acc.fsyncFCg),
    opensPerSec: Math.round(median(acc.opens)),
    serverCpuUsPerOpen: med(acc.srvOpen, 1000),
    keepaliveSessions: ka === null ? 0 : keepaliveSessions,
    leaderCpuPctKeepalive: ka === null ? null : r2(ka.leaderCpuPct),
    keepaliveExpirations: ka?.expirations ?? null,
    keepaliveSessionsEnded: ka?.endedSessions ?? null,
    keepalivesRefused: ka?.failedKeepalives ?? null,
  };
}

async function main(): Promise<void> {
  const { rounds, seconds, skip10k, keepaliveSessions, profile } = benchArgs(process.argv.slice(2), true);
  const cluster = await CoordinatorCluster.create({
    size: 3,
    logLevel: 'warn',
    metrics: true,
    ...(profile !== undefined ? { execArgv: ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profile)}`] } : {}),
  });
  const workers = [spawnWorker(), spawnWorker(), spawnWorker(), spawnWorker()];
  try {
    await cluster.startAll();
    await Promise.all(workers.map((w) => w.ready));
    let leader = await cluster.waitLeader();
    const target: Target = {
      system: 'quorumlock',
      address: cluster.address(leader),
      serverPids: () => cluster.ids.map((id) => cluster.pid(id)).filter((p): p is number => p !== undefined),
      expirations: async () => counterSum(await (await fetch(`http://${cluster.metricsAddress(leader)}/metrics`)).text(), 'quorumlock_session_expirations_total'),
    };
    await step('warmup', () => pairsRound(workers, target, 16, 1, 'warmup'));
    const acc: Samples = {
      p1: [], p16: [], p64: [], p50_1: [], p99_64: [], cg: [], ho: [],
      srv1: [], srv64: [], cli1: [], cli64: [], srvCg: [], cliCg: [], opens: [], srvOpen: [],
      commit1: [], fsyncL1: [], fsyncF1: [], commitCg: [], fsyncLCg: [], fsyncFCg: [],
    };
    const m: MetricsAddresses = { leader: cluster.metricsAddress(leader), followers: cluster.ids.filter((id) => id !== leader).map((id) => cluster.metricsAddress(id)) };
    for (let r = 1; r <= rounds; r++) await round(r, workers, target, m, seconds, acc);
    const ka = skip10k ? null : await keepaliveStep(workers, target, cluster.pid(leader), keepaliveSessions);

    if (profile !== undefined) {
      // A profile is written when a process exits normally: SIGTERM every node, no failover run.
      for (const id of cluster.ids) await cluster.kill(id, 'SIGTERM');
      log(`CPU profiles written to ${path.resolve(profile)} (the failover run is skipped when profiling)`);
      return;
    }
    leader = await cluster.waitLeader();
    const dead = leader;
    const f = await failoverRun(workers[1]!, { ...target, address: cluster.address(leader) }, cluster.endpoints(), () => cluster.kill(dead));
    log(`failover: keepalive acknowledged again after ${Math.round(f.keepaliveMs)} ms, new acquire after ${Math.round(f.acquireMs)} ms`);
    const failoverMs = Math.round(Math.max(f.keepaliveMs, f.acquireMs));
    process.stdout.write(`${JSON.stringify({ rounds, secondsPerRun: seconds, ...figures(acc, ka, keepaliveSessions), failoverMs })}\n`);
  } finally {
    for (const w of workers) w.child.kill('SIGKILL');
    await cluster.destroy();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench-locks: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
