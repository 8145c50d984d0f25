/**
 * LockClient against the in-process stub LockService (stub-server.ts), over real gRPC on
 * 127.0.0.1: leader redirects, the lease flow, resume after a broken stream with resend under the
 * same request id (no second grant), session expiry on resume, cancellation that reaches the
 * server, local serialization per name, acquireAll rollback, runOnce markers, close(), and a
 * lease that is lost when the server goes silent. The real-cluster versions are e2e tests.
 */
import { ClientClosedError, ClusterUnavailableError, LockCancelledError, LockLostError, SessionExpiredError } from '../../src/errors';
import { LockClient, type LockClientOptions } from '../../src/lock-client';
import { StubLockServer } from './stub-server';
import { closedPort } from './closed-port';

const FAST = { initialMs: 5, maxMs: 50, budgetMs: 2000 };

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms: ${cond.toString()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

let stubs: StubLockServer[] = [];
/** host:port with nothing listening. */
let closed = '';
beforeAll(async () => {
  closed = `127.0.0.1:${await closedPort()}`;
});
let clients: LockClient[] = [];

async function stub(): Promise<StubLockServer> {
  const s = await StubLockServer.start();
  stubs.push(s);
  return s;
}

function client(endpoints: string[], extra: Partial<LockClientOptions> = {}): LockClient {
  const c = new LockClient({ endpoints, ttlMs: 3000, backoff: FAST, clientName: 'test', closeTimeoutMs: 200, ...extra });
  clients.push(c);
  return c;
}

afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(stubs.map((s) => s.stop()));
  clients = [];
  stubs = [];
});

const sent = (s: StubLockServer, kind: string): { session: string; msg: Record<string, unknown> }[] =>
  s.received.filter((r) => r.msg.msg === kind).map((r) => ({ session: r.session, msg: r.msg as unknown as Record<string, unknown> }));

describe('connecting', () => {
  it('follows the quorumlock-leader trailer from a follower to the leader (stream and unary calls)', async () => {
    const leader = await stub();
    const follower = await stub();
    follower.leaderHint = leader.address;
    const c = client([follower.address]);
    const redirects: unknown[] = [];
    c.on('redirect', (e) => redirects.push(e));
    const lease = await c.acquire('a');
    expect(lease.token).toBe(100);
    expect(redirects).toEqual([{ from: follower.address, to: leader.address }]);
    expect(sent(leader, 'open')[0]?.msg).toMatchObject({ open: { sessionId: '', ttlMs: 3000, clientName: 'test' } });
    expect(await c.checkFence('a', lease.token)).toEqual({ current: true, latestToken: 100 });
  });

  it('connect() opens the session eagerly, or rejects when the cluster is unreachable', async () => {
    const s = await stub();
    const c = await LockClient.connect({ endpoints: [s.address], backoff: FAST });
    clients.push(c);
    expect(c.connected).toBe(true);
    expect(c.sessionId).toBe('s1');
    expect(c.ttlMs).toBe(10_000);
    await expect(LockClient.connect({ endpoints: [closed], backoff: { initialMs: 5, maxMs: 10, budgetMs: 50 } })).rejects.toBeInstanceOf(
      ClusterUnavailableError,
    );
  });

  it('a throwing event listener does not break the session', async () => {
    const s = await stub();
    const c = client([s.address]);
    c.on('sessionOpened', () => {
      throw new Error('listener bug');
    });
    const lease = await c.acquire('a');
    await lease.release();
    expect(s.lock('a').holder).toBeUndefined();
  });

  it('tries the next endpoint when one is down', async () => {
    const leader = await stub();
    const c = client([closed, leader.address]);
    const reconnects: unknown[] = [];
    c.on('reconnect', (e) => reconnects.push(e));
    await c.acquire('a');
    expect(reconnects).toHaveLength(1);
  });

  it('a busy leader\'s refusal (RESOURCE_EXHAUSTED + quorumlock-retry-after-ms) is retried on the same node after the hint', async () => {
    const leader = await stub();
    leader.busyOpens = 2;
    leader.busyRetryAfterMs = 120;
    // The second endpoint is down: a client that moved on after a refusal would have to come back.
    const c = client([leader.address, closed]);
    const reconnects: { endpoint: string; delayMs: number }[] = [];
    c.on('reconnect', (e) => reconnects.push(e));
    await c.acquire('a');
    expect(reconnects.map((r) => [r.endpoint, r.delayMs])).toEqual([[leader.address, 120], [leader.address, 120]]);
    expect(sent(leader, 'open')).toHaveLength(3);
  });

  it('rejects with ClusterUnavailableError once the budget is spent', async () => {
    const c = client([closed], { backoff: { initialMs: 5, maxMs: 20, budgetMs: 150 } });
    const unavailable: unknown[] = [];
    c.on('unavailable', (e) => unavailable.push(e));
    const err = await c.acquire('a').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterUnavailableError);
    expect((err as Error).message).toMatch(new RegExp(`${closed.replace(/\./g, '\\.')}.*gave up after`));
    expect(unavailable).toHaveLength(1);
    await expect(c.checkFence('a', 1)).rejects.toBeInstanceOf(ClusterUnavailableError);
  });
});

