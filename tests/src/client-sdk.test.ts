/**
 * @quorumlock/client against a real 3-node cluster (real processes, SIGKILL for crashes):
 * leader discovery from a follower; a held lock and a queued wait survive a leader crash (same
 * token, same order, no lost lease); a request whose answer was lost is resent under its id and
 * granted once; withLock releases on throw; acquireAll cannot deadlock against a client listing
 * the same names in the opposite order; an AbortSignal takes the waiter off the server's queue;
 * runOnce completes a job once across a worker SIGKILLed mid-job.
 */
import { once } from 'node:events';
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';
import { AdminClient, DeadlockError, LockCancelledError, LockClient, LockTimeoutError, NotFoundError, type LockClientOptions, type Lease } from '@quorumlock/client';
import { Agent } from './helpers/agent-handle';
import { FaultProxy } from '@quorumlock/coordinator/testing';
import type { AgentEvent } from './helpers/sdk-agent';
import { killStrayLockctl, lockctl } from './helpers/util';

jest.setTimeout(60_000);

let cluster: CoordinatorCluster;
let admin: AdminClient;
const clients: LockClient[] = [];
const proxies: FaultProxy[] = [];

function client(options: Partial<LockClientOptions> = {}): LockClient {
  const c = new LockClient({ endpoints: cluster.endpoints(), ttlMs: 5000, clientName: `sdk-test-${clients.length + 1}`, ...options });
  clients.push(c);
  return c;
}

async function proxyTo(address: string): Promise<FaultProxy> {
  const p = new FaultProxy(address);
  await p.start();
  proxies.push(p);
  return p;
}

