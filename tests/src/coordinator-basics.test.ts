/**
 * quorumlock-server over its raw protocol (lock.proto), three real processes: sessions, grants,
 * FIFO queues and their handoff, keepalives, fencing tokens, CheckFence, follower redirects and
 * the AdminService views. Failover and expiry cases live in coordinator-failover.test.ts.
 */
import * as grpc from '@grpc/grpc-js';
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';
import { v1 } from '@quorumlock/coordinator/testing';
import { RawSession } from './helpers/raw-session';

jest.setTimeout(60_000);

let cluster: CoordinatorCluster;
let leader: string;
const sessions: RawSession[] = [];
const session = (id = leader): RawSession => {
  const s = new RawSession(cluster.address(id));
  sessions.push(s);
  return s;
};

beforeAll(async () => {
  cluster = await CoordinatorCluster.create({ size: 3, args: ['--tick-ms', '50'] });
  await cluster.startAll();
  leader = await cluster.waitLeader();
});

afterEach(() => {
  for (const s of sessions.splice(0)) s.close();
});

afterAll(async () => {
  await cluster.destroy();
});

function unary<T>(service: 'LockService' | 'AdminService', method: string, address: string, req: object): Promise<{ res?: T; err?: grpc.ServiceError }> {
  const client = new v1[service](address, grpc.credentials.createInsecure()) as unknown as Record<string, (r: object, cb: (e: grpc.ServiceError | null, res: T) => void) => void>;
  return new Promise((resolve) => {
    client[method]?.call(client, req, (err, res) => {
      (client as unknown as grpc.Client).close();
      resolve(err ? { err } : { res });
    });
  });
}

