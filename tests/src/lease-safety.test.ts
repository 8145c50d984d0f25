/**
 * Lease safety of @quorumlock/client against a real 3-node cluster.
 *
 * (a) Cut off: a holder process reaches the cluster only through fault proxies (one per server
 *     endpoint); all of them turn into black holes at once. Its lease's `signal` must fire before
 *     the server grants the lock to the next waiter (another process) — in every one of 20 runs.
 *     Both sides stamp events with `performance.timeOrigin + performance.now()` (one machine,
 *     one clock); the grant is also compared with the server's own stamp of it (conservatively:
 *     the earliest it can be, from `lockctl lock`-style AdminService ages).
 *
 * (b) Paused: a holder process is SIGSTOPped past its TTL while a waiter gets the lock, then
 *     SIGCONTed. The resumed holder's `lease.assertValid()` throws LockLostError at the first
 *     check (synchronously, from the monotonic clock: it throws even inside a loop that never
 *     yields, before any timer could run), the signal of a lease the application never looks at
 *     fires within the first turn of the event loop, a fenced write with the old token is refused,
 *     and `checkFence` says the old token is not current.
 */
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';
import { AdminClient, LockClient } from '@quorumlock/client';
import { Agent } from './helpers/agent-handle';
import { FaultProxy } from '@quorumlock/coordinator/testing';
import type { AgentEvent, ProbeReport } from './helpers/sdk-agent';

const TTL_MS = 1000; // the server's minimum; the client's default safety margin is 150 ms
const RUNS = 20;
/** Bound on each wait of a run (a guard against a hang, not a timing assertion). */
const STEP_BOUND_MS = 15_000;

// Hang guards sized from the steps' own bounds, so a loaded machine slows the runs without
// failing them: each run of (a) waits on at most two bounded steps.
jest.setTimeout(60_000);
const RUNS_TIMEOUT_MS = RUNS * 2 * STEP_BOUND_MS;

let cluster: CoordinatorCluster;
let admin: AdminClient;
const proxies: FaultProxy[] = [];
const clients: LockClient[] = [];

const now = (): number => performance.timeOrigin + performance.now();

const lostOn =
  (name: string) =>
  (e: AgentEvent): e is Extract<AgentEvent, { event: 'lost' }> =>
    e.event === 'lost' && e.name === name;

beforeAll(async () => {
  cluster = await CoordinatorCluster.create({ size: 3, args: ['--tick-ms', '50'] });
  await cluster.startAll();
  await cluster.waitLeader();
  admin = new AdminClient({ endpoints: cluster.endpoints() });
  for (const e of cluster.endpoints()) {
    const p = new FaultProxy(e);
    await p.start();
    proxies.push(p);
  }
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Agent.killAll();
});

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  admin?.close();
  await cluster?.destroy();
});

interface Run {
  run: number;
  /** Grant received by the waiter minus the holder's signal (ms, same clock). */
  marginMs: number;
  /** The server's stamp of the grant (lower bound) minus the holder's signal (ms, Date clocks). */
  serverMarginMs: number;
  /** From cutting the holder off to its signal. */
  cutToSignalMs: number;
  /** The whole run (setup included). */
  runMs: number;
}