/** The lock as the leader sees it, or undefined when it does not exist (idle and removed). */
async function lockInfo(name: string): Promise<Awaited<ReturnType<AdminClient['describeLock']>> | undefined> {
  try {
    return await admin.describeLock(name);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

function queuedAt(position: number): { promise: Promise<void>; onQueued: (e: { position: number }) => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, onQueued: (e) => (e.position === position ? resolve() : undefined) };
}

beforeAll(async () => {
  cluster = await CoordinatorCluster.create({ size: 3, args: ['--tick-ms', '50'] });
  await cluster.startAll();
  await cluster.waitLeader();
  admin = new AdminClient({ endpoints: cluster.endpoints() });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  await Agent.killAll();
  killStrayLockctl();
  // Bring back any node a test crashed, so the next test has three again.
  for (const id of cluster.ids) if (!cluster.isRunning(id)) await cluster.start(id);
  await cluster.waitLeader();
});

afterAll(async () => {
  admin?.close();
  await cluster?.destroy();
});

it('finds the leader from a follower: a client given only a follower endpoint is redirected and works', async () => {
  const leader = await cluster.waitLeader();
  const follower = cluster.ids.find((id) => id !== leader) ?? '';
  const c = client({ endpoints: [cluster.address(follower)] });
  const redirects: { from: string; to: string }[] = [];
  c.on('redirect', (e) => redirects.push(e));
  const connected = once(c, 'connected');
  const lease = await c.acquire('redirect/1');
  expect(redirects).toEqual([{ from: cluster.address(follower), to: cluster.address(leader) }]);
  expect((await connected)[0]).toMatchObject({ endpoint: cluster.address(leader), resumed: false });
  const info = await lockInfo('redirect/1');
  expect(info?.holders).toEqual([expect.objectContaining({ sessionId: c.sessionId, token: lease.token, mode: 'exclusive' })]);
  await lease.release();
  expect(await lockInfo('redirect/1')).toBeUndefined();
});

it('keeps a held lock across a leader SIGKILL: lease stays valid, same token, release works after', async () => {
  const leader = await cluster.waitLeader();
  const c = client({ ttlMs: 4000 });
  const lost: unknown[] = [];
  c.on('leaseLost', (e) => lost.push(e.error));
  const lease = await c.acquire('failover/held');
  const sessionId = c.sessionId;
  const resumed = once(c, 'resumed');
  await cluster.kill(leader);
  const [r] = (await resumed) as [{ sessionId: string; holds: number; endpoint: string }];
  expect(r).toMatchObject({ sessionId, holds: 1 });
  expect(r.endpoint).not.toBe(cluster.address(leader));
  expect(lease.signal.aborted).toBe(false);
  expect(() => lease.assertValid()).not.toThrow();
  const info = await lockInfo('failover/held');
  expect(info?.holders).toEqual([expect.objectContaining({ sessionId, token: lease.token })]);
  // The hold is still this lease's: a fenced write with its token goes through on the new leader.
  await lease.put('after failover');
  expect((await c.checkFence('failover/held', lease.token)).current).toBe(true);
  await lease.release();
  const after = await lockInfo('failover/held');
  expect(after?.holders ?? []).toEqual([]);
  expect(lost).toEqual([]);
});

it('keeps queued waiters in order across a leader SIGKILL: each still gets the lock in turn', async () => {
  const leader = await cluster.waitLeader();
  const [a, b, c] = [client(), client(), client()];
  const la = await a.acquire('failover/queue');
  const qb = queuedAt(1);
  const pb = b.acquire('failover/queue', { onQueued: qb.onQueued });
  await qb.promise;
  const qc = queuedAt(2);
  const pc = c.acquire('failover/queue', { onQueued: qc.onQueued });
  await qc.promise;
  let cGranted = false;
  void pc.then(() => (cGranted = true));

  const resumed = [a, b, c].map((x) => once(x, 'resumed'));
  await cluster.kill(leader);
  await Promise.all(resumed);

  const during = await lockInfo('failover/queue');
  expect(during?.holders.map((h) => h.token)).toEqual([la.token]);
  expect(during?.waiters.map((w) => [w.position, w.sessionId])).toEqual([
    [1, b.sessionId],
    [2, c.sessionId],
  ]);
  expect(la.valid).toBe(true);

  await la.release();
  const lb = await pb;
  expect(lb.token).toBeGreaterThan(la.token);
  const mid = await lockInfo('failover/queue');
  expect(mid?.holders.map((h) => h.sessionId)).toEqual([b.sessionId]);
  expect(mid?.waiters.map((w) => w.sessionId)).toEqual([c.sessionId]);
  expect(cGranted).toBe(false);

  await lb.release();
  const lc = await pc;
  expect(lc.token).toBeGreaterThan(lb.token);
  await lc.release();
});

describe('a request whose answer was lost is resent under its id and granted once', () => {
  /**
   * The client talks to the leader through a proxy that swallows everything the server sends:
   * the lock request arrives, is granted and committed, but the grant never reaches the client.
   */
  async function grantedButUnseen(name: string): Promise<{ c: LockClient; proxy: FaultProxy; pending: Promise<Lease>; token: number; leader: string }> {
    const leader = await cluster.waitLeader();
    const proxy = await proxyTo(cluster.address(leader));
    const followers = cluster.ids.filter((id) => id !== leader).map((id) => cluster.address(id));
    const c = client({ endpoints: [proxy.address, ...followers] });
    await c.ready();
    expect(c.connected).toBe(true);
    proxy.setMode({ kind: 'drop', direction: 'toClient' });
    const pending = c.acquire(name);
    let settled = false;
    void pending.then(
      () => (settled = true),
      () => (settled = true),
    );
    // The server has granted it (a linearizable read on the leader: the grant is committed).
    let info = await lockInfo(name);
    for (let i = 0; i < 400 && (info === undefined || info.holders.length === 0); i++) {
      await new Promise((r) => setTimeout(r, 25));
      info = await lockInfo(name);
    }
    const hold = info?.holders[0];
    if (hold === undefined) throw new Error(`'${name}' was never granted on the server`);
    expect(hold.sessionId).toBe(c.sessionId);
    expect(settled).toBe(false); // ...and the client has not heard of it
    return { c, proxy, pending, token: hold.token, leader };
  }

  it('after the connection is cut (same leader)', async () => {
    const { c, proxy, pending, token } = await grantedButUnseen('resend/cut');
    const resumed = once(c, 'resumed');
    proxy.setMode('pass'); // the torn connection is reset; the client resumes and resends
    const lease = await pending;
    expect((await resumed)[0]).toMatchObject({ sessionId: c.sessionId, holds: 1 });
    expect(lease.token).toBe(token);
    const info = await lockInfo('resend/cut');
    expect(info?.holders).toEqual([expect.objectContaining({ sessionId: c.sessionId, token })]);
    expect(info?.latestToken).toBe(token); // no second grant was ever made
    expect(info?.waiters).toEqual([]);
    // lockctl sees the same single hold.
    const out = await lockctl(['--endpoints', cluster.endpoints().join(','), '--json', 'lock', 'resend/cut']);
    expect(out.code).toBe(0);
    const doc = JSON.parse(out.stdout) as { holders: { token: number }[]; latestToken: number };
    expect(doc.holders.map((h) => h.token)).toEqual([token]);
    expect(doc.latestToken).toBe(token);
    await lease.release();
  });

  it('after the leader dies (the new leader answers the resend from the replicated dedup state)', async () => {
    const { c, pending, token, leader } = await grantedButUnseen('resend/failover');
    const resumed = once(c, 'resumed');
    await cluster.kill(leader);
    const lease = await pending;
    const [r] = (await resumed) as [{ sessionId: string; holds: number; endpoint: string }];
    expect(r).toMatchObject({ sessionId: c.sessionId, holds: 1 });
    expect(r.endpoint).not.toBe(cluster.address(leader));
    expect(lease.token).toBe(token);
    const info = await lockInfo('resend/failover');
    expect(info?.holders).toEqual([expect.objectContaining({ sessionId: c.sessionId, token })]);
    expect(info?.latestToken).toBe(token);
    await lease.release();
    expect((await lockInfo('resend/failover'))?.holders ?? []).toEqual([]);
  });
});

it('withLock passes the result through, and on a throw releases the lock and passes the error through', async () => {
  const c = client();
  expect(await c.withLock('withlock/1', ({ token }) => token * 2)).toBeGreaterThan(0);
  const boom = new Error('boom');
  let seen = 0;
  await expect(
    c.withLock('withlock/1', ({ token, signal }) => {
      seen = token;
      expect(signal.aborted).toBe(false);
      throw boom;
    }),
  ).rejects.toBe(boom);
  expect(seen).toBeGreaterThan(0);
  expect((await lockInfo('withlock/1'))?.holders ?? []).toEqual([]);
  expect(c.leases()).toEqual([]);
  const other = client();
  const l = await other.tryAcquire('withlock/1');
  expect(l?.token).toBeGreaterThan(seen);
  await l?.release();
});

describe('acquireAll', () => {
  it('never deadlocks two clients that list the same names in opposite orders (40 concurrent rounds)', async () => {
    const names = ['acct/3', 'acct/1', 'acct/2'];
    const a = client();
    const b = client();
    let inside = 0;
    let overlaps = 0;
    const rounds = { a: 0, b: 0 };
    const run = async (c: LockClient, order: string[], who: 'a' | 'b'): Promise<void> => {
      for (let i = 0; i < 40; i++) {
        const group = await c.acquireAll(order, { waitTimeoutMs: 20_000 });
        if (inside !== 0) overlaps++;
        inside++;
        expect([...group.tokens.keys()]).toEqual(['acct/1', 'acct/2', 'acct/3']);
        await new Promise((r) => setImmediate(r));
        inside--;
        await group.release();
        rounds[who]++;
      }
    };
    await Promise.all([run(a, names, 'a'), run(b, [...names].reverse(), 'b')]);
    expect(rounds).toEqual({ a: 40, b: 40 });
    expect(overlaps).toBe(0);
  });

  it('the hazard it avoids: the same names taken one by one in opposite orders is a deadlock the server reports', async () => {
    const a = client();
    const b = client();
    const ax = await a.acquire('dl/x');
    const by = await b.acquire('dl/y');
    const q = queuedAt(1);
    const ay = a.acquire('dl/y', { onQueued: q.onQueued });
    await q.promise;
    const refused: unknown = await b.acquire('dl/x').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DeadlockError);
    // Mapped by the code on the wire, kept as serverCode.
    expect(refused).toMatchObject({ code: 'ERR_DEADLOCK', serverCode: 'ERR_DEADLOCK', grpcCode: 10 });
    await by.release();
    await (await ay).release();
    await ax.release();
  });

  it('is all or nothing: on timeout it releases what it got', async () => {
    const a = client();
    const b = client();
    const held = await b.acquire('aon/3');
    await expect(a.acquireAll(['aon/3', 'aon/1', 'aon/2'], { waitTimeoutMs: 300 })).rejects.toBeInstanceOf(LockTimeoutError);
    expect((await lockInfo('aon/1'))?.holders ?? []).toEqual([]);
    expect((await lockInfo('aon/2'))?.holders ?? []).toEqual([]);
    expect((await lockInfo('aon/3'))?.waiters).toEqual([]);
    expect(a.leases()).toEqual([]);
    await held.release();
  });
});

