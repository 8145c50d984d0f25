/**
 * A worker process driven over IPC by a test (see agent-handle.ts): it owns one LockClient of
 * @quorumlock/client and does what it is told — connect, acquire, release, runOnce, checkFence,
 * the pause probes — answering each command and reporting lease events as they happen.
 *
 * Every time it reports is `performance.timeOrigin + performance.now()` (`at`), so events of
 * different processes on this machine can be ordered; `dateAt` is `Date.now()` for comparison
 * with the servers' stamps.
 *
 * Lines `busy` on stdout (written synchronously) mark the start of the busy probe, when the event
 * loop is blocked and IPC cannot be used.
 */
import * as fs from 'node:fs';
import { isLockError, LockClient, type Lease } from '@quorumlock/client';

export type AgentCommand =
  | { op: 'connect'; endpoints: string[]; ttlMs?: number; clientName?: string }
  | { op: 'acquire'; name: string; waitTimeoutMs?: number; capacity?: number }
  | { op: 'release'; name: string }
  | { op: 'put'; name: string; value: string }
  | { op: 'checkFence'; name: string; token: number }
  /** Runs `runOnce(jobId)`; the job reports `jobStarted`, then hangs forever or returns `result`. */
  | { op: 'runOnce'; jobId: string; hang: boolean; result?: unknown }
  /** Idle holder: a 20 ms interval notices the wake-up after a pause (see pauseProbe below). */
  | { op: 'intervalProbe'; assertName: string; watchName: string }
  /** Busy holder: a synchronous loop calls assertValid until it throws (see busyProbe below). */
  | { op: 'busyProbe'; assertName: string; watchName: string; maxMs: number }
  | { op: 'close' };

export type AgentEvent =
  | { event: 'queued'; name: string; position: number; at: number }
  | { event: 'lost'; name: string; token: number; code: string; reason: string; at: number; dateAt: number }
  | { event: 'jobStarted'; jobId: string; token: number; pid: number }
  | { event: 'probe'; report: ProbeReport };

/** What a pause probe found after the wake-up. */
export interface ProbeReport {
  /** Length of the pause as the holder's monotonic clock saw it (checkAt - prevCheckAt). */
  readonly gapMs: number;
  /** When the check before the first one after the wake-up ran (the last one before the pause). */
  readonly prevCheckAt: number;
  /** When the first check after the wake-up ran. */
  readonly checkAt: number;
  /** The `assertName` lease's signal had already fired when the first check after the wake ran. */
  readonly assertSignalFiredBeforeCheck: boolean;
  /** The `watchName` lease's signal had fired when the first check after the wake ran. */
  readonly watchSignalFiredBeforeCheck: boolean;
  /** What `assertValid()` threw at that first check. */
  readonly thrown: { code: string; reason: string; name: string } | null;
  /** The assertName lease's signal fired during (synchronously in) that assertValid call. */
  readonly assertSignalFiredByCheck: boolean;
  /** The watchName lease (never touched by the app) had fired by the end of the first loop turn / first timer. */
  readonly watchSignalFiredByFirstTurn: boolean;
  /** `checkFence(assertName, old token)` after the wake-up. */
  readonly fence: { current: boolean; latestToken: number };
  /** What `lease.put(...)` with the lost lease rejected with. */
  readonly putError: string;
  readonly token: number;
}

export interface AgentReply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: { code: string; name: string; message: string };
}

const now = (): number => performance.timeOrigin + performance.now();

let client: LockClient | undefined;
/** Where the current client's session stream is open ('' while it is not). */
let endpoint = '';
const leases = new Map<string, Lease>();

function send(msg: AgentEvent | AgentReply): void {
  process.send?.(msg);
}

function getClient(): LockClient {
  if (client === undefined) throw new Error('not connected');
  return client;
}

function getLease(name: string): Lease {
  const l = leases.get(name);
  if (l === undefined) throw new Error(`no lease on '${name}' in this agent`);
  return l;
}

