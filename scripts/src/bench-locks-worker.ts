#!/usr/bin/env node
/**
 * A benchmark client process for `pnpm bench:locks` and `pnpm bench:compare`. It speaks
 * lock.proto directly over gRPC streams (one stream per session), or etcd's lease and v3lock
 * services (one lease per session, keepalives multiplexed on one stream per process, as clientv3
 * does): the job's `system` says which. Driven over IPC with one job at a time:
 * - pairs: S sessions, each on its own resource, loop acquire+release for D ms;
 * - contended: S sessions on ONE resource, each re-queues at once after its release;
 * - opens: S sessions opened with at most F in flight at once (the open rate), then closed;
 * - keepalive: S idle sessions keeping alive at TTL/3 until told to stop, which reports how many
 *   of them ended or had a keepalive refused meanwhile;
 * - hold: one session holds a lock and keeps alive; on `failover` it measures how long until a
 *   keepalive is acknowledged again (after resuming on the new leader) and a new acquire succeeds.
 */
import type { BenchSession, SystemName } from './bench/bench-session';
import { EtcdSession, closeEtcdConnections } from './bench/etcd-session';
import { QuorumlockSession } from './bench/quorumlock-session';

const now = (): number => performance.timeOrigin + performance.now();

/** `channel` picks one of several connections, for loads beyond one connection's stream limit. */
function newSession(system: SystemName, address: string, channel = 0): BenchSession {
  return system === 'etcd' ? new EtcdSession(address) : new QuorumlockSession(address, channel);
}

/** Sessions per client connection in the keepalive job: within the server's --max-streams-per-connection. */
const SESSIONS_PER_CONNECTION = 5000;
/** Sessions the keepalive job starts and opens at once, per process. */
const KEEPALIVE_OPEN_WAVE = 200;

type Job = { system?: SystemName } & (
  | { kind: 'pairs'; address: string; sessions: number; durationMs: number; prefix: string }
  | { kind: 'contended'; address: string; sessions: number; durationMs: number; name: string }
  | { kind: 'opens'; address: string; sessions: number; inFlight: number }
  | { kind: 'closeOpened' }
  | { kind: 'keepalive'; address: string; sessions: number; ttlMs: number }
  | { kind: 'stopKeepalive' }
  | { kind: 'hold'; address: string; name: string }
  | { kind: 'failover'; endpoints: string[]; name: string }
);

let idle: BenchSession[] = [];
let idleTimer: NodeJS.Timeout | null = null;
let keepaliveFailures = 0;
let holder: BenchSession | null = null;

const SESSION_TTL_MS = 10_000;

/** Sessions opened and kept alive at TTL/3, as the SDK keeps them. */
async function openSessions(system: SystemName, address: string, n: number): Promise<BenchSession[]> {
  const sessions = Array.from({ length: n }, () => newSession(system, address));
  await Promise.all(sessions.map((s) => s.open(SESSION_TTL_MS)));
  for (const s of sessions) s.keepAlive(SESSION_TTL_MS);
  return sessions;
}

/** This process's CPU time (user+system) in ms since `from`. */
const cpuMsSince = (from: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};

async function pairs(job: Extract<Job, { kind: 'pairs' }>): Promise<unknown> {
  const sessions = await openSessions(job.system ?? 'quorumlock', job.address, job.sessions);
  const cpu0 = process.cpuUsage();
  const latencies: number[] = [];
  const end = now() + job.durationMs;
  const start = now();
  await Promise.all(
    sessions.map(async (s, i) => {
      const name = `${job.prefix}/${i}`;
      while (now() < end) {
        const t0 = now();
        const token = await s.lock(name);
        await s.release(name, token);
        latencies.push(now() - t0);
      }
    }),
  );
  const elapsedMs = now() - start;
  const cpuMs = cpuMsSince(cpu0);
  await Promise.all(sessions.map((s) => s.close()));
  return { pairs: latencies.length, elapsedMs, latencies, cpuMs };
}

async function contended(job: Extract<Job, { kind: 'contended' }>): Promise<unknown> {
  const sessions = await openSessions(job.system ?? 'quorumlock', job.address, job.sessions);
  const cpu0 = process.cpuUsage();
  const handoffs: number[] = [];
  let lastReleaseAt = 0;
  let grants = 0;
  let lastToken = 0;
  let outOfOrder = 0;
  const end = now() + job.durationMs;
  const start = now();
  await Promise.all(
    sessions.map(async (s) => {
      while (now() < end) {
        const token = await s.lock(job.name);
        const t = now();
        if (lastReleaseAt > 0) handoffs.push(t - lastReleaseAt);
        if (token <= lastToken) outOfOrder++;
        lastToken = token;
        grants++;
        lastReleaseAt = now();
        await s.release(job.name, token);
      }
    }),
  );
  const elapsedMs = now() - start;
  const cpuMs = cpuMsSince(cpu0);
  await Promise.all(sessions.map((s) => s.close()));
  return { grants, elapsedMs, handoffs, outOfOrder, cpuMs };
}

