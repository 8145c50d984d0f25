/**
 * Issue 11 §3-5 with real processes: a 3-node cluster started with --auth-policy-file and
 * --auth-token-file (CoordinatorCluster `auth`). Anonymous callers get UNAUTHENTICATED, callers
 * without the permission PERMISSION_DENIED naming it; a `client` limited to `orders/` cannot lock
 * `billing/1`; a session is resumed only with its secret and by its opener's identity, and a
 * refused resume leaves the owner's stream alone; admin actions are logged with the caller's
 * identity and counted; both files are reloaded on change, and a bad change keeps the previous
 * one. The peer port serves no client calls and the client port no peer traffic.
 */
import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { AdminClient, LockClient, PermissionDeniedError, UnauthenticatedError, type LockClientOptions } from '@quorumlock/client';
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';
import { RawSession } from './helpers/raw-session';
import { killStrayLockctl, lockctl, waitUntil } from './helpers/util';

jest.setTimeout(90_000);

const TOKENS = {
  alice: 'tok-admin-alice-000000000000',
  grafana: 'tok-reader-grafana-00000000',
  orders: 'tok-client-orders-000000000',
  worker: 'tok-client-worker-000000000',
  mallory: 'tok-client-mallory-00000000',
  carol: 'tok-later-carol-00000000000',
};

const POLICY = `bindings:
  - identity: alice
    roles: [admin]
  - identity: grafana
    roles: [reader]
  - identity: orders-service
    roles: [client]
    prefixes: [orders/]
  - identity: worker
    roles: [client]
  - identity: mallory
    roles: [client]
`;

const TOKEN_FILE = [
  `${TOKENS.alice},alice`,
  `${TOKENS.grafana},grafana`,
  `${TOKENS.orders},orders-service`,
  `${TOKENS.worker},worker`,
  `${TOKENS.mallory},mallory`,
].join('\n');

let cluster: CoordinatorCluster;
const closers: (() => Promise<void> | void)[] = [];

function client(authToken: string | undefined, name: string, extra: Partial<LockClientOptions> = {}): LockClient {
  const c = new LockClient({
    endpoints: cluster.endpoints(), ttlMs: 10_000, clientName: name, backoff: { budgetMs: 10_000 }, ...(authToken === undefined ? {} : { authToken }), ...extra,
  });
  closers.push(() => c.close());
  return c;
}

function admin(authToken: string | undefined): AdminClient {
  const a = new AdminClient({ endpoints: cluster.endpoints(), backoff: { budgetMs: 10_000 }, ...(authToken === undefined ? {} : { authToken }) });
  closers.push(() => a.close());
  return a;
}