function track(lease: Lease): void {
  leases.set(lease.name, lease);
  lease.signal.addEventListener('abort', () => {
    const at = now();
    const dateAt = Date.now();
    const r: unknown = lease.signal.reason;
    const code = isLockError(r) ? r.code : 'unknown';
    const reason = typeof r === 'object' && r !== null && 'reason' in r ? String((r as { reason: unknown }).reason) : '';
    send({ event: 'lost', name: lease.name, token: lease.token, code, reason, at, dateAt });
  });
}

async function handle(cmd: AgentCommand): Promise<unknown> {
  switch (cmd.op) {
    case 'connect': {
      const old = client;
      leases.clear();
      // The old client may sit behind a black hole: do not wait for its goodbye.
      if (old !== undefined) void old.close();
      client = new LockClient({
        endpoints: cmd.endpoints,
        ttlMs: cmd.ttlMs ?? 5000,
        clientName: cmd.clientName ?? `agent/${process.pid}`,
        closeTimeoutMs: 200,
      });
      const c = client;
      endpoint = '';
      c.on('connected', (e) => (client === c ? (endpoint = e.endpoint) : undefined));
      c.on('disconnected', () => (client === c ? (endpoint = '') : undefined));
      await c.ready();
      return { sessionId: c.sessionId, ttlMs: c.ttlMs, endpoint };
    }
    case 'acquire': {
      const lease = await getClient().acquire(cmd.name, {
        ...(cmd.waitTimeoutMs === undefined ? {} : { waitTimeoutMs: cmd.waitTimeoutMs }),
        ...(cmd.capacity === undefined ? {} : { capacity: cmd.capacity }),
        onQueued: (e) => send({ event: 'queued', name: e.name, position: e.position, at: now() }),
      });
      const at = now();
      track(lease);
      return { token: lease.token, sessionId: getClient().sessionId, at, dateAt: Date.now(), endpoint };
    }
    case 'release':
      await getLease(cmd.name).release();
      leases.delete(cmd.name);
      return {};
    case 'put':
      await getLease(cmd.name).put(cmd.value);
      return {};
    case 'checkFence':
      return await getClient().checkFence(cmd.name, cmd.token);
    case 'runOnce': {
      const r = await getClient().runOnce(cmd.jobId, async ({ token }) => {
        send({ event: 'jobStarted', jobId: cmd.jobId, token, pid: process.pid });
        if (cmd.hang) await new Promise<never>(() => undefined);
        return cmd.result;
      });
      return r;
    }
    case 'intervalProbe':
      intervalProbe(cmd.assertName, cmd.watchName);
      return {};
    case 'busyProbe':
      // Blocks the event loop: the answer (like any IPC message) goes out only after the loop;
      // the parent waits for the `busy` line instead.
      busyProbe(cmd.assertName, cmd.watchName, cmd.maxMs);
      return {};
    case 'close':
      await client?.close();
      client = undefined;
      return {};
  }
}

/**
 * The idle holder: an interval ticks every 20 ms and does nothing else. The first tick that finds
 * a gap of more than 300 ms since the previous one is the first turn of the event loop after a
 * pause (the overdue interval runs in the first timers phase). There it records whether the
 * signals already fired, calls `assertValid()` on one lease, and — in the check phase of the same
 * turn (setImmediate) — whether the other lease's signal has fired by itself.
 */
function intervalProbe(assertName: string, watchName: string): void {
  const a = getLease(assertName);
  const w = getLease(watchName);
  let last = now();
  const timer = setInterval(() => {
    const t = now();
    const prev = last;
    last = t;
    if (t - prev < 300) return;
    clearInterval(timer);
    const assertSignalFiredBeforeCheck = a.signal.aborted;
    const watchSignalFiredBeforeCheck = w.signal.aborted;
    let thrown: ProbeReport['thrown'] = null;
    try {
      a.assertValid();
    } catch (err) {
      thrown = describe(err);
    }
    const assertSignalFiredByCheck = a.signal.aborted;
    setImmediate(() => {
      const watchSignalFiredByFirstTurn = w.signal.aborted;
      void finishProbe(a, { gapMs: t - prev, prevCheckAt: prev, checkAt: t, assertSignalFiredBeforeCheck, watchSignalFiredBeforeCheck, thrown, assertSignalFiredByCheck, watchSignalFiredByFirstTurn });
    });
  }, 20);
}

