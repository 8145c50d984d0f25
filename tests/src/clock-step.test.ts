/**
 * Leases do not follow the wall clock (issue 9, item 1). A real 3-node cluster whose servers
 * run the test-only wall-clock preload; the leader's Date is stepped +60 s and then -60 s, as an
 * NTP step, a VM resume or `date -s` would.
 *
 * (a) A holder (an SDK process) keeps its session alive through both steps while a waiter (another
 *     SDK process) waits: the waiter is never granted, the holder's lease signal never fires, and
 *     every DescribeLock sample shows the same holder and token.
 * (b) A holder is SIGKILLed while the leader's clock is stepped back: its lock still comes free
 *     within TTL + failover (derived from the configured timing below).
 */
import { AdminClient } from '@quorumlock/client';
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';
import * as fs from 'node:fs';
import { Agent } from './helpers/agent-handle';

jest.setTimeout(120_000);

const TICK_MS = 50;
const ELECTION_TICKS = 12;
const SKEW_MS = 300;
const RENEW_INTERVAL_MS = 100;
const TTL_MS = 4000;
/** The longest election timeout (randomized up to 2x). */
const ELECTION_MAX_MS = 2 * TICK_MS * ELECTION_TICKS;
/**
 * A dead holder's lock is free by TTL after its last renewal, plus failover (an election and the
 * skew allowance, should the leader change meanwhile), a renew batch and slack for a loaded
 * machine. Its last renewal was at most one keepalive interval before the kill, so TTL from the
 * kill is already generous.
 */
const FREE_BOUND_MS = TTL_MS + ELECTION_MAX_MS + SKEW_MS + RENEW_INTERVAL_MS + 2000;
const STEP_MS = 60_000;
/** How long each step lasts: two TTLs, so any deadline judged by the stepped clock would pass. */
const HOLD_STEP_MS = 2 * TTL_MS;

let cluster: CoordinatorCluster;
let admin: AdminClient;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  cluster = await CoordinatorCluster.create({
    size: 3,
    steppableClocks: true,
    args: ['--tick-ms', String(TICK_MS), '--election-ticks', String(ELECTION_TICKS), '--max-clock-skew-ms', String(SKEW_MS), '--renew-interval-ms', String(RENEW_INTERVAL_MS)],
  });
  await cluster.startAll();
  await cluster.waitLeader();
  admin = new AdminClient({ endpoints: cluster.endpoints() });
});

afterEach(async () => {
  for (const id of cluster.ids) await cluster.stepClock(id, 0).catch(() => undefined);
  await Agent.killAll();
});

afterAll(async () => {
  admin?.close();
  await cluster?.destroy();
});

