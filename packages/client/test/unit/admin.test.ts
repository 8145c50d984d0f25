/**
 * AdminClient and lockctl's admin commands over real gRPC against a canned AdminService (fixed
 * answers, no state): the AdminService codecs, the leader redirect of admin calls (Status is
 * answered by any node), NOT_FOUND mapping, and each command's table and JSON output through
 * `main()`. Behaviour against a real cluster belongs to the e2e tests.
 */
import * as grpc from '@grpc/grpc-js';
import { AdminClient } from '../../src/admin-client';
import { main } from '../../src/cli/lockctl';
import { ClusterUnavailableError, NotFoundError } from '../../src/errors';
import { wire } from '../../src/wire';

const member = (id: string, role: string, applied: number, clientAddress = `127.0.0.1:600${id.slice(1)}`) => ({
  id,
  peerAddress: `127.0.0.1:700${id.slice(1)}`,
  clientAddress,
  role,
  term: 3,
  commitIndex: 50,
  appliedIndex: applied,
  voter: true,
  matchIndex: applied,
});
const holder = { sessionId: 'sess-a', clientName: 'worker-1', token: 41, mode: 'EXCLUSIVE', permits: 1, ageMs: 2500 };
const waiter = { position: 1, sessionId: 'sess-b', clientName: 'worker-2', requestId: 9, mode: 'SHARED', permits: 1, priority: 0, waitingMs: 1200 };
const lockInfo = { name: 'orders/1', capacity: 1, holders: [holder], waiters: [waiter], valueBytes: 12, latestToken: 41, lockDelayRemainingMs: 0 };

/**
 * Starts a canned AdminService; with `leader` set it is a follower that redirects (except Status);
 * `silent`: it takes every call and never answers (a leader that hangs mid-call).
 */
async function fakeAdmin(leader?: string, silent = false): Promise<{ address: string; server: grpc.Server; calls: string[] }> {
  const calls: string[] = [];
  let own = '';
  const answers: Record<string, (req: Record<string, unknown>) => unknown> = {
    Status: () => ({ clusterId: 'c1', leaderId: 'n1', term: 3, members: [member('n1', 'leader', 50, leader ?? own), member('n2', 'follower', 47)], answeredBy: leader === undefined ? 'n1' : 'n2', sessions: 2, locks: 1 }),
    ListLocks: (r) => ({ locks: String(r['prefix']).length > 0 && !'orders/1'.startsWith(String(r['prefix'])) ? [] : [lockInfo] }),
    DescribeLock: (r) => (r['name'] === 'orders/1' ? lockInfo : { code: grpc.status.NOT_FOUND, details: `no lock named '${String(r['name'])}'` }),
    ListSessions: () => ({ sessions: [{ sessionId: 'sess-a', clientName: 'worker-1', ttlMs: 10_000, remainingMs: 7000, holds: 1, waits: 0 }] }),
    Revoke: (r) => ({ revoked: [{ name: r['name'], token: Number(r['token']) || 41, mode: 'EXCLUSIVE' }] }),
    ExpireSession: () => ({ released: 2 }),
    AddMember: (r) => ({ members: [member('n1', 'leader', 50), { ...member('n4', 'learner', 0), id: r['id'] }] }),
    RemoveMember: () => ({ members: [member('n1', 'leader', 50)] }),
    TransferLeader: (r) => ({ leaderId: r['to'] || 'n2' }),
    Snapshot: () => ({ index: 50, bytes: 4096 }),
  };
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const [method, answer] of Object.entries(answers)) {
    handlers[method] = (call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      calls.push(method);
      if (silent) return;
      if (leader !== undefined && method !== 'Status') {
        const metadata = new grpc.Metadata();
        metadata.set('quorumlock-leader', leader);
        return cb({ code: grpc.status.UNAVAILABLE, details: 'not the leader', metadata });
      }
      const res = answer(call.request) as { code?: number };
      return res.code !== undefined ? cb(res as grpc.ServiceError) : cb(null, res);
    };
  }
  const server = new grpc.Server();
  server.addService(wire().adminService, handlers);
  const port = await new Promise<number>((ok, fail) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? fail(e) : ok(p))));
  own = `127.0.0.1:${port}`;
  return { address: own, server, calls };
}

let leader: Awaited<ReturnType<typeof fakeAdmin>>;
let follower: Awaited<ReturnType<typeof fakeAdmin>>;

beforeAll(async () => {
  leader = await fakeAdmin();
  follower = await fakeAdmin(leader.address);
});
afterAll(() => {
  leader.server.forceShutdown();
  follower.server.forceShutdown();
});

