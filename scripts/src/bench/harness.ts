import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { SystemName } from './bench-session';

/** A benchmark client process (bench-locks-worker.js), driven over IPC one job at a time. */
export class Worker {
  private rid = 1;
  private readonly waiters = new Map<number, (m: { ok: boolean; result?: unknown; error?: string }) => void>();
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

export function spawnWorker(): Worker {
  const child = fork(path.join(__dirname, '..', 'bench-locks-worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Worker(child);
}

export const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);
export function pct(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  return xs[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))] ?? NaN;
}
export const median = (xs: readonly number[]): number => pct(sorted(xs), 50);
export const r2 = (x: number): number => Math.round(x * 100) / 100;
export const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

/** Linux's USER_HZ: /proc/PID/stat counts CPU time in these. */
const CLOCK_TICKS_PER_SEC = 100;

/** utime+stime of a process in ms (Linux /proc); 0 once it is gone. */
export function cpuMsOf(pid: number): number {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 0;
  }
  const fields = stat.split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * (1000 / CLOCK_TICKS_PER_SEC);
}

/** A step's failure names the step, so a stopped run says where and why. */
export async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw new Error(`step '${name}' failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** CPU per operation, in ms: the three servers' together, and the benchmark clients'. */
export interface CpuPerOp {
  readonly serverMs: number;
  readonly clientMs: number;
}

/** What a round measures against: which system, where its leader listens, its server pids. */
export interface Target {
  readonly system: SystemName;
  readonly address: string;
  readonly serverPids: () => readonly number[];
  /** Sessions the servers expired for want of keepalives so far (quorumlock's metric), when known. */
  readonly expirations?: () => Promise<number>;
}

const serverCpuMs = (t: Target): number => t.serverPids().reduce((a, pid) => a + cpuMsOf(pid), 0);

/** Uncontended acquire+release pairs, each session on its own lock, spread over up to 4 processes. */
export async function pairsRound(
  workers: readonly Worker[],
  t: Target,
  sessions: number,
  seconds: number,
  tag: string,
): Promise<{ pps: number; lat: number[]; cpu: CpuPerOp }> {
  const procs = Math.min(workers.length, Math.max(1, Math.ceil(sessions / 16)));
  const per = Math.ceil(sessions / procs);
  const server0 = serverCpuMs(t);
  const res = await Promise.all(
    workers.slice(0, procs).map((w, i) =>
      w.run<{ pairs: number; elapsedMs: number; latencies: number[]; cpuMs: number }>({
        system: t.system, kind: 'pairs', address: t.address, sessions: per, durationMs: seconds * 1000, prefix: `bench/${tag}/${i}`,
      }),
    ),
  );
  const serverMs = serverCpuMs(t) - server0;
  const pairs = res.reduce((a, r) => a + r.pairs, 0);
  const elapsed = Math.max(...res.map((r) => r.elapsedMs));
  const clientMs = res.reduce((a, r) => a + r.cpuMs, 0);
  return { pps: (pairs / elapsed) * 1000, lat: sorted(res.flatMap((r) => r.latencies)), cpu: { serverMs: serverMs / pairs, clientMs: clientMs / pairs } };
}

/** `sessions` sessions of one process queueing on one lock; a handoff is from a release to the next grant. */
export async function contendedRound(
  worker: Worker,
  t: Target,
  sessions: number,
  seconds: number,
  name: string,
): Promise<{ gps: number; handoffP50: number; outOfOrder: number; cpu: CpuPerOp }> {
  const server0 = serverCpuMs(t);
  const c = await worker.run<{ grants: number; elapsedMs: number; handoffs: number[]; outOfOrder: number; cpuMs: number }>({
    system: t.system, kind: 'contended', address: t.address, sessions, durationMs: seconds * 1000, name,
  });
  return {
    gps: (c.grants / c.elapsedMs) * 1000,
    handoffP50: pct(sorted(c.handoffs), 50),
    outOfOrder: c.outOfOrder,
    cpu: { serverMs: (serverCpuMs(t) - server0) / c.grants, clientMs: c.cpuMs / c.grants },
  };
}

/** `sessions` sessions opened from one process with `inFlight` opens outstanding at a time. */
export async function opensRound(worker: Worker, t: Target, sessions: number, inFlight: number): Promise<{ ops: number; cpu: CpuPerOp }> {
  const server0 = serverCpuMs(t);
  const o = await worker.run<{ opens: number; elapsedMs: number; cpuMs: number }>({ system: t.system, kind: 'opens', address: t.address, sessions, inFlight });
  const serverMs = serverCpuMs(t) - server0;
  // Closed outside the measurement: the figure is what opening costs.
  await worker.run({ kind: 'closeOpened' });
  return { ops: (o.opens / o.elapsedMs) * 1000, cpu: { serverMs: serverMs / o.opens, clientMs: o.cpuMs / o.opens } };
}

export interface KeepaliveLoad {
  /** Leader CPU in % of one core over the measured 10 s. */
  readonly leaderCpuPct: number;
  /** Sessions whose stream ended, and keepalives refused, on the client side. */
  readonly endedSessions: number;
  readonly failedKeepalives: number;
  /** Sessions the servers expired meanwhile (NaN where the target cannot tell). */
  readonly expirations: number;
}

/**
 * `sessions` sessions spread over the workers keeping alive at TTL/3 with a 10 s TTL: the
 * leader's CPU, in % of one core, over 10 s after a 4 s settle, and whether any session was lost.
 */
export async function keepaliveLeaderCpu(workers: readonly Worker[], t: Target, leaderPid: number, sessions = 10_000): Promise<KeepaliveLoad> {
  const per = Math.ceil(sessions / workers.length);
  const expired0 = (await t.expirations?.()) ?? NaN;
  await Promise.all(workers.map((w) => w.run({ system: t.system, kind: 'keepalive', address: t.address, sessions: per, ttlMs: 10_000 })));
  let leaderCpuPct = NaN;
  let failure: unknown = null;
  try {
    await sleep(4000);
    const c0 = cpuMsOf(leaderPid);
    const w0 = performance.now();
    await sleep(10_000);
    leaderCpuPct = ((cpuMsOf(leaderPid) - c0) / (performance.now() - w0)) * 100;
  } catch (e) {
    failure = e;
  }
  // Stopped either way: thousands of sessions left keeping alive would skew every later step.
  const stopped = await Promise.all(workers.map((w) => w.run<{ ended: number; keepaliveFailures: number }>({ kind: 'stopKeepalive' })));
  if (failure !== null) throw failure;
  return {
    leaderCpuPct,
    endedSessions: stopped.reduce((a, x) => a + x.ended, 0),
    failedKeepalives: stopped.reduce((a, x) => a + x.keepaliveFailures, 0),
    expirations: ((await t.expirations?.()) ?? NaN) - expired0,
  };
}


/**
 * A session holds a lock; the leader is SIGKILLed (`kill`); resolves with the time until the
 * session's keepalive was acknowledged again and a new acquire succeeded, whichever is later.
 */
export async function failoverRun(
  worker: Worker,
  t: Target,
  endpoints: readonly string[],
  kill: () => Promise<void>,
): Promise<{ keepaliveMs: number; acquireMs: number }> {
  await step('failover: hold', () => worker.run({ system: t.system, kind: 'hold', address: t.address, name: 'bench/failover' }));
  const fo = worker.run<{ keepaliveMs: number; acquireMs: number }>({ system: t.system, kind: 'failover', endpoints, name: 'bench/failover' });
  await kill();
  return step('failover: recover and acquire', () => fo);
}

export interface BenchArgs {
  readonly rounds: number;
  readonly seconds: number;
  readonly skip10k: boolean;
  /** bench:locks only: how many sessions the keepalive step keeps alive. */
  readonly keepaliveSessions: number;
  /** bench:locks only: write V8 CPU profiles of the servers into this directory. */
  readonly profile: string | undefined;
}

/** The flags both benchmarks take; a bad value is refused, naming it. */
export function benchArgs(argv: readonly string[], allowProfile: boolean): BenchArgs {
  const { values } = parseArgs({
    args: argv.filter((a) => a !== '--'),
    options: {
      rounds: { type: 'string', default: '3' },
      seconds: { type: 'string', default: '3' },
      'skip-10k': { type: 'boolean', default: false },
      ...(allowProfile ? { profile: { type: 'string' as const }, 'keepalive-sessions': { type: 'string' as const, default: '10000' } } : {}),
    },
  });
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  if (!Number.isSafeInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got '${values.rounds}'`);
  if (!(seconds > 0)) throw new Error(`--seconds must be positive, got '${values.seconds}'`);
  const { profile, 'keepalive-sessions': kaText = '10000' } = values as { profile?: string; 'keepalive-sessions'?: string };
  const keepaliveSessions = Number(kaText);
  if (!Number.isSafeInteger(keepaliveSessions) || keepaliveSessions < 1) throw new Error(`--keepalive-sessions must be a positive integer, got '${kaText}'`);
  return { rounds, seconds, skip10k: values['skip-10k'] === true, keepaliveSessions, profile };
}
