/**
 * Lost answers, against three real quorumlock-server processes and a raw Acquire stream (no
 * SDK, so the exact message order is what lock.proto promises):
 * - at --max-in-flight the server holds the stream back instead of answering: every request,
 *   including the resend of a request that was already granted, gets the answer the log decided
 *   (never RESOURCE_EXHAUSTED under an undecided id);
 * - a session resumed on a new leader while the old one is SIGSTOPped: the first response of
 *   the new stream is `opened`, and every later event follows it in log order, even when
 *   another stream of the session still had requests replicating when the new one resumed.
 */
import { LockClient } from '@quorumlock/client';
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';
import { RawSession, type Response } from './helpers/raw-session';

jest.setTimeout(120_000);

const TICK_MS = 50; // election timeout 600-1200 ms
const PAUSE_MS = 2500;
const TTL_MS = 20_000; // far beyond the pause: nobody expires here
const RESOURCE_EXHAUSTED = 8;

let cluster: CoordinatorCluster | undefined;
const opened: RawSession[] = [];
const clients: LockClient[] = [];
const paused: string[] = [];

function session(address: string): RawSession {
  const s = new RawSession(address);
  opened.push(s);
  return s;
}

async function startCluster(extra: string[] = []): Promise<CoordinatorCluster> {
  cluster = await CoordinatorCluster.create({ size: 3, args: ['--tick-ms', String(TICK_MS), ...extra] });
  await cluster.startAll();
  return cluster;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const s of opened.splice(0)) s.close();
  for (const id of paused.splice(0)) cluster?.resume(id);
  await cluster?.destroy();
  cluster = undefined;
});

const requestIdOf = (r: Response): number | undefined =>
  r.granted?.requestId ?? r.queued?.requestId ?? r.released?.requestId ?? r.failed?.requestId ?? r.valuePut?.requestId;

