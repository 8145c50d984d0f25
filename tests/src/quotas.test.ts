/**
 * Bounded resources (issue 9, section 3) on real server processes: each limit flag is honoured
 * and refused with RESOURCE_EXHAUSTED naming the limit; at the value quota releases and
 * keepalives go on and `lockctl delete-value` frees space; `--max-streams-per-connection` caps
 * the calls of one client connection.
 */
import * as grpc from '@grpc/grpc-js';
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';
import { RawSession } from './helpers/raw-session';
import { lockctl } from './helpers/util';

jest.setTimeout(120_000);

const sessions: RawSession[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.close();
});

describe('limits of a 3-node cluster (same flags on every node)', () => {
  let cluster: CoordinatorCluster;
  let leader: string;
  const session = (): RawSession => {
    const s = new RawSession(cluster.address(leader));
    sessions.push(s);
    return s;
  };

  beforeAll(async () => {
    cluster = await CoordinatorCluster.create({
      size: 3,
      args: ['--tick-ms', '50', '--max-sessions', '4', '--max-holds-per-session', '2', '--max-resources', '3', '--quota-value-bytes', '50000'],
    });
    await cluster.startAll();
    leader = await cluster.waitLeader();
  });

  afterAll(async () => {
    await cluster.destroy();
  });

  it('--max-sessions: the session beyond the limit is refused with RESOURCE_EXHAUSTED', async () => {
    const open = [session(), session(), session(), session()];
    for (const s of open) await s.open(30_000);
    const fifth = session();
    fifth.send({ open: { sessionId: '', ttlMs: 30_000, clientName: 'fifth' } });
    const end = await fifth.waitEnd();
    expect(end.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(end.details).toContain('the limit is 4 (max_sessions)');
    // Every node counts the same sessions: the limit is replicated behaviour.
    const views = await Promise.all(cluster.ids.map((id) => cluster.status(id)));
    for (const v of views) expect(v.sessions).toBe(4);
    for (const s of open) s.send({ close: {} });
    for (const s of open) await s.waitEnd();
  });

  it('--max-holds-per-session and --max-resources refuse one more with RESOURCE_EXHAUSTED', async () => {
    const a = session();
    const b = session();
    await a.open(30_000);
    await b.open(30_000);
    a.lock(1, 'r1');
    a.lock(2, 'r2');
    await a.granted(1);
    await a.granted(2);
    a.lock(3, 'r3');
    const f = await a.failed(3);
    expect(f.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(f.message).toContain('the limit is 2 (max_holds_per_session)');
    b.lock(1, 'r3');
    await b.granted(1);
    b.lock(2, 'r4');
    const g = await b.failed(2);
    expect(g.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(g.message).toContain('the limit is 3 (max_resources)');
    a.send({ close: {} });
    b.send({ close: {} });
    await a.waitEnd();
    await b.waitEnd();
  });

  it('--quota-value-bytes: new values are refused at the quota, releases and keepalives go on, delete-value frees space', async () => {
    const a = session();
    await a.open(30_000);
    a.lock(1, 'v1');
    const t1 = (await a.granted(1)).token;
    a.send({ put: { requestId: 2, name: 'v1', token: t1, value: Buffer.alloc(40_000, 1) } });
    await a.next((r) => r.msg === 'valuePut' && r.valuePut?.requestId === 2);
    a.lock(3, 'v2');
    const t2 = (await a.granted(3)).token;
    a.send({ put: { requestId: 4, name: 'v2', token: t2, value: Buffer.alloc(20_000, 2) } });
    const refused = await a.failed(4);
    expect(refused.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(refused.message).toContain('the limit is 50000 (quota_value_bytes)');
    // At the quota, keepalives and releases still work.
    const seq = a.keepalive();
    await a.next((r) => r.msg === 'keepaliveAck' && r.keepaliveAck?.seq === seq);
    a.release(5, 'v1', t1);
    await a.next((r) => r.msg === 'released' && r.released?.requestId === 5);
    // The operator frees space; the idle lock goes with its value.
    const del = await lockctl(['--endpoints', cluster.endpoints().join(','), 'delete-value', 'v1', '--json']);
    expect(del.code).toBe(0);
    expect(JSON.parse(del.stdout)).toEqual({ name: 'v1', freedBytes: 40_000, resourceDeleted: true });
    a.send({ put: { requestId: 6, name: 'v2', token: t2, value: Buffer.alloc(20_000, 2) } });
    await a.next((r) => r.msg === 'valuePut' && r.valuePut?.requestId === 6);
    const gone = await lockctl(['--endpoints', cluster.endpoints().join(','), 'delete-value', 'v1']);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/not found|no lock named 'v1'/i);
  });
});

describe('--max-streams-per-connection', () => {
  let cluster: CoordinatorCluster;

  beforeAll(async () => {
    cluster = await CoordinatorCluster.create({ size: 1, args: ['--tick-ms', '50', '--max-streams-per-connection', '3'] });
    await cluster.startAll();
    await cluster.waitLeader();
  });

  afterAll(async () => {
    await cluster.destroy();
  });

  it('a connection has at most that many calls open; the next one waits until one ends', async () => {
    // RawSessions to one address share one HTTP/2 connection (grpc-js pools subchannels).
    const open = [0, 1, 2].map(() => {
      const s = new RawSession(cluster.address('n1'));
      sessions.push(s);
      return s;
    });
    for (const s of open) await s.open(30_000);
    const fourth = new RawSession(cluster.address('n1'));
    sessions.push(fourth);
    fourth.send({ open: { sessionId: '', ttlMs: 30_000, clientName: 'fourth' } });
    // Not answered while three calls are open (the bound is generous: an open takes milliseconds).
    await expect(fourth.next((r) => r.msg === 'opened', 2000)).rejects.toThrow(/timed out/);
    open[0]?.send({ close: {} });
    await open[0]?.waitEnd();
    const opened = await fourth.next((r) => r.msg === 'opened', 15_000);
    expect(opened.opened?.sessionId).not.toBe('');
  });
});