describe('quorumlock-server protocol', () => {
  it('grants a free lock with a fencing token and hands it to the next waiter in FIFO order', async () => {
    const a = session();
    const b = session();
    const c = session();
    await a.open();
    await b.open();
    await c.open();
    a.lock(1, 'orders/1');
    const g1 = await a.granted(1);
    expect(g1.token).toBeGreaterThan(0);
    b.lock(1, 'orders/1');
    const qb = await b.next((r) => r.msg === 'queued');
    expect(qb.queued?.position).toBe(1);
    c.lock(1, 'orders/1');
    const qc = await c.next((r) => r.msg === 'queued');
    expect(qc.queued?.position).toBe(2);
    a.release(2, 'orders/1', g1.token);
    const rel = await a.next((r) => r.msg === 'released');
    expect(rel.released?.token).toBe(g1.token);
    const g2 = await b.granted(1);
    expect(g2.token).toBeGreaterThan(g1.token);
    // c is still waiting behind b
    expect(c.responses.some((r) => r.msg === 'granted')).toBe(false);
    b.release(2, 'orders/1', g2.token);
    const g3 = await c.granted(1);
    expect(g3.token).toBeGreaterThan(g2.token);
  });

  it('acknowledges keepalives and answers CheckFence linearizably', async () => {
    const a = session();
    const opened = await a.open(3000);
    expect(opened.ttlMs).toBe(3000);
    const seq = a.keepalive();
    const ack = await a.next((r) => r.msg === 'keepaliveAck');
    expect(ack.keepaliveAck?.seq).toBe(seq);
    a.lock(7, 'fence/x');
    const g = await a.granted(7);
    const cur = await unary<{ current: boolean; latestToken: number }>('LockService', 'checkFence', cluster.address(leader), { name: 'fence/x', token: g.token });
    expect(cur.res).toEqual({ current: true, latestToken: g.token });
    const stale = await unary<{ current: boolean; latestToken: number }>('LockService', 'checkFence', cluster.address(leader), { name: 'fence/x', token: g.token - 1 });
    expect(stale.res?.current).toBe(false);
  });

  it('a follower redirects Acquire, CheckFence and admin reads to the leader', async () => {
    const follower = cluster.ids.find((id) => id !== leader) as string;
    const s = session(follower);
    s.send({ open: { sessionId: '', ttlMs: 5000, clientName: 'x' } });
    const end = await s.waitEnd();
    expect(end.code).toBe(grpc.status.UNAVAILABLE);
    expect(end.leader).toBe(cluster.address(leader));
    const fence = await unary('LockService', 'checkFence', cluster.address(follower), { name: 'a', token: 1 });
    expect(fence.err?.code).toBe(grpc.status.UNAVAILABLE);
    expect(fence.err?.metadata.get('quorumlock-leader')[0]).toBe(cluster.address(leader));
    const locks = await unary('AdminService', 'listLocks', cluster.address(follower), {});
    expect(locks.err?.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('rejects bad input with the documented status, naming the value, and keeps serving others', async () => {
    const healthy = session();
    await healthy.open();
    healthy.lock(1, 'healthy/lock');
    await healthy.granted(1);

    const notOpen = session();
    notOpen.lock(1, 'x');
    expect((await notOpen.waitEnd()).code).toBe(grpc.status.INVALID_ARGUMENT);

    const badTtl = session();
    badTtl.send({ open: { sessionId: '', ttlMs: 5, clientName: 'x' } });
    const ttlEnd = await badTtl.waitEnd();
    expect(ttlEnd.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(ttlEnd.details).toContain('ttl_ms 5');

    const unknown = session();
    unknown.send({ open: { sessionId: 'no-such-session', ttlMs: 0, clientName: 'x' } });
    const unknownEnd = await unknown.waitEnd();
    expect(unknownEnd.code).toBe(grpc.status.NOT_FOUND);
    expect(unknownEnd.details).toContain('no-such-session');

    const s = session();
    await s.open();
    s.lock(1, '');
    expect((await s.failed(1)).code).toBe(grpc.status.INVALID_ARGUMENT);
    s.lock(2, 'n'.repeat(600));
    const long = await s.failed(2);
    expect(long.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(long.message).toContain('512');
    s.lock(3, 'cap/x', { capacity: 3 });
    await s.granted(3);
    s.lock(4, 'cap/x', { capacity: 5 });
    const mismatch = await s.failed(4);
    expect(mismatch.code).toBe(grpc.status.FAILED_PRECONDITION);
    s.lock(5, 'cap/y', { capacity: 1_000_000 });
    expect((await s.failed(5)).code).toBe(grpc.status.INVALID_ARGUMENT);
    s.send({ put: { requestId: 6, name: 'cap/x', token: 1, value: Buffer.alloc(10) } });
    expect((await s.failed(6)).code).toBe(grpc.status.FAILED_PRECONDITION);

    // An oversized message is refused by the transport limit without disturbing others.
    const big = session();
    await big.open();
    big.send({ put: { requestId: 1, name: 'x', token: 1, value: Buffer.alloc(2 << 20) } });
    expect((await big.waitEnd()).code).toBe(grpc.status.RESOURCE_EXHAUSTED);

    // A fenced value past the documented 64 KiB limit (but within the message limit).
    const v = session();
    await v.open();
    v.lock(1, 'value/big');
    const vg = await v.granted(1);
    v.send({ put: { requestId: 2, name: 'value/big', token: vg.token, value: Buffer.alloc(65 * 1024) } });
    const tooBig = await v.failed(2);
    expect(tooBig.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(tooBig.message).toContain('65536');

    // A frame that is not a protobuf AcquireRequest at all.
    const raw = new grpc.Client(cluster.address(leader), grpc.credentials.createInsecure());
    const garbage = raw.makeBidiStreamRequest('/quorumlock.v1.LockService/Acquire', (b: Buffer) => b, (b: Buffer) => b);
    const garbageEnd = new Promise<grpc.StatusObject>((resolve) => garbage.on('status', resolve));
    garbage.on('error', () => undefined);
    garbage.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x99]));
    expect((await garbageEnd).code).not.toBe(grpc.status.OK);
    raw.close();

    // The healthy session is unaffected.
    healthy.lock(2, 'healthy/other');
    await healthy.granted(2);
  });

  it('admin views list locks, holders in order and sessions', async () => {
    const a = session();
    const b = session();
    await a.open(5000, '', 'worker-a');
    await b.open(5000, '', 'worker-b');
    a.lock(1, 'admin/view');
    const g = await a.granted(1);
    b.lock(1, 'admin/view');
    await b.next((r) => r.msg === 'queued');
    const d = await unary<{ holders: { sessionId: string; token: number; clientName: string }[]; waiters: { sessionId: string; position: number }[] }>(
      'AdminService', 'describeLock', cluster.address(leader), { name: 'admin/view' },
    );
    expect(d.res?.holders).toEqual([expect.objectContaining({ sessionId: a.sessionId, token: g.token, clientName: 'worker-a' })]);
    expect(d.res?.waiters).toEqual([expect.objectContaining({ sessionId: b.sessionId, position: 1 })]);
    const ss = await unary<{ sessions: { sessionId: string }[] }>('AdminService', 'listSessions', cluster.address(leader), {});
    expect(ss.res?.sessions.map((s) => s.sessionId)).toEqual(expect.arrayContaining([a.sessionId, b.sessionId]));
  });
});