async function until(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('--max-in-flight', () => {
  test('a burst beyond the limit is held back, not refused: every answer is the one the log decided', async () => {
    const c = await startCluster(['--max-in-flight', '2']);
    const leader = await c.waitLeader();
    const s = session(c.address(leader));
    await s.open(TTL_MS);
    s.lock(1, 'x');
    const first = await s.granted(1);
    // 60 requests written at once: at most 2 may await replication, the rest wait in the stream.
    // Request 1 is resent in the middle of the burst (as after a lost answer): it is granted.
    const burst: number[] = [];
    for (let i = 0; i < 60; i++) {
      const id = 100 + i;
      if (i === 30) {
        s.lock(1, 'x');
        burst.push(1);
      }
      s.lock(id, `n${i}`, { tryOnly: true });
      burst.push(id);
    }
    await until(() => s.log.length >= 2 + burst.length || s.ended !== null, 'an answer to every request of the burst');
    const answers = s.log.slice(2); // after `opened` and the first grant
    expect(answers.filter((r) => r.failed?.code === RESOURCE_EXHAUSTED)).toEqual([]);
    expect(answers.map((r) => r.msg)).toEqual(burst.map(() => 'granted'));
    expect(answers.map(requestIdOf)).toEqual(burst); // in log order, which is the order sent
    const resent = answers.find((r) => r.granted?.requestId === 1);
    expect(resent?.granted).toMatchObject({ name: 'x', token: first.token }); // the first grant, not a refusal
    expect(s.ended).toBeNull();
  });

  test('the SDK with many more acquires at once than the limit gets every lock, none refused', async () => {
    const c = await startCluster(['--max-in-flight', '2']);
    await c.waitLeader();
    const client = new LockClient({ endpoints: c.endpoints(), ttlMs: TTL_MS, clientName: 'burst' });
    clients.push(client);
    const names = Array.from({ length: 80 }, (_, i) => `sdk-${i}`);
    const settled = await Promise.allSettled(names.map((name) => client.acquire(name)));
    expect(settled.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
    const leases = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(new Set(leases.map((l) => l.token)).size).toBe(names.length);
    await Promise.all(leases.map((l) => l.release()));
  });
});

describe('resume during a leader pause', () => {
  test('the first response of a resumed stream is opened; the events after it come in log order', async () => {
    const c = await startCluster();
    const oldLeader = await c.waitLeader();
    const s = session(c.address(oldLeader));
    await s.open(TTL_MS);
    const h = session(c.address(oldLeader));
    await h.open(TTL_MS);
    s.lock(1, 'held');
    const held = await s.granted(1);
    h.lock(1, 'busy');
    const busy = await h.granted(1);
    s.lock(2, 'busy');
    await s.next((r) => r.msg === 'queued' && r.queued?.requestId === 2);

    c.pause(oldLeader);
    paused.push(oldLeader);
    const pausedAt = Date.now();
    const others = c.ids.filter((id) => id !== oldLeader);
    const leader = await c.waitLeader(15_000, others);
    const addr = c.address(leader);

    // Resume on the new leader while the old one is still stopped.
    const b1 = session(addr);
    const o1 = await b1.open(TTL_MS, s.sessionId);
    expect(b1.log[0]?.msg).toBe('opened');
    expect(o1.resumed).toBe(true);
    expect(o1.holds).toEqual([{ name: 'held', token: held.token, mode: 'EXCLUSIVE', requestId: 1 }]);
    await b1.next((r) => r.msg === 'queued');
    expect(b1.log[1]?.queued).toMatchObject({ requestId: 2, name: 'busy', position: 1 });

    // Many requests replicating on b1 when the session resumes again on b2 (a client that gave
    // up on b1): what the log decides before b2's resume must not reach b2 ahead of its opened.
    const names = Array.from({ length: 200 }, (_, i) => `n${i}`);
    names.forEach((name, i) => b1.lock(100 + i, name, { tryOnly: true }));
    const b2 = session(addr);
    b2.send({ open: { sessionId: s.sessionId, ttlMs: TTL_MS, clientName: 'test', sessionSecret: RawSession.secretOf(s.sessionId) } });
    await b2.next((r) => r.msg === 'opened');
    const b1End = await b1.waitEnd();
    expect(b1End.details).toMatch(/resumed on a newer stream/);

    // The holder resumes too and releases: s's queued request is granted on b2, after its opened.
    const h2 = session(addr);
    await h2.open(TTL_MS, h.sessionId);
    h2.release(2, 'busy', busy.token);
    await h2.next((r) => r.msg === 'released');
    await until(() => b2.log.some((r) => r.granted?.requestId === 2), 'the queued request granted on b2');

    if (Date.now() - pausedAt < PAUSE_MS) await new Promise((r) => setTimeout(r, PAUSE_MS - (Date.now() - pausedAt)));
    c.resume(oldLeader);
    paused.splice(paused.indexOf(oldLeader), 1);

    const log = b2.log;
    expect(log[0]?.msg).toBe('opened');
    const o2 = log[0]?.opened;
    if (o2 == null) throw new Error('no opened');
    expect(o2.resumed).toBe(true);
    const holdTokens = o2.holds.map((x) => x.token);
    // Holds granted before b2's resume are in opened.holds, each with its request id.
    for (const x of o2.holds) {
      if (x.name === 'held') expect(x).toMatchObject({ token: held.token, requestId: 1 });
      else expect(x.requestId).toBe(100 + names.indexOf(x.name));
    }
    expect(log.slice(1).filter((r) => r.msg === 'opened')).toEqual([]);
    // Everything after opened was decided after b2's resume: its grants carry larger tokens than
    // any hold opened reported, and come in increasing (log) order.
    const grants = log.slice(1).flatMap((r) => (r.granted ? [r.granted] : []));
    const tokens = grants.map((g) => g.token);
    expect(tokens).toEqual([...tokens].sort((a, b) => a - b));
    expect(Math.min(...tokens)).toBeGreaterThan(Math.max(...holdTokens));
    expect(grants.at(-1)).toMatchObject({ requestId: 2, name: 'busy' });
    // No request decided before b2's resume is answered on b2 (those are in opened.holds).
    const grantedNames = new Set(grants.map((g) => g.name));
    for (const x of o2.holds) expect(grantedNames.has(x.name)).toBe(false);
    expect(b2.ended).toBeNull();
  });
});
