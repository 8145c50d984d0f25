/**
 * A burst of session opens must not cost the leader its leadership (issue 9 §8). Four client
 * processes open 2,500 sessions each, 250 at a time, against a 3-node cluster of real server
 * processes with default timings. Required: the same leader in the same term before, during and
 * after the burst, and every open answered: opened, or refused with RESOURCE_EXHAUSTED and a
 * retry hint (then retried by the client after the hint); and every opened session, keeping alive
 * for a TTL after the burst, stays open. Reported: opens per second and the
 * leader's and the followers' longest event-loop stall during the burst, next to the election
 * timeout.
 *
 * Diagnostics (environment): BURST_CONCURRENCY (opens in flight per process, default 250),
 * BURST_DIR (keep data dirs and server logs there), BURST_PROF (write the servers' --cpu-prof
 * profiles there; the servers then stop with SIGTERM so the profiles are written).
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';
import type { BurstResult } from './helpers/open-burst-process';

jest.setTimeout(600_000);

const PROCESSES = 4;
const PER_PROCESS = 2_500;
// 4 x 500 in flight changed the leader about once in eleven runs. Found since (issue 9): heartbeats
// waited up to 1.5 s behind appends to a slow follower (now on their own connection), a flush
// encoded a whole backlog in one turn, and a burst's opens and applies ran in one turn each (now
// in slices). What remains is the leader's own loop under the flood of new streams (garbage
// collection was half of it in a profile on a saturated machine), so the suite stays at 4 x 250.
const CONCURRENCY = Number(process.env['BURST_CONCURRENCY'] ?? 250);
// Server defaults: 50 ms ticks, 12 election ticks: a follower campaigns after 600-1200 ms.
const TICK_MS = 50;
const ELECTION_TICKS = 12;
const SESSION_TTL_MS = 10_000; // the SDK's default; every session keeps alive at a third of it
const OPEN_TIMEOUT_MS = 120_000; // a bound against hangs; an open unanswered this long is a failure

let cluster: CoordinatorCluster;
const children: ChildProcess[] = [];

beforeAll(async () => {
  cluster = await CoordinatorCluster.create({ size: 3, ...(process.env['BURST_DIR'] ? { baseDir: process.env['BURST_DIR'] } : {}), ...(process.env['BURST_PROF'] ? { execArgv: ['--cpu-prof', '--cpu-prof-dir=' + process.env['BURST_PROF']] } : {}), args: ['--tick-ms', String(TICK_MS), '--election-ticks', String(ELECTION_TICKS), ...(process.env['BURST_ARGS'] ?? '').split(' ').filter((a) => a !== '')] });
  await cluster.startAll();
});

afterAll(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  if (process.env['BURST_PROF']) for (const id of cluster.ids) await cluster.kill(id, 'SIGTERM');
  await cluster.destroy();
});

interface Worker {
  child: ChildProcess;
  ready: Promise<void>;
  result: Promise<BurstResult>;
  report(): Promise<BurstResult>;
}

function startWorker(address: string): Worker {
  const script = path.join(__dirname, '..', 'dist', 'helpers', 'open-burst-process.js');
  const child = fork(script, [address, String(PER_PROCESS), String(CONCURRENCY), String(SESSION_TTL_MS), String(OPEN_TIMEOUT_MS)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  let readyFn: () => void = () => undefined;
  const ready = new Promise<void>((r) => (readyFn = r));
  let reportFn: (r: BurstResult) => void = () => undefined;
  const result = new Promise<BurstResult>((resolve, reject) => {
    child.on('message', (m: { type: string; result?: BurstResult }) => {
      if (m.type === 'ready') readyFn();
      if (m.type === 'result' && m.result) resolve(m.result);
      if (m.type === 'report' && m.result) reportFn(m.result);
    });
    child.once('exit', (code) => reject(new Error(`burst worker exited with ${String(code)} before reporting`)));
  });
  const report = (): Promise<BurstResult> =>
    new Promise((resolve) => {
      reportFn = resolve;
      child.send('report');
    });
  return { child, ready, result, report };
}

it(`${PROCESSES * PER_PROCESS} session opens in a burst from ${PROCESSES} processes keep the leader, and every open is answered`, async () => {
  const leader = await cluster.waitLeader();
  const before = await cluster.status(leader, 5000, { resetLoopStall: true });
  const followers = cluster.ids.filter((id) => id !== leader);
  for (const id of followers) await cluster.status(id, 5000, { resetLoopStall: true });
  const workers = Array.from({ length: PROCESSES }, () => startWorker(cluster.address(leader)));
  await Promise.all(workers.map((w) => w.ready));

  // Watch every node's view while the burst runs: a leader change that heals before the end
  // still shows as a term change.
  const seen = new Set<string>();
  let watching = true;
  const watch = (async () => {
    while (watching) {
      for (const id of cluster.ids) {
        const st = await cluster.status(id, 2000).catch(() => null);
        if (st !== null && st.leaderId !== '') seen.add(`${st.leaderId}/t${st.term}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();

  for (const w of workers) w.child.send('go');
  const burst = await Promise.all(workers.map((w) => w.result));
  const afterBurst = await cluster.status(leader, 5000);
  const followerStalls = await Promise.all(followers.map(async (id) => (await cluster.status(id, 5000)).maxLoopStallMs));
  // Then a full TTL with every session keeping alive: none may be lost, the leader stays.
  await new Promise((r) => setTimeout(r, SESSION_TTL_MS));
  const results = await Promise.all(workers.map((w) => w.report()));
  watching = false;
  await watch;
  const after = await cluster.status(leader, 5000);
  for (const w of workers) w.child.send('stop');

  const opened = results.reduce((n, r) => n + r.opened, 0);
  const refusals = results.reduce((n, r) => n + r.refusals, 0);
  const failures = results.flatMap((r) => r.failures);
  const timeouts = results.reduce((n, r) => n + r.timeouts, 0);
  const lost = results.flatMap((r) => r.lost);
  const seconds = (Math.max(...burst.map((r) => r.lastEnd)) - Math.min(...burst.map((r) => r.firstStart))) / 1000;
  const figures = {
    opens: opened,
    seconds: Math.round(seconds * 10) / 10,
    opensPerSec: Math.round(opened / seconds),
    retryableRefusals: refusals,
    maxRetryAfterMs: Math.max(...results.map((r) => r.maxRetryAfterMs)),
    leaderMaxLoopStallMs: afterBurst.maxLoopStallMs,
    leaderMaxLoopStallWithKeepalivesMs: after.maxLoopStallMs,
    followersMaxLoopStallMs: Math.max(...followerStalls),
    electionTimeoutMs: `${TICK_MS * ELECTION_TICKS}-${2 * TICK_MS * ELECTION_TICKS}`,
    leaders: [...seen],
    burstStartedAt: Math.min(...burst.map((r) => r.firstStart)),
    failures: failures.length,
    timeouts,
    lostAfterOpen: lost.length,
  };
  // The figures the issue asks for, visible in the test output.
  console.log(`open burst: ${JSON.stringify(figures)}`);

  expect(failures.slice(0, 5)).toEqual([]);
  expect(timeouts).toBe(0);
  expect(lost.slice(0, 5)).toEqual([]);
  expect(opened).toBe(PROCESSES * PER_PROCESS);
  expect([...seen]).toEqual([`${leader}/t${before.term}`]);
  expect({ leader: after.leaderId, term: after.term }).toEqual({ leader, term: before.term });
  expect(after.sessions).toBeGreaterThanOrEqual(PROCESSES * PER_PROCESS);
});