/** `p`, or a clear failure after `ms` (a bound against a hang, not a timing assertion). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms)));
  return Promise.race([p, bound]).finally(() => clearTimeout(timer));
}

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))] ?? NaN;
}

it(`(a) a holder cut off by a black hole: its signal fires before the next waiter is granted, ${RUNS} runs out of ${RUNS}`, async () => {
  const holder = new Agent('holder');
  const waiter = new Agent('waiter');
  await waiter.call({ op: 'connect', endpoints: cluster.endpoints(), ttlMs: 10_000, clientName: 'waiter' });
  const runs: Run[] = [];
  for (let run = 0; run < RUNS; run++) {
    const runStart = now();
    for (const p of proxies) p.setMode('pass'); // resets the connections torn by the last run
    const name = `safety/${run}`;
    // A new session through the proxies only. The leader's proxy goes first: a follower's
    // redirect would name the leader's real address and lead the holder around the proxies.
    const leader = cluster.ids.indexOf(await cluster.waitLeader());
    const order = [...proxies.slice(leader), ...proxies.slice(0, leader)].map((p) => p.address);
    await holder.call({ op: 'connect', endpoints: order, ttlMs: TTL_MS, clientName: `holder-${run}` });
    const held = await holder.call<{ token: number; endpoint: string }>({ op: 'acquire', name });
    // Only meaningful if the holder's session really runs through a proxy.
    expect(order).toContain(held.endpoint);
    const granted = waiter.call<{ token: number; at: number; dateAt: number }>({ op: 'acquire', name });
    await waiter.waitEvent((e) => e.event === 'queued' && e.name === name);
    // Vary where in the keepalive cycle the cut falls.
    await new Promise((r) => setTimeout(r, (run * 53) % 200));

    for (const p of proxies) p.setMode('drop');
    const cutAt = now();
    const g = await within(granted, STEP_BOUND_MS, `run ${run}: the waiter's grant`);
    const sentAt = Date.now();
    const info = await admin.describeLock(name);
    const serverGrantStampLowerBound = sentAt - (info.holders[0]?.ageMs ?? NaN);
    const lost = await holder.waitEvent(lostOn(name), STEP_BOUND_MS);
    expect(lost).toMatchObject({ token: held.token, code: 'ERR_LOCK_LOST', reason: 'deadline' });
    expect(g.token).toBeGreaterThan(held.token);
    expect(info.holders.map((h) => h.token)).toEqual([g.token]);
    await waiter.call({ op: 'release', name });
    runs.push({ run, marginMs: g.at - lost.at, serverMarginMs: serverGrantStampLowerBound - lost.dateAt, cutToSignalMs: lost.at - cutAt, runMs: now() - runStart });
  }

  const margins = runs.map((r) => r.marginMs);
  const serverMargins = runs.map((r) => r.serverMarginMs);
  const fmt = (xs: number[]): string => `min ${Math.min(...xs).toFixed(1)} ms, median ${quantile(xs, 0.5).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;
  console.log(
    `lease safety, ${RUNS} runs, TTL ${TTL_MS} ms:\n` +
      `  next grant received by the waiter - holder's signal: ${fmt(margins)}\n` +
      `  server's grant stamp (lower bound) - holder's signal: ${fmt(serverMargins)}\n` +
      `  cut - holder's signal: ${fmt(runs.map((r) => r.cutToSignalMs))}\n` +
      runs.map((r) => `  run ${String(r.run).padStart(2)}: margin ${r.marginMs.toFixed(1)} ms, server margin ${r.serverMarginMs.toFixed(0)} ms, cut->signal ${r.cutToSignalMs.toFixed(0)} ms, run ${r.runMs.toFixed(0)} ms`).join('\n'),
  );
  // The causal order, in every run: the holder stopped trusting its lease before anyone else got
  // it, and not before the cut (a client that dropped its leases at once would pass the margins).
  for (const r of runs) {
    expect(r.cutToSignalMs).toBeGreaterThan(0);
    expect(r.marginMs).toBeGreaterThan(0);
    expect(r.serverMarginMs).toBeGreaterThan(0);
  }
}, RUNS_TIMEOUT_MS);

/** The pause cases use a longer TTL than the minimum, for slack on a loaded machine. */
const PAUSE_TTL_MS = 2000;