it("cancelling via AbortSignal removes the waiter from the server's queue (AdminService and lockctl agree)", async () => {
  const a = client();
  const b = client();
  const held = await a.acquire('cancel/1');
  const ac = new AbortController();
  const q = queuedAt(1);
  const waiting = b.acquire('cancel/1', { signal: ac.signal, onQueued: q.onQueued });
  await q.promise;
  expect((await lockInfo('cancel/1'))?.waiters.map((w) => w.sessionId)).toEqual([b.sessionId]);
  ac.abort(new Error('user gave up'));
  await expect(waiting).rejects.toBeInstanceOf(LockCancelledError);
  // The rejection came with the server's answer to the cancel: the queue is already empty.
  expect((await lockInfo('cancel/1'))?.waiters).toEqual([]);
  const out = await lockctl(['--endpoints', cluster.endpoints().join(','), 'lock', 'cancel/1', '--json']);
  expect(out.code).toBe(0);
  const doc = JSON.parse(out.stdout) as { holders: { sessionId: string }[]; waiters: unknown[] };
  expect(doc.waiters).toEqual([]);
  expect(doc.holders.map((h) => h.sessionId)).toEqual([a.sessionId]);
  const table = await lockctl(['--endpoints', cluster.endpoints().join(','), 'lock', 'cancel/1']);
  expect(table.stdout).toMatch(/Queue:\n\(empty\)/);
  // The cancelled session never gets it: released, the lock goes idle.
  await held.release();
  expect(await lockInfo('cancel/1')).toBeUndefined();
  expect(b.leases()).toEqual([]);
});