/** Sessions of the last `opens` job, until `closeOpened`. */
let opened: BenchSession[] = [];

/** Open `sessions` sessions, `inFlight` at a time, each on its own stream; `closeOpened` ends them. */
async function opens(job: Extract<Job, { kind: 'opens' }>): Promise<unknown> {
  const system = job.system ?? 'quorumlock';
  const sessions = Array.from({ length: job.sessions }, (_, i) => newSession(system, job.address, Math.floor(i / SESSIONS_PER_CONNECTION)));
  const cpu0 = process.cpuUsage();
  const start = now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(job.inFlight, sessions.length) }, async () => {
      while (next < sessions.length) await sessions[next++]?.open(SESSION_TTL_MS);
    }),
  );
  const elapsedMs = now() - start;
  const cpuMs = cpuMsSince(cpu0);
  opened = sessions;
  return { opens: sessions.length, elapsedMs, cpuMs };
}

async function handle(job: Job): Promise<unknown> {
  switch (job.kind) {
    case 'pairs':
      return pairs(job);
    case 'contended':
      return contended(job);
    case 'opens':
      return opens(job);
    case 'closeOpened':
      await Promise.all(opened.map((s) => s.close()));
      opened = [];
      return true;
    case 'keepalive': {
      const system = job.system ?? 'quorumlock';
      keepaliveFailures = 0;
      idle = [];
      // Keepalives start with the first session: opening tens of thousands takes longer than a
      // TTL, and a session must keep alive from its open on. They are spread evenly over a third
      // of the TTL, like many independent clients.
      // Paced by the clock, not by timer firings: a busy client process fires a 10 ms timer late,
      // and counting firings would then stretch every session's keepalive interval.
      const every = Math.floor(job.ttlMs / 3);
      const start = now();
      let sent = 0;
      idleTimer = setInterval(() => {
        const due = Math.floor(((now() - start) / every) * job.sessions);
        for (; sent < due && idle.length > 0; sent++) {
          const s = idle[sent % idle.length];
          if (s && !s.ended) void s.keepalive().catch(() => void keepaliveFailures++);
        }
      }, 10);
      // A session's stream starts when it is created: create each wave just before opening it,
      // as clients arriving over time do, not 10,000 streams in one burst.
      for (let i = 0; i < job.sessions; i += KEEPALIVE_OPEN_WAVE) {
        const wave = Array.from({ length: Math.min(KEEPALIVE_OPEN_WAVE, job.sessions - i) }, (_, j) =>
          newSession(system, job.address, Math.floor((i + j) / SESSIONS_PER_CONNECTION)),
        );
        await Promise.all(wave.map((s) => s.open(job.ttlMs)));
        idle.push(...wave);
      }
      return { sessions: idle.length };
    }
    case 'stopKeepalive': {
      if (idleTimer) clearInterval(idleTimer);
      const ended = idle.filter((s) => s.ended).length;
      // Counted before closing: a keepalive still in flight when its session closes is cut off by
      // the close, not refused.
      const refused = keepaliveFailures;
      await Promise.all(idle.map((s) => s.close()));
      idle = [];
      closeEtcdConnections();
      return { ended, keepaliveFailures: refused };
    }
    case 'hold': {
      holder = newSession(job.system ?? 'quorumlock', job.address);
      await holder.open(SESSION_TTL_MS);
      holder.keepAlive(SESSION_TTL_MS);
      const token = await holder.lock(job.name);
      return { token };
    }
    case 'failover': {
      const h = holder;
      if (!h) throw new Error('no holder');
      const t0 = now();
      // Reach the session again through the surviving members and get a keepalive through.
      await h.recover(job.endpoints);
      await h.keepalive();
      const keepaliveMs = now() - t0;
      await h.lock(`${job.name}-after`);
      const acquireMs = now() - t0;
      await h.close();
      return { keepaliveMs, acquireMs };
    }
  }
}

process.on('message', (m: unknown) => {
  const { rid, job } = m as { rid: number; job: Job };
  handle(job).then(
    (result) => process.send?.({ rid, ok: true, result }),
    (e: unknown) => process.send?.({ rid, ok: false, error: e instanceof Error ? e.message : String(e) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send?.({ rid: 0, ok: true, result: 'ready' });