function bearer(token: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${token}`);
  return md;
}

function raw(address: string, token: string): RawSession {
  const s = new RawSession(address, bearer(token));
  closers.push(() => s.close());
  return s;
}

/** Every node's log, for audit lines (each node logs the calls it served). */
function logs(): string {
  return cluster.ids.map((id) => fs.readFileSync(cluster.logFile(id), 'utf8')).join('\n');
}

function auditLines(action: string): Record<string, unknown>[] {
  return logs()
    .split('\n')
    .filter((l) => l.includes('"audit":true'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l['action'] === action);
}

beforeAll(async () => {
  cluster = await CoordinatorCluster.create({ size: 3, metrics: true, auth: { policy: POLICY, tokens: TOKEN_FILE, harnessToken: TOKENS.grafana } });
  await cluster.startAll();
  await cluster.waitLeader();
});

afterEach(async () => {
  killStrayLockctl();
  for (const c of closers.splice(0).reverse()) await c();
});

afterAll(async () => {
  await cluster.destroy();
});

test('an anonymous caller, or one with an unknown token, is UNAUTHENTICATED, and the refusal is logged', async () => {
  await expect(admin(undefined).status()).rejects.toBeInstanceOf(UnauthenticatedError);
  await expect(admin('tok-nobody-knows-this-one').status()).rejects.toThrow(/unknown bearer token/);
  await expect(client(undefined, 'anon').acquire('orders/1', { waitTimeoutMs: 2000 })).rejects.toBeInstanceOf(UnauthenticatedError);
  // The node's log is written asynchronously: the refusal can reach the client before its line
  // reaches the file.
  const noCredentials = (l: Record<string, unknown>) => l['outcome'] === 'unauthenticated' && l['detail'] === 'no credentials' && l['method'] === 'LockService.Acquire';
  const unknownToken = (l: Record<string, unknown>) => l['detail'] === 'unknown bearer token' && String(l['remote']).includes('127.0.0.1');
  await waitUntil(() => auditLines('authenticate').some(noCredentials), 5000, 'the audit line of the anonymous Acquire');
  await waitUntil(() => auditLines('authenticate').some(unknownToken), 5000, 'the audit line of the unknown token');
});

test('Revoke as reader or client is PERMISSION_DENIED naming the permission and the lock; as admin it is done and audited with the identity and the victim session', async () => {
  const holder = client(TOKENS.worker, 'victim-worker');
  const lease = await holder.acquire('jobs/1');
  const holderSession = holder.sessionId;
  const denied = await admin(TOKENS.grafana).revoke('jobs/1').catch((e: unknown) => e);
  expect(denied).toBeInstanceOf(PermissionDeniedError);
  expect((denied as Error).message).toBe("'grafana' (role reader) may not Revoke lock 'jobs/1': permission 'admin:Revoke' needs role admin");
  await expect(admin(TOKENS.worker).revoke('jobs/1')).rejects.toThrow(/'worker' \(role client\) may not Revoke lock 'jobs\/1'/);
  expect(lease.signal.aborted).toBe(false);
  expect(auditLines('authorize').some((l) => l['identity'] === 'grafana' && l['outcome'] === 'denied' && l['method'] === 'AdminService.Revoke')).toBe(true);

  const revoked = await admin(TOKENS.alice).revoke('jobs/1', { reason: 'stuck job' });
  expect(revoked).toEqual([{ name: 'jobs/1', token: lease.token, mode: 'exclusive' }]);
  await waitUntil(() => lease.signal.aborted, 10_000, 'the holder told its lease is lost');
  const line = await waitUntil(() => auditLines('revoke').find((l) => l['identity'] === 'alice'), 5000, 'the audit line of the revoke');
  expect(line).toMatchObject({
    level: 30, outcome: 'ok', lock: 'jobs/1', token: 0, reason: 'stuck job',
    victims: [{ session: holderSession, client: 'victim-worker', token: lease.token }],
  });
  expect(String(line['remote'])).toMatch(/127\.0\.0\.1/);
  // Counted on the node that served it (the leader).
  const leader = await cluster.waitLeader();
  const metrics = await (await fetch(`http://${cluster.metricsAddress(leader)}/metrics`)).text();
  expect(metrics).toMatch(/quorumlock_audit_events_total\{[^}]*action="revoke"[^}]*outcome="ok"[^}]*\} [1-9]/);
});

test('expire-session, snapshot and a failed member removal by an admin are audited with their targets', async () => {
  const victim = client(TOKENS.worker, 'expire-me');
  await victim.acquire('jobs/2');
  // Read before the expiry: the SDK forgets the id once it learns its session is gone.
  const sessionId = victim.sessionId;
  const a = admin(TOKENS.alice);
  await a.expireSession(sessionId);
  await a.snapshot();
  await expect(admin(TOKENS.grafana).snapshot()).rejects.toBeInstanceOf(PermissionDeniedError);
  const expired = await waitUntil(() => auditLines('expire-session').find((l) => l['session'] === sessionId), 5000, 'expire-session audited');
  expect(expired).toMatchObject({ identity: 'alice', client: 'expire-me', outcome: 'ok' });
  expect(auditLines('snapshot').filter((l) => l['identity'] === 'alice' && l['outcome'] === 'ok')).toHaveLength(1);
  // A failed action is audited too, with its target and why it failed.
  await expect(a.removeMember('n9')).rejects.toThrow(/member n9 is not in the cluster/);
  const removal = await waitUntil(() => auditLines('member-remove').find((l) => l['member'] === 'n9'), 5000, 'member-remove audited');
  expect(removal).toMatchObject({ identity: 'alice', outcome: 'failed', detail: 'member n9 is not in the cluster' });
});

test('SaveSnapshot (a backup of the whole state) is for admins only, and audited', async () => {
  await expect(admin(TOKENS.grafana).saveSnapshot()).rejects.toThrow(/'grafana' \(role reader\) may not SaveSnapshot a copy of the whole lock state: permission 'admin:SaveSnapshot' needs role admin/);
  await expect(admin(TOKENS.worker).saveSnapshot()).rejects.toBeInstanceOf(PermissionDeniedError);
  await expect(admin(undefined).saveSnapshot()).rejects.toBeInstanceOf(UnauthenticatedError);
  const snap = await admin(TOKENS.alice).saveSnapshot();
  expect(snap.index).toBeGreaterThan(0);
  expect(snap.data.byteLength).toBeGreaterThan(0);
  const line = await waitUntil(() => auditLines('snapshot-save').find((l) => l['identity'] === 'alice'), 5000, 'snapshot-save audited');
  expect(line).toMatchObject({ outcome: 'ok', level: 30 });
  expect(auditLines('authorize').some((l) => l['identity'] === 'grafana' && l['outcome'] === 'denied' && l['method'] === 'AdminService.SaveSnapshot')).toBe(true);
});