it('runOnce runs a job once across a worker SIGKILLed mid-job', async () => {
  const endpoints = cluster.endpoints();
  const jobId = 'invoice-2024-11';
  const started = (e: AgentEvent): e is Extract<AgentEvent, { event: 'jobStarted' }> => e.event === 'jobStarted';

  // Worker 1 starts the job and is killed in the middle of it.
  const w1 = new Agent('worker1');
  await w1.call({ op: 'connect', endpoints, ttlMs: 1500, clientName: 'worker1' });
  void w1.call({ op: 'runOnce', jobId, hang: true }).catch(() => undefined);
  const s1 = await w1.waitEvent(started);
  await w1.kill();
  expect((await lockInfo(`job:${jobId}`))?.valueBytes ?? 0).toBe(0); // no done marker

  // Worker 2 finds no done marker (once worker 1's session expired) and runs it to completion.
  const w2 = new Agent('worker2');
  await w2.call({ op: 'connect', endpoints, clientName: 'worker2' });
  const r2 = await w2.call<{ ran: boolean; result: unknown; token: number }>({ op: 'runOnce', jobId, hang: false, result: { invoice: 7 } });
  expect(r2).toEqual({ ran: true, result: { invoice: 7 }, token: expect.any(Number) });
  expect(r2.token).toBeGreaterThan(s1.token);
  expect(w2.events.filter(started)).toHaveLength(1);
  expect((await lockInfo(`job:${jobId}`))?.valueBytes).toBeGreaterThan(0);

  // Worker 3 finds the marker: the job is not run again; it gets worker 2's result and token.
  const w3 = new Agent('worker3');
  await w3.call({ op: 'connect', endpoints, clientName: 'worker3' });
  const r3 = await w3.call<{ ran: boolean; result: unknown; token: number }>({ op: 'runOnce', jobId, hang: false, result: 'must not run' });
  expect(r3).toEqual({ ran: false, result: { invoice: 7 }, token: r2.token });
  expect(w3.events.filter(started)).toHaveLength(0);
});