describe('(b) a holder SIGSTOPped past its TTL, then SIGCONTed', () => {
  /** A holder agent (direct connection) holding `a` and `w`, and a waiter queued on `a`. */
  async function setup(prefix: string): Promise<{ holder: Agent; a: string; w: string; holderToken: number; waiting: Promise<{ token: number }> }> {
    const holder = new Agent('paused-holder');
    const a = `${prefix}/asserted`;
    const w = `${prefix}/watched`;
    await holder.call({ op: 'connect', endpoints: cluster.endpoints(), ttlMs: PAUSE_TTL_MS, clientName: 'paused-holder' });
    const { token } = await holder.call<{ token: number }>({ op: 'acquire', name: a });
    await holder.call({ op: 'acquire', name: w });
    const waiter = new LockClient({ endpoints: cluster.endpoints(), ttlMs: 10_000, clientName: 'waiter' });
    clients.push(waiter);
    let queued!: () => void;
    const isQueued = new Promise<void>((r) => (queued = r));
    const waiting = waiter.acquire(a, { onQueued: () => queued() });
    await isQueued;
    return { holder, a, w, holderToken: token, waiting };
  }

  /**
   * Stops the holder (or, with `selfStopped`, waits for the holder's own `stopping <time>` line)
   * until the waiter has the lock, then resumes it and returns its report.
   */
  async function pauseUntilGranted(holder: Agent, waiting: Promise<{ token: number }>, selfStopped = false): Promise<{ report: ProbeReport; waiterToken: number; grantedAt: number; midPauseAt: number }> {
    let stoppedAt: number;
    if (selfStopped) {
      const line = await holder.waitLinePrefix('stopping ');
      stoppedAt = Number(line.slice('stopping '.length));
    } else {
      holder.signal('SIGSTOP');
      stoppedAt = now();
    }
    const g = await waiting; // the server expires the stopped holder's session, then grants
    const grantedAt = now();
    holder.signal('SIGCONT');
    const ev = await holder.waitEvent((e): e is Extract<AgentEvent, { event: 'probe' }> => e.event === 'probe');
    // An instant when the holder was certainly stopped (far from both signals, so a sub-ms
    // difference between the processes' time origins cannot matter).
    return { report: ev.report, waiterToken: g.token, grantedAt, midPauseAt: (stoppedAt + grantedAt) / 2 };
  }

  function expectRefused(report: ProbeReport, holderToken: number, waiterToken: number, midPauseAt: number): void {
    // The check that threw is the first one after the resume: the check before it ran before the
    // pause, the one that threw after it.
    expect(report.prevCheckAt).toBeLessThan(midPauseAt);
    expect(report.checkAt).toBeGreaterThan(midPauseAt);
    expect(report.thrown).toEqual({ code: 'ERR_LOCK_LOST', reason: 'deadline', name: 'LockLostError' });
    expect(report.watchSignalFiredByFirstTurn).toBe(true);
    // A fenced write with the old token is refused (client side: the lease is known lost)...
    expect(report.putError).toBe('ERR_LOCK_LOST');
    // ...and the cluster confirms the old token is not current: the waiter's is the newest.
    expect(report.token).toBe(holderToken);
    expect(report.fence).toEqual({ current: false, latestToken: waiterToken });
  }

  it('an idle holder (timers only): the first tick after the wake-up finds the lease lost and every signal has fired by the end of that turn', async () => {
    const { holder, a, w, holderToken, waiting } = await setup('pause-idle');
    await holder.call({ op: 'intervalProbe', assertName: a, watchName: w });
    const { report, waiterToken, grantedAt, midPauseAt } = await pauseUntilGranted(holder, waiting);
    console.log(`pause case (idle holder): ${JSON.stringify(report)}`);
    expectRefused(report, holderToken, waiterToken, midPauseAt);
    expect(report.assertSignalFiredByCheck).toBe(true);
    // Both signals fired after the resume (the holder was stopped when the waiter got the lock).
    const lostA = await holder.waitEvent(lostOn(a));
    const lostW = await holder.waitEvent(lostOn(w));
    expect(lostA.reason).toBe('deadline');
    expect(lostW.reason).toBe('deadline');
    expect(lostA.at).toBeGreaterThan(grantedAt);
  });

  it('a busy holder (a loop that never yields): assertValid throws at the first check after the wake-up, before any timer ran; the other signal fires on the first timer turn', async () => {
    const { holder, a, w, holderToken, waiting } = await setup('pause-busy');
    // The loop blocks the holder's event loop, so its answer only comes after the loop: wait for
    // the `busy` line it writes synchronously instead.
    const answered = holder.call({ op: 'busyProbe', assertName: a, watchName: w, maxMs: 30_000 });
    await holder.waitLine('busy'); // from now on nothing asynchronous runs in the holder
    const { report, waiterToken, midPauseAt } = await pauseUntilGranted(holder, waiting, true);
    await answered;
    console.log(`pause case (busy holder): ${JSON.stringify(report)}`);
    expectRefused(report, holderToken, waiterToken, midPauseAt);
    // Nothing had fired before the check: it was the synchronous check against the monotonic
    // clock that found the lease lost, and it fired that lease's signal right there.
    expect(report.assertSignalFiredBeforeCheck).toBe(false);
    expect(report.watchSignalFiredBeforeCheck).toBe(false);
    expect(report.assertSignalFiredByCheck).toBe(true);
  });
});