/** Samples DescribeLock(name) every 100 ms until stopped; returns the holders' tokens seen. */
function sampleHolders(name: string): { stop: () => Promise<{ tokens: Set<number>; samples: number; waiters: number[] }> } {
  let stopped = false;
  const tokens = new Set<number>();
  const waiters: number[] = [];
  let samples = 0;
  const loop = (async (): Promise<void> => {
    while (!stopped) {
      const info = await admin.describeLock(name, { deadlineMs: 1000 }).catch(() => undefined);
      if (info !== undefined) {
        samples++;
        if (info.holders.length === 0) tokens.add(0);
        for (const h of info.holders) tokens.add(h.token);
        waiters.push(info.waiters.length);
      }
      await sleep(100);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { tokens, samples, waiters };
    },
  };
}

it('(a) a holder keeping alive keeps its lock through a +60 s and a -60 s step of the leader\'s wall clock; the waiter is never granted', async () => {
  const name = 'clock/held';
  const holder = new Agent('holder');
  const waiter = new Agent('waiter');
  await holder.call({ op: 'connect', endpoints: cluster.endpoints(), ttlMs: TTL_MS, clientName: 'holder' });
  await waiter.call({ op: 'connect', endpoints: cluster.endpoints(), ttlMs: TTL_MS, clientName: 'waiter' });
  const held = await holder.call<{ token: number }>({ op: 'acquire', name });
  let grantedToWaiter: unknown;
  const waiting = waiter.call<{ token: number }>({ op: 'acquire', name, waitTimeoutMs: 600_000 }).then(
    (g) => (grantedToWaiter = g),
    (e: unknown) => (grantedToWaiter = e),
  );
  await waiter.waitEvent((e) => e.event === 'queued' && e.name === name);

  const leader = await cluster.waitLeader();
  const sampler = sampleHolders(name);
  await cluster.stepClock(leader, STEP_MS);
  await sleep(HOLD_STEP_MS);
  await cluster.stepClock(leader, -STEP_MS);
  await sleep(HOLD_STEP_MS);
  const seen = await sampler.stop();

  // The step really happened in the leader's process.
  expect(fs.readFileSync(cluster.logFile(leader), 'utf8')).toContain(`TEST ONLY: wall clock offset -${STEP_MS} ms`);
  expect(grantedToWaiter).toBeUndefined();
  expect(holder.events.filter((e) => e.event === 'lost')).toEqual([]);
  expect(seen.samples).toBeGreaterThan(HOLD_STEP_MS / 1000); // the sampler did see the lock, many times
  expect([...seen.tokens]).toEqual([held.token]);
  expect(seen.waiters.every((n) => n === 1)).toBe(true);

  // And the lock still works as usual: released, it goes to the waiter.
  await holder.call({ op: 'release', name });
  await waiting;
  expect(grantedToWaiter).toMatchObject({ token: expect.any(Number) as number });
  expect((grantedToWaiter as { token: number }).token).toBeGreaterThan(held.token);
});

it.each([
  ['back', -STEP_MS],
  ['forward', STEP_MS],
])('(b) a SIGKILLed holder\'s lock frees within TTL + failover with the leader\'s wall clock stepped %s 60 s', async (_dir, offset) => {
  const name = `clock/crashed-${offset > 0 ? 'fwd' : 'back'}`;
  const holder = new Agent('holder');
  const waiter = new Agent('waiter');
  await holder.call({ op: 'connect', endpoints: cluster.endpoints(), ttlMs: TTL_MS, clientName: 'crashed-holder' });
  await waiter.call({ op: 'connect', endpoints: cluster.endpoints(), ttlMs: TTL_MS, clientName: 'waiter' });
  const held = await holder.call<{ token: number }>({ op: 'acquire', name });
  const waiting = waiter.call<{ token: number; at: number }>({ op: 'acquire', name, waitTimeoutMs: 600_000 });
  await waiter.waitEvent((e) => e.event === 'queued' && e.name === name);

  const leader = await cluster.waitLeader();
  await cluster.stepClock(leader, offset);
  // Some keepalives under the stepped clock first: a step must not change what they renew.
  await sleep(TTL_MS / 2);
  expect(holder.events.filter((e) => e.event === 'lost')).toEqual([]);
  const killedAt = performance.timeOrigin + performance.now();
  await holder.kill();
  let timer: NodeJS.Timeout | undefined;
  const g = await Promise.race([waiting, new Promise<null>((r) => (timer = setTimeout(() => r(null), FREE_BOUND_MS + 30_000)))]).finally(() => clearTimeout(timer));
  expect(g).not.toBeNull();
  const freedMs = (g?.at ?? Infinity) - killedAt;
  console.log(`clock stepped ${offset > 0 ? '+' : ''}${offset} ms on ${leader}: the crashed holder's lock was granted to the waiter ${Math.round(freedMs)} ms after the kill (TTL ${TTL_MS} ms, bound ${FREE_BOUND_MS} ms)`);
  expect(g?.token).toBeGreaterThan(held.token);
  // Not before the TTL could have run out (the holder's last renewal was at most a keepalive
  // interval, TTL/3, before the kill), and not after TTL + failover.
  expect(freedMs).toBeGreaterThan(TTL_MS - TTL_MS / 3 - RENEW_INTERVAL_MS);
  expect(freedMs).toBeLessThanOrEqual(FREE_BOUND_MS);
});