describe('AdminClient', () => {
  it('follows the leader hint for admin calls and asks any node for Status', async () => {
    const admin = new AdminClient({ endpoints: [follower.address] });
    try {
      expect((await admin.status()).answeredBy).toBe('n2');
      const locks = await admin.listLocks({ prefix: 'orders/' });
      expect(locks[0]?.holders[0]).toEqual({ ...holder, mode: 'exclusive' });
      expect(locks[0]?.waiters[0]?.mode).toBe('shared');
      expect(admin.knownLeader).toBe(leader.address);
      await expect(admin.describeLock('nope')).rejects.toBeInstanceOf(NotFoundError);
      expect(await admin.revoke('orders/1', { token: 41, reason: 'test' })).toEqual([{ name: 'orders/1', token: 41, mode: 'exclusive' }]);
    } finally {
      admin.close();
    }
  });

  it('never repeats a call that is not idempotent after a timeout; retries reads', async () => {
    const hung = await fakeAdmin(undefined, true);
    const admin = new AdminClient({ endpoints: [hung.address], callDeadlineMs: 150, backoff: { initialMs: 10, maxMs: 20, budgetMs: 600 } });
    try {
      // A second revoke of every holder could end a hold granted after the first one took effect.
      for (const call of [() => admin.revoke('orders/1'), () => admin.expireSession('sess-a'), () => admin.transferLeader(), () => admin.removeMember('n2')]) {
        const before = hung.calls.length;
        const err = await call().then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(ClusterUnavailableError);
        expect((err as Error).message).toMatch(/got no answer within 150 ms, so it may or may not have taken effect; it is not retried/);
        expect(hung.calls.length - before).toBe(1);
      }
      const before = hung.calls.length;
      await expect(admin.describeLock('orders/1')).rejects.toBeInstanceOf(ClusterUnavailableError);
      expect(hung.calls.length - before).toBeGreaterThan(1);
    } finally {
      admin.close();
      hung.server.forceShutdown();
    }
  });
});

describe('lockctl admin commands', () => {
  async function lockctl(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { stdout: (s) => out.push(s), stderr: (s) => err.push(s), env: { QUORUMLOCK_ENDPOINTS: follower.address }, isTTY: false });
    return { code, out: out.join(''), err: err.join('') };
  }

  it('status: the leader view with lag, as a table and as JSON', async () => {
    const t = await lockctl('status');
    expect(t.code).toBe(0);
    expect(t.out).toContain(`leader:      n1 (${leader.address})\n`);
    expect(t.out).toMatch(/^answered by: n1$/m); // the leader's own view
    // n2's client address in the stub's member list (127.0.0.1:6002) does not answer: lockctl
    // asks every member for its own view and marks one that does not answer unreachable.
    expect(t.out).toMatch(/^n2\s+unreachable\s+yes\s+3\s+50\s+47\s+3\s+47\s/m);
    const j = await lockctl('status', '--json');
    expect(JSON.parse(j.out)).toMatchObject({ leaderId: 'n1', answeredBy: 'n1', members: [{ id: 'n1', lag: 0 }, { id: 'n2', lag: 3 }] });
  });

  it('locks, lock NAME, sessions', async () => {
    expect((await lockctl('locks', '--prefix', 'orders/')).out).toMatch(/^orders\/1\s+1\s+1\s+1\s+1\.20s\s+41\s+12B$/m);
    expect((await lockctl('locks', '--prefix', 'jobs/')).out).toBe('(no locks)\n');
    const one = await lockctl('lock', 'orders/1');
    expect(one.out).toMatch(/^sess-a\s+worker-1\s+41\s+exclusive\s+1\s+2\.50s$/m);
    expect(one.out).toMatch(/^\s*1\s+sess-b\s+worker-2\s+9\s+shared\s+1\s+0\s+1\.20s$/m);
    expect(JSON.parse((await lockctl('lock', 'orders/1', '--json')).out)).toMatchObject({ name: 'orders/1', valueBytes: 12 });
    const missing = await lockctl('lock', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.err).toBe("lockctl: lock: no lock named 'nope' [ERR_NOT_FOUND]\n");
    expect((await lockctl('sessions')).out).toMatch(/^sess-a\s+worker-1\s+10\.0s\s+7\.00s\s+1\s+0$/m);
  });

  it('revoke, expire-session, members, transfer-leader, snapshot', async () => {
    expect((await lockctl('revoke', 'orders/1', '--token', '41', '--reason', 'stuck')).out).toMatch(/^revoked 1 hold of 'orders\/1':\nTOKEN\s+MODE\n\s*41\s+exclusive\n$/);
    expect((await lockctl('expire-session', 'sess-a')).out).toBe('session sess-a expired; 2 holds released\n');
    expect((await lockctl('members')).out).toMatch(/^n2\s+unreachable/m);
    expect((await lockctl('members', 'add', 'n4', '--peer', '127.0.0.1:7004', '--client', '127.0.0.1:6004')).out).toMatch(/^added n4\n[\s\S]*^n4\s+learner/m);
    expect(JSON.parse((await lockctl('members', 'remove', 'n2', '--json')).out)).toHaveLength(1);
    expect((await lockctl('transfer-leader', '--to', 'n3')).out).toBe('leader is now n3\n');
    expect(JSON.parse((await lockctl('snapshot', '--json')).out)).toEqual({ index: 50, bytes: 4096 });
  });

  it('top: one frame per iteration, or one JSON line per iteration', async () => {
    const t = await lockctl('top', '--iterations', '2', '--interval-ms', '10ms', '--rows', '5');
    expect(t.code).toBe(0);
    expect(t.out.match(/quorumlock top/g)).toHaveLength(2);
    expect(t.out).toMatch(/^orders\/1\s+1\s+1\.20s\s+1\/1\s+41\s+worker-1$/m);
    expect(t.out).not.toContain('\x1b[2J'); // not a terminal: no screen clearing
    const j = await lockctl('top', '--iterations', '3', '--interval-ms', '1', '--json');
    const lines = j.out.trim().split('\n').map((l) => JSON.parse(l) as { top: { name: string; queue: number }[] });
    expect(lines).toHaveLength(3);
    expect(lines[0]?.top[0]).toMatchObject({ name: 'orders/1', queue: 1 });
  });
});