describe('the lease flow', () => {
  it('grants, renews with keepalives of increasing seq, and releases', async () => {
    const s = await stub();
    const ttlMs = 900;
    const everyMs = ttlMs * 0.2;
    const c = client([s.address], { ttlMs, keepaliveFraction: 0.2 });
    const askedAt = performance.now();
    const lease = await c.acquire('a', { lockDelayMs: 5, priority: 2 });
    expect(sent(s, 'lock')[0]?.msg).toMatchObject({ lock: { requestId: 1, name: 'a', capacity: 1, permits: 1, mode: 'EXCLUSIVE', priority: 2, lockDelayMs: 5, tryOnly: false, waitTimeoutMs: 0 } });
    // Past the TTL and three keepalives, however late a loaded machine runs the timers (the
    // bound is a hang guard): keepalives must have carried the lease.
    const guard = performance.now() + 20 * ttlMs;
    while (performance.now() - askedAt <= ttlMs || sent(s, 'keepalive').length < 3) {
      if (performance.now() > guard) throw new Error(`3 keepalives and ${ttlMs} ms did not pass within ${20 * ttlMs} ms: ${sent(s, 'keepalive').length} sent`);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(lease.valid).toBe(true);
    const seqs = sent(s, 'keepalive').map((k) => (k.msg['keepalive'] as { seq: number }).seq);
    // No faster than every TTL x fraction (late timers only make them fewer).
    expect(seqs.length).toBeLessThanOrEqual(Math.floor((performance.now() - askedAt) / everyMs) + 1);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(lease.remainingMs).toBeGreaterThan(0);
    await lease.release();
    expect(sent(s, 'release')[0]?.msg).toMatchObject({ release: { requestId: 2, name: 'a', token: 100 } });
    expect(s.lock('a').holder).toBeUndefined();
  });

  it('fires the signal before the server could give the lock away when the server goes silent', async () => {
    const s = await stub();
    const c = client([s.address], { ttlMs: 400, openTimeoutMs: 100 });
    const lease = await c.acquire('a');
    s.silent = true; // before the first keepalive: the open is the last renewal
    const grantedAt = performance.now();
    const deadline = grantedAt + lease.remainingMs;
    // The open was sent before the grant, so the server's deadline is at least grantedAt - (grant latency) + 400.
    expect(deadline - grantedAt).toBeLessThanOrEqual(400 - 90); // TTL - margin (ceil(400/10) + 50)
    expect(deadline - grantedAt).toBeGreaterThan(200);
    const lost: unknown[] = [];
    c.on('leaseLost', (e) => lost.push(e.error.reason));
    await new Promise<void>((r) => lease.signal.addEventListener('abort', () => r()));
    const firedAt = performance.now();
    expect(firedAt).toBeGreaterThanOrEqual(deadline - 1); // not early either
    expect(firedAt - grantedAt).toBeLessThan(2000);
    expect(lease.signal.reason).toBeInstanceOf(LockLostError);
    expect((lease.signal.reason as LockLostError).reason).toBe('deadline');
    expect(() => lease.assertValid()).toThrow(LockLostError);
    expect(lost).toEqual(['deadline']);
  });

  it('replaces a stream whose keepalive acks stopped, and the resume keeps the lease', async () => {
    const s = await stub();
    const c = client([s.address], { ttlMs: 900, keepaliveFraction: 0.2 });
    const lease = await c.acquire('a');
    const resumed: unknown[] = [];
    c.on('resumed', (e) => resumed.push(e));
    s.ackKeepalives = false; // acks lost, but the node still answers a resume (which renews)
    await new Promise((r) => setTimeout(r, 1300));
    expect(resumed.length).toBeGreaterThanOrEqual(1);
    expect(lease.valid).toBe(true);
  });

  it('revocation (a lost event) fires the signal at once', async () => {
    const s = await stub();
    const c = client([s.address]);
    const lease = await c.acquire('a');
    s.revoke('a');
    await until(() => lease.signal.aborted);
    expect((lease.signal.reason as LockLostError).reason).toBe('revoked');
    expect((lease.signal.reason as LockLostError).detail).toBe('revoked by an administrator');
    await lease.release(); // nothing left to release
    expect(sent(s, 'release')).toHaveLength(0);
  });

  it("a lost event's error_code, not its reason text, says whether the session expired", async () => {
    const s = await stub();
    const c = client([s.address]);
    const a = await c.acquire('a');
    const b = await c.acquire('b');
    s.revoke('a', 'the session went quiet', 'ERR_SESSION_EXPIRED');
    s.revoke('b', 'expired certificate, so revoked');
    await until(() => a.signal.aborted && b.signal.aborted);
    expect([(a.signal.reason as LockLostError).reason, (b.signal.reason as LockLostError).reason]).toEqual(['session expired', 'revoked']);
  });

  it('put writes the fenced value with the lease token', async () => {
    const s = await stub();
    const c = client([s.address]);
    const lease = await c.acquire('a');
    await lease.put('hello');
    expect(s.lock('a').value.toString()).toBe('hello');
    await lease.release();
    const again = await c.acquire('a');
    expect(Buffer.from(again.value).toString()).toBe('hello');
  });
});

describe('resume after a broken stream', () => {
  it('resends an in-flight lock under the same request id and gets the original grant, not a second one', async () => {
    const s = await stub();
    const c = client([s.address]);
    const resumed: unknown[] = [];
    c.on('resumed', (e) => resumed.push(e));
    await c.acquire('warmup').then((l) => l.release());
    s.dropAnswers = 1; // the grant is made but its answer is lost
    const p = c.acquire('a');
    await until(() => sent(s, 'lock').length === 2);
    s.killStreams();
    const lease = await p;
    const locks = sent(s, 'lock').filter((l) => (l.msg['lock'] as { name: string }).name === 'a');
    expect(locks.map((l) => (l.msg['lock'] as { requestId: number }).requestId)).toEqual([3, 3]);
    expect(lease.token).toBe(101);
    expect(s.nextToken).toBe(102); // one grant only
    const opens = sent(s, 'open').map((o) => (o.msg['open'] as { sessionId: string }).sessionId);
    expect(opens).toEqual(['', 's1']);
    expect(resumed).toEqual([{ sessionId: 's1', holds: 1, endpoint: s.address }]);
    expect(lease.valid).toBe(true);
  });

  it('releases on resume a hold whose grant was given up on, even while a lock for the same name is in flight', async () => {
    const s = await stub();
    const c = client([s.address], { backoff: { initialMs: 5, maxMs: 20, budgetMs: 300 } });
    await c.acquire('warmup').then((l) => l.release());
    s.dropAnswers = 1; // request 3 is granted 'a' (token 101), but the answer is lost
    const first = c.acquire('a');
    await until(() => s.lock('a').holder !== undefined);
    s.leaderHint = closed; // the cluster becomes unreachable: the client gives up on request 3
    s.killStreams();
    await expect(first).rejects.toBeInstanceOf(ClusterUnavailableError);
    s.leaderHint = undefined;
    // The session resumes with the orphan in opened.holds while a new lock for 'a' is in flight.
    const second = c.acquire('a');
    const lease = await Promise.race([second, new Promise<never>((_, fail) => setTimeout(() => fail(new Error("the second acquire('a') never got the lock: the orphaned hold was kept")), 3000))]);
    expect(sent(s, 'release').map((r) => r.msg['release'])).toEqual([
      { requestId: 2, name: 'warmup', token: 100 },
      { requestId: 5, name: 'a', token: 101 },
    ]);
    expect(lease.token).toBe(102);
    expect(s.lock('a').holder).toMatchObject({ token: 102, requestId: 4 });
  });

  it('keeps a held grant on resume when its lock request is still awaited (resent, not released)', async () => {
    const s = await stub();
    const c = client([s.address]);
    s.dropAnswers = 1;
    const p = c.acquire('a');
    await until(() => s.lock('a').holder !== undefined);
    s.killStreams();
    const lease = await p;
    expect(lease.token).toBe(100);
    expect(sent(s, 'release')).toHaveLength(0);
    expect(s.lock('a').holder?.token).toBe(100);
  });

  it('keeps a queued wait across a broken stream', async () => {
    const s = await stub();
    const holder = client([s.address]);
    const waiter = client([s.address]);
    const held = await holder.acquire('q');
    const queued: number[] = [];
    const p = waiter.acquire('q', { onQueued: (e) => queued.push(e.position) });
    await until(() => queued.length === 1);
    s.killStreams();
    await until(() => sent(s, 'open').length === 4 && holder.connected && waiter.connected);
    await held.release();
    const lease = await p;
    expect(lease.token).toBe(101);
    expect(queued).toEqual([1, 1]); // the resend was answered with the same queue position
  });

  it('loses every lease and fails sent requests when the session expired meanwhile', async () => {
    const s = await stub();
    const other = client([s.address]);
    const c = client([s.address]);
    const lease = await c.acquire('a');
    await other.acquire('b');
    const waiting = c.acquire('b');
    await until(() => s.lock('b').queue.length === 1);
    const expired: unknown[] = [];
    c.on('sessionExpired', (e) => expired.push(e.sessionId));
    const old = c.sessionId;
    s.expire(old);
    s.killStreams();
    await expect(waiting).rejects.toBeInstanceOf(SessionExpiredError);
    expect(lease.signal.aborted).toBe(true);
    expect((lease.signal.reason as LockLostError).reason).toBe('session expired');
    expect(expired).toEqual([old]);
    const fresh = await c.acquire('a'); // a new session
    expect(c.sessionId).not.toBe(old);
    expect(c.sessionId).not.toBe('');
    expect(fresh.valid).toBe(true);
  });
});

describe('acquire options and helpers', () => {
  it('an aborted wait is cancelled on the server and rejects with LockCancelledError', async () => {
    const s = await stub();
    const holder = client([s.address]);
    const c = client([s.address]);
    await holder.acquire('a');
    const ac = new AbortController();
    const p = c.acquire('a', { signal: ac.signal, onQueued: () => ac.abort() });
    await expect(p).rejects.toBeInstanceOf(LockCancelledError);
    const lockId = (sent(s, 'lock').at(-1)?.msg['lock'] as { requestId: number }).requestId;
    expect(sent(s, 'cancel').map((x) => x.msg['cancel'])).toEqual([{ requestId: lockId }]);
    expect(s.lock('a').queue).toEqual([]);
    // The name is free again for this client.
    expect(await c.tryAcquire('a')).toBeNull();
  });

  it('a grant that raced the cancel is released automatically', async () => {
    const s = await stub();
    const holder = client([s.address]);
    const c = client([s.address]);
    await holder.acquire('a');
    const ac = new AbortController();
    const p = c.acquire('a', {
      signal: ac.signal,
      onQueued: () => {
        s.free('a'); // the server grants to the waiter; the grant is on its way ...
        ac.abort(); // ... when the caller cancels
      },
    });
    await expect(p).rejects.toBeInstanceOf(LockCancelledError);
    await until(() => sent(s, 'release').length === 1);
    expect(sent(s, 'release')[0]?.msg).toMatchObject({ release: { name: 'a', token: 101 } });
    await until(() => s.lock('a').holder === undefined);
    // The stub frees the hold when the release arrives, which can be before the client has read
    // the `released` answer that drops the lease from its list: wait for that answer too.
    await until(() => c.leases().length === 0);
    expect(c.leases().map((l) => l.token)).toEqual([]);
  });

  it('tryAcquire resolves to null when the lock is held elsewhere or by this client', async () => {
    const s = await stub();
    const a = client([s.address]);
    const b = client([s.address]);
    const lease = await a.tryAcquire('x');
    expect(lease?.token).toBe(100);
    expect(await b.tryAcquire('x')).toBeNull();
    expect(await a.tryAcquire('x')).toBeNull(); // local: no request sent
    expect(sent(s, 'lock').filter((l) => (l.msg['lock'] as { tryOnly: boolean }).tryOnly)).toHaveLength(2);
  });

  it('serializes concurrent acquires of one name within a client, in call order', async () => {
    const s = await stub();
    const c = client([s.address]);
    const order: string[] = [];
    await Promise.all(
      ['t1', 't2', 't3'].map((t) =>
        c.withLock('n', async ({ token }) => {
          order.push(`${t}:${token}`);
          await new Promise((r) => setTimeout(r, 10));
        }),
      ),
    );
    expect(order).toEqual(['t1:100', 't2:101', 't3:102']);
  });

  it('withLock passes the result or the error through and always releases', async () => {
    const s = await stub();
    const c = client([s.address]);
    expect(await c.withLock('a', ({ token, value, signal }) => `${token}/${value.length}/${signal.aborted}`)).toBe('100/0/false');
    expect(s.lock('a').holder).toBeUndefined();
    const boom = new Error('boom');
    await expect(
      c.withLock('a', () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(s.lock('a').holder).toBeUndefined();
  });

  it('acquireAll takes names deduped and sorted, and releases what it took on failure', async () => {
    const s = await stub();
    const other = client([s.address]);
    const c = client([s.address]);
    const group = await c.acquireAll(['c', 'a', 'b', 'a']);
    expect(group.leases.map((l) => l.name)).toEqual(['a', 'b', 'c']);
    expect(sent(s, 'lock').map((l) => (l.msg['lock'] as { name: string }).name)).toEqual(['a', 'b', 'c']);
    await group.release();
    await other.acquire('b');
    const ac = new AbortController();
    const p = c.acquireAll(['b', 'a'], { signal: ac.signal, onQueued: () => ac.abort() });
    await expect(p).rejects.toBeInstanceOf(LockCancelledError);
    expect(s.lock('a').holder).toBeUndefined();
  });

  it('runOnce runs a job once, and again only if no run completed it', async () => {
    const s = await stub();
    const c = client([s.address]);
    await expect(c.runOnce('j1', () => Promise.reject(new Error('worker died')))).rejects.toThrow('worker died');
    expect(s.lock('job:j1').value.length).toBe(0); // no marker
    const fn = jest.fn(({ token }: { token: number }) => ({ charged: true, token }));
    const first = await c.runOnce('j1', fn);
    expect(first).toEqual({ ran: true, result: { charged: true, token: 101 }, token: 101 });
    const second = await c.runOnce('j1', fn);
    expect(second).toEqual({ ran: false, result: { charged: true, token: 101 }, token: 101 });
    expect(fn).toHaveBeenCalledTimes(1);
    expect(s.lock('job:j1').holder).toBeUndefined();
  });

  it('validates options locally, naming the value', async () => {
    const s = await stub();
    const c = client([s.address]);
    await expect(c.acquire('')).rejects.toThrow(/lock name "" must be a non-empty string/);
    await expect(c.acquire('a', { capacity: 1.5 })).rejects.toThrow(/capacity 1.5/);
    await expect(c.acquire('a', { capacity: 2, permits: 3 })).rejects.toThrow(/permits 3 exceeds capacity 2/);
    await expect(c.acquire('a', { waitTimeoutMs: -1 })).rejects.toThrow(/waitTimeoutMs -1/);
    expect(() => client([s.address], { ttlMs: 1000, safetyMarginMs: 900 })).toThrow(/safetyMarginMs 900/);
    expect(() => client(['nope'])).toThrow(/'nope' is not host:port/);
  });
});

describe('close', () => {
  it('sends close, rejects pending acquires with ClientClosedError and fires every signal', async () => {
    const s = await stub();
    const holder = client([s.address]);
    const c = client([s.address]);
    await holder.acquire('z');
    const mine = await c.acquire('y');
    const p = c.acquire('z');
    const local = c.acquire('y'); // waiting locally behind `mine`
    await until(() => s.lock('z').queue.length === 1);
    const rejected = [expect(p).rejects.toBeInstanceOf(ClientClosedError), expect(local).rejects.toBeInstanceOf(ClientClosedError)];
    await c.close();
    await Promise.all(rejected);
    expect((mine.signal.reason as LockLostError).reason).toBe('client closed');
    expect(sent(s, 'close')).toHaveLength(1);
    expect(s.lock('y').holder).toBeUndefined();
    expect(s.lock('z').queue).toEqual([]);
    await expect(c.acquire('w')).rejects.toBeInstanceOf(ClientClosedError);
    await c.close(); // idempotent
  });
});