test('a client limited to orders/ locking billing/1 is PERMISSION_DENIED; orders/1 is granted', async () => {
  const orders = client(TOKENS.orders, 'orders');
  const err = await orders.acquire('billing/1', { waitTimeoutMs: 5000 }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PermissionDeniedError);
  expect((err as Error).message).toBe("'orders-service' (role client) may not lock 'billing/1': permission 'lock:lock' needs a name under 'orders/'");
  const lease = await orders.acquire('orders/1');
  expect(lease.token).toBeGreaterThan(0);
  // The refusal answered one request; the session and its other lease are fine.
  expect(orders.connected).toBe(true);
  expect(lease.signal.aborted).toBe(false);
  await lease.release();
  // A reader may read but not lock.
  await expect(client(TOKENS.grafana, 'reader-locks').acquire('orders/2', { waitTimeoutMs: 2000 })).rejects.toThrow(/'grafana' \(role reader\) may not Acquire LockService/);
});

test('resuming with a wrong secret or as another identity is refused (NOT_FOUND) while the owner\'s stream goes on; the owner resumes', async () => {
  const leader = cluster.address(await cluster.waitLeader());
  const owner = raw(leader, TOKENS.worker);
  const opened = await owner.open(10_000, '', 'owner');
  expect(opened.sessionSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  owner.lock(1, 'res/1');
  const held = await owner.granted(1);

  const wrong = raw(leader, TOKENS.worker);
  wrong.send({ open: { sessionId: opened.sessionId, ttlMs: 10_000, clientName: 'thief', sessionSecret: 'not-the-secret' } });
  expect(await wrong.waitEnd()).toMatchObject({ code: grpc.status.NOT_FOUND, details: `session '${opened.sessionId}' not found (unknown, closed or expired)` });
  const missing = raw(leader, TOKENS.worker);
  missing.send({ open: { sessionId: opened.sessionId, ttlMs: 10_000, clientName: 'thief' } });
  expect((await missing.waitEnd()).code).toBe(grpc.status.NOT_FOUND);
  const other = raw(leader, TOKENS.mallory);
  other.send({ open: { sessionId: opened.sessionId, ttlMs: 10_000, clientName: 'thief', sessionSecret: opened.sessionSecret } });
  expect((await other.waitEnd()).code).toBe(grpc.status.NOT_FOUND);

  // The owner's stream was not touched: it is open, keepalives are answered, the hold stands.
  expect(owner.ended).toBeNull();
  const seq = owner.keepalive();
  await owner.next((r) => r.msg === 'keepaliveAck' && r.keepaliveAck?.seq === seq);
  expect(owner.log.some((r) => r.msg === 'lost')).toBe(false);
  const refusals = auditLines('resume-session').filter((l) => l['session'] === opened.sessionId);
  expect(refusals.map((l) => l['detail']).sort()).toEqual(['no session secret', "the session belongs to 'worker'", 'wrong session secret']);
  expect(refusals.map((l) => l['identity']).sort()).toEqual(['mallory', 'worker', 'worker']);

  // The owner itself resumes on a new stream (with the secret) and still holds the lock.
  const again = raw(leader, TOKENS.worker);
  const resumed = await again.open(10_000, opened.sessionId, 'owner', opened.sessionSecret);
  expect(resumed).toMatchObject({ resumed: true, sessionSecret: '', holds: [{ name: 'res/1', token: held.token }] });

  // ListSessions and lockctl sessions show the id, never the secret.
  const sessions = await admin(TOKENS.grafana).listSessions();
  expect(sessions.map((s) => s.sessionId)).toContain(opened.sessionId);
  expect(JSON.stringify(sessions)).not.toContain(opened.sessionSecret);
  const cli = await lockctl(['--endpoints', cluster.endpoints().join(','), 'sessions', '--json'], { QUORUMLOCK_AUTH_TOKEN: TOKENS.grafana });
  expect(cli.code).toBe(0);
  expect(cli.stdout).toContain(opened.sessionId);
  expect(cli.stdout).not.toContain(opened.sessionSecret);
  expect(logs()).not.toContain(opened.sessionSecret);
});

test('the SDK resumes its own session across a leader change (it keeps the secret)', async () => {
  const c = client(TOKENS.worker, 'sdk-resume');
  const lease = await c.acquire('res/sdk');
  const sessionId = c.sessionId;
  const oldLeader = await cluster.waitLeader();
  await admin(TOKENS.alice).transferLeader();
  await waitUntil(async () => (await cluster.waitLeader()) !== oldLeader, 15_000, 'a new leader');
  await waitUntil(() => c.connected, 15_000, 'the client back on the new leader');
  expect(c.sessionId).toBe(sessionId);
  expect(lease.signal.aborted).toBe(false);
  expect(auditLines('transfer-leader').some((l) => l['identity'] === 'alice' && l['outcome'] === 'ok')).toBe(true);
});

test('lockctl: --auth-token and QUORUMLOCK_AUTH_TOKEN; a reader cannot revoke', async () => {
  const eps = cluster.endpoints().join(',');
  const st = await lockctl(['--endpoints', eps, '--auth-token', TOKENS.grafana, 'status', '--json']);
  expect(st.code).toBe(0);
  const anon = await lockctl(['--endpoints', eps, 'status']);
  expect(anon.code).not.toBe(0);
  expect(anon.stderr).toMatch(/no credentials/);
  const rv = await lockctl(['--endpoints', eps, 'revoke', 'jobs/9'], { QUORUMLOCK_AUTH_TOKEN: TOKENS.grafana });
  expect(rv.code).not.toBe(0);
  expect(rv.stderr).toContain("permission 'admin:Revoke' needs role admin");
});

test('the token file and the policy are reloaded on change; a bad change is logged and the previous file stays in force', async () => {
  const carol = admin(TOKENS.carol);
  await expect(carol.status()).rejects.toBeInstanceOf(UnauthenticatedError);
  // A token for carol, but no role yet: authenticated, not allowed.
  fs.writeFileSync(cluster.tokenFile, `${TOKEN_FILE}\n${TOKENS.carol},carol\n`);
  await waitUntil(() => carol.status().then(() => false, (e: unknown) => e instanceof PermissionDeniedError), 15_000, 'carol known but without a role');
  fs.writeFileSync(cluster.policyFile, `${POLICY}  - identity: carol\n    roles: [reader]\n`);
  await waitUntil(() => carol.status().then(() => true, () => false), 15_000, 'carol may read');

  // Broken files: errors naming file and line, everything keeps working as before.
  fs.writeFileSync(cluster.tokenFile, `${TOKEN_FILE}\n${TOKENS.carol},carol\nno comma here at all, but, three\n`);
  fs.writeFileSync(cluster.policyFile, `${POLICY}  - identity: carol\n    roles: [superuser]\n`);
  await waitUntil(() => logs().includes(`${cluster.policyFile}:13: role 'superuser'`) && logs().includes(`${cluster.tokenFile}:7: expected`), 15_000, 'both reload errors logged');
  expect(logs()).toContain('auth policy file reload failed; the previous one stays in force');
  await expect(carol.status()).resolves.toMatchObject({ leaderId: expect.any(String) as string });
  await expect(admin(TOKENS.grafana).revoke('x')).rejects.toBeInstanceOf(PermissionDeniedError);

  fs.writeFileSync(cluster.tokenFile, TOKEN_FILE);
  fs.writeFileSync(cluster.policyFile, POLICY);
  await waitUntil(() => carol.status().then(() => false, (e: unknown) => e instanceof UnauthenticatedError), 15_000, 'carol gone again');
});

test('the peer port serves no client or admin calls, and the client port no peer traffic', async () => {
  const id = cluster.ids[0] ?? 'n1';
  const unary = (address: string, method: string): Promise<grpc.StatusObject | null> =>
    new Promise((resolve) => {
      const c = new grpc.Client(address, grpc.credentials.createInsecure());
      c.makeUnaryRequest(method, (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), bearer(TOKENS.alice), (err) => {
        c.close();
        resolve(err);
      });
    });
  const clientStream = (address: string, method: string): Promise<grpc.StatusObject | null> =>
    new Promise((resolve) => {
      const c = new grpc.Client(address, grpc.credentials.createInsecure());
      const call = c.makeClientStreamRequest(method, (b: Buffer) => b, (b: Buffer) => b, (err) => {
        c.close();
        resolve(err);
      });
      call.end();
    });
  for (const method of ['/quorumlock.v1.AdminService/Status', '/quorumlock.v1.AdminService/Revoke', '/quorumlock.v1.LockService/CheckFence']) {
    expect((await unary(cluster.peerAddress(id), method))?.code).toBe(grpc.status.UNIMPLEMENTED);
  }
  expect((await clientStream(cluster.address(id), '/quorumlock.v1.RaftTransport/Send'))?.code).toBe(grpc.status.UNIMPLEMENTED);
  // The same calls on the right ports are served (so the refusals above are about the port).
  expect((await unary(cluster.address(id), '/quorumlock.v1.AdminService/Status'))).toBeNull();
});