/**
 * The busy holder: a CPU-bound loop that calls `assertValid()` before every (pretend) side
 * effect and never yields. Nothing asynchronous can run inside it — no timer, no socket — so when
 * the process is resumed after a pause, the only thing that can notice is the synchronous check
 * against the monotonic clock. After it throws, the loop ends; a `setTimeout(0)` then checks that
 * the other lease's signal fired by the first timers phase (the SDK's overdue deadline timer runs
 * before it).
 */
function busyProbe(assertName: string, watchName: string, maxMs: number): void {
  const a = getLease(assertName);
  const w = getLease(watchName);
  const start = now();
  let last = start;
  let prev = start;
  let thrown: ProbeReport['thrown'] = null;
  let assertSignalFiredBeforeCheck = false;
  let watchSignalFiredBeforeCheck = false;
  fs.writeSync(1, 'busy\n');
  let stopped = false;
  for (;;) {
    const t = now();
    // The holder stops itself a few ms into the loop, as a GC pause would stop it: waiting for the
    // test to send SIGSTOP could take longer than the lease itself on a loaded machine (a busy
    // loop sends no keepalives), and the lease would then run out before the pause.
    if (!stopped && t - start > 5) {
      stopped = true;
      fs.writeSync(1, `stopping ${t}\n`);
      process.kill(process.pid, 'SIGSTOP');
      continue;
    }
    prev = last;
    last = t;
    assertSignalFiredBeforeCheck = a.signal.aborted;
    watchSignalFiredBeforeCheck = w.signal.aborted;
    try {
      a.assertValid();
    } catch (err) {
      thrown = describe(err);
      break;
    }
    if (t - start > maxMs) break;
  }
  const assertSignalFiredByCheck = a.signal.aborted;
  setTimeout(() => {
    const watchSignalFiredByFirstTurn = w.signal.aborted;
    void finishProbe(a, { gapMs: last - prev, prevCheckAt: prev, checkAt: last, assertSignalFiredBeforeCheck, watchSignalFiredBeforeCheck, thrown, assertSignalFiredByCheck, watchSignalFiredByFirstTurn });
  }, 0);
}

async function finishProbe(a: Lease, part: Omit<ProbeReport, 'fence' | 'putError' | 'token'>): Promise<void> {
  let putError = '';
  try {
    await a.put('written by a resumed holder');
    putError = 'none: the put was accepted';
  } catch (err) {
    putError = isLockError(err) ? err.code : String(err);
  }
  const fence = await getClient().checkFence(a.name, a.token);
  send({ event: 'probe', report: { ...part, fence: { current: fence.current, latestToken: fence.latestToken }, putError, token: a.token } });
}

function describe(err: unknown): { code: string; reason: string; name: string } {
  const e = err as { code?: unknown; reason?: unknown; name?: unknown };
  return { code: String(e.code ?? ''), reason: String(e.reason ?? ''), name: String(e.name ?? '') };
}

if (require.main === module) {
  process.on('message', (m: { id: number; cmd: AgentCommand }) => {
    handle(m.cmd).then(
      (result) => send({ id: m.id, ok: true, result }),
      (err: unknown) => {
        const e = err as { code?: unknown; name?: unknown; message?: unknown };
        send({ id: m.id, ok: false, error: { code: String(e.code ?? ''), name: String(e.name ?? 'Error'), message: String(e.message ?? err) } });
      },
    );
  });
  // The parent going away (test ended, jest killed) ends the agent too.
  process.on('disconnect', () => process.exit(0));
}
