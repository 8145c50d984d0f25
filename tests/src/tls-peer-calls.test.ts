/**
 * Node-to-node calls other than Raft messages (the leader's consistency check, an empty founder's
 * questions, a node asking to be added or its old incarnation removed) under mTLS on both ports
 * and authorization on, with real processes and certificates made per run by Debian's openssl.
 * They go to the peer port's PeerService, authenticated by the peer certificate:
 * - an identity without a role on the client port cannot send a divergence notice
 *   (AdminService.CheckConsistency is admin-only, and takes no notice at all), and the client
 *   port serves no PeerService; on the peer port, a certificate naming no member, or a member
 *   that is not the leader, cannot report a divergence either;
 * - a certificate naming one id cannot join, or remove, another id;
 * - a founder back with an empty data dir rejoins (old incarnation removed, re-added, promoted);
 * - the consistency check still runs and flags a planted divergence (a log record rewritten with
 *   a valid checksum, as in corruption.test.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { LockClient, type Lease } from '@quorumlock/client';
import { CoordinatorCluster, PeerServiceClient, TestCa, v1, type CertPair } from '@quorumlock/coordinator/testing';
import { renameInStoredLog } from './helpers/stored-log';
import { waitUntil } from './helpers/util';

jest.setTimeout(180_000);

const TICK_MS = 50;
const ELECTION_TICKS = 12;
const CHECK_MS = 500;
const HARNESS_TOKEN = 'tok-admin-harness-000000000';
const POLICY = 'bindings:\n  - identity: test-harness\n    roles: [admin]\n  - identity: mallory\n    roles: [client]\n';

let dir: string;
let ca: TestCa;
let cluster: CoordinatorCluster;
const clients: LockClient[] = [];
const stubs: grpc.Client[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quorumlock-peer-calls-'));
  ca = new TestCa(path.join(dir, 'pki'));
  cluster = await CoordinatorCluster.create({
    size: 3,
    baseDir: path.join(dir, 'cluster'),
    args: ['--tick-ms', String(TICK_MS), '--election-ticks', String(ELECTION_TICKS), '--consistency-check-ms', String(CHECK_MS)],
    tls: { ca },
    auth: { policy: POLICY, tokens: `${HARNESS_TOKEN},test-harness\n`, harnessToken: HARNESS_TOKEN },
  });
  await cluster.startAll();
});

afterAll(async () => {
  for (const c of clients) await c.close();
  for (const s of stubs) s.close();
  await cluster.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

type Unary = (req: object, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void;

function call(client: grpc.Client, method: string, req: object): Promise<{ err: grpc.ServiceError | null; res: unknown }> {
  const fn = (client as unknown as Record<string, Unary>)[method];
  if (fn === undefined) throw new Error(`no method ${method}`);
  return new Promise((resolve) => fn.call(client, req, new grpc.Metadata(), { deadline: Date.now() + 5000 }, (err, res) => resolve({ err, res })));
}

/** A PeerService client on `id`'s peer port presenting `cert` (from the cluster's CA). */
function peerClient(id: string, cert: CertPair): grpc.Client {
  const m = ca.material(cert);
  const creds = grpc.credentials.createSsl(m.ca, m.key ?? null, m.cert ?? null, { checkServerIdentity: () => undefined });
  const c = new PeerServiceClient(cluster.peerAddress(id), creds, { 'grpc.ssl_target_name_override': 'quorumlock-peer' });
  stubs.push(c);
  return c;
}

function lockClient(): LockClient {
  const c = new LockClient({ endpoints: cluster.endpoints(), tls: cluster.clientTls(), authToken: HARNESS_TOKEN, clientName: 'peer-calls', ttlMs: 30_000 });
  clients.push(c);
  return c;
}

async function alarmsOf(id: string): Promise<Array<{ nodeId: string; index: number }>> {
  return ((await cluster.status(id)) as unknown as { alarms: Array<{ nodeId: string; index: number }> }).alarms;
}

test('nobody but the leader, over the peer port with its peer certificate, can send a divergence notice', async () => {
  const leader = await cluster.waitLeader();
  const [victim, other] = cluster.ids.filter((id) => id !== leader) as [string, string];
  const notice = { index: 1, waitMs: 0, divergent: true, alarm: { nodeId: victim, index: 1, hash: 'forged', expectedHash: 'forged-too', detectedBy: leader } };

  // The client port, as an identity with only the client role: CheckConsistency is an admin call.
  const m = cluster.clientTls('mallory');
  if (m === undefined) throw new Error('the cluster has no client TLS');
  const admin = new v1.AdminService(cluster.address(victim), grpc.credentials.createSsl(m.ca, m.key ?? null, m.cert ?? null), { 'grpc.ssl_target_name_override': 'localhost' });
  stubs.push(admin);
  const viaClientPort = await call(admin, 'checkConsistency', notice);
  expect(viaClientPort.err?.code).toBe(grpc.status.PERMISSION_DENIED);
  expect(viaClientPort.err?.details).toContain('CheckConsistency');
  // The client port serves no PeerService.
  const peerOnClientPort = new PeerServiceClient(cluster.address(victim), grpc.credentials.createSsl(m.ca, m.key ?? null, m.cert ?? null), { 'grpc.ssl_target_name_override': 'localhost' });
  stubs.push(peerOnClientPort);
  expect((await call(peerOnClientPort, 'checkConsistency', notice)).err?.code).toBe(grpc.status.UNIMPLEMENTED);
  expect((await call(peerOnClientPort, 'join', { id: 'n9', peerAddress: '127.0.0.1:1', clientAddress: '127.0.0.1:1' })).err?.code).toBe(grpc.status.UNIMPLEMENTED);

  // The peer port: a certificate from the CA that names no member, and one of a member that is not the leader.
  const noMember = await call(peerClient(victim, ca.client('mallory-peer')), 'checkConsistency', notice);
  expect(noMember.err?.code).toBe(grpc.status.UNAUTHENTICATED);
  const notLeader = await call(peerClient(victim, ca.peer(other, `${other}-forger`)), 'checkConsistency', { ...notice, alarm: { ...notice.alarm, detectedBy: other } });
  expect(notLeader.err?.code).toBe(grpc.status.PERMISSION_DENIED);
  expect(notLeader.err?.details).toContain('only the leader may report a divergence');
  // A member's certificate may still ask for a hash (what the leader's check does).
  const hash = await call(peerClient(victim, ca.peer(other, `${other}-asker`)), 'checkConsistency', { index: 1, waitMs: 0 });
  expect(hash.err).toBeNull();

  for (const id of cluster.ids) expect(await alarmsOf(id)).toEqual([]);
});

test('a peer certificate naming one id cannot add or remove another id', async () => {
  const leader = await cluster.waitLeader();
  const member = cluster.ids.find((id) => id !== leader) as string;
  const before = (await cluster.status(leader)).members.map((x) => x.id).sort();

  const asOther = await call(peerClient(leader, ca.peer('n9')), 'join', { id: 'n4', peerAddress: '127.0.0.1:1', clientAddress: '127.0.0.1:2' });
  expect(asOther.err?.code).toBe(grpc.status.PERMISSION_DENIED);
  expect(asOther.err?.details).toContain('naming member "n9" may not add member "n4"');
  const remove = await call(peerClient(leader, ca.peer('n9', 'n9-again')), 'leave', { id: member });
  expect(remove.err?.code).toBe(grpc.status.PERMISSION_DENIED);
  expect(remove.err?.details).toContain(`may not remove member "${member}"`);
  // A client certificate (no member id) cannot join at all.
  const anonymous = await call(peerClient(leader, ca.client('joiner')), 'join', { id: 'joiner', peerAddress: '127.0.0.1:1', clientAddress: '127.0.0.1:2' });
  expect(anonymous.err?.code).toBe(grpc.status.UNAUTHENTICATED);

  expect((await cluster.status(leader)).members.map((x) => x.id).sort()).toEqual(before);
});

test('a founder back with an empty data dir rejoins under mTLS and auth', async () => {
  const leader = await cluster.waitLeader();
  const held: Lease[] = [];
  const c = lockClient();
  for (let i = 1; i <= 3; i++) held.push(await c.acquire(`rejoin-${i}`, { waitTimeoutMs: 10_000 }));
  const victim = cluster.ids.find((id) => id !== leader) as string;
  const before = await cluster.status(leader);
  await cluster.kill(victim, 'SIGKILL');
  fs.rmSync(path.join(cluster.baseDir, victim), { recursive: true, force: true });
  const logFrom = fs.readFileSync(cluster.logFile(victim), 'utf8').length;
  await cluster.start(victim);
  // Until it is promoted the old incarnation may still be listed as a voter: wait for its word.
  await waitUntil(() => fs.readFileSync(cluster.logFile(victim), 'utf8').slice(logFrom).includes('added to the cluster and promoted to voter'), 60_000, `${victim} promoted`, 200);
  await cluster.waitAllVoters(30_000);
  const back = await waitUntil(async () => {
    const own = await cluster.status(victim).catch(() => undefined);
    return own !== undefined && own.locks === before.locks ? own : undefined;
  }, 30_000, `${victim} caught up`, 200);
  expect(back.sessions).toBe(before.sessions);
  const log = fs.readFileSync(cluster.logFile(victim), 'utf8').slice(logFrom);
  expect(log).toContain('the cluster already has a history');
  expect(log).toContain('the old incarnation of this node was removed from the configuration');
  expect(log).toContain('added to the cluster and promoted to voter');
  expect(log).not.toContain('bootstrapping a new cluster');
  // The leader took both requests from the victim's own peer certificate, and audited them.
  const leaderLog = fs.readFileSync(cluster.logFile(leader), 'utf8');
  expect(leaderLog).toContain(`audit: member-leave by peer ${victim}: done`);
  expect(leaderLog).toContain(`audit: member-join by peer ${victim}: done`);
  for (const l of held) await l.release();
});

test('the leader\'s consistency check still runs under mTLS and auth, and flags a planted divergence', async () => {
  const leader = await cluster.waitLeader();
  const c = lockClient();
  for (let i = 1; i <= 5; i++) await c.acquire(`lock-${i}`, { waitTimeoutMs: 10_000 });
  const victim = cluster.ids.find((id) => id !== leader) as string;
  const target = (await cluster.status(leader)).members.find((x) => x.id === leader)?.commitIndex ?? 0;
  await waitUntil(async () => ((await cluster.status(victim)).members.find((x) => x.id === victim)?.appliedIndex ?? 0) >= target, 10_000, `${victim} applied ${target}`);
  await cluster.kill(victim, 'SIGTERM');

  // Rename one granted lock in the victim's log ("lock-3" -> "lock-X"), checksum and all.
  const rewritten = await renameInStoredLog(path.join(cluster.baseDir, victim), 'lock-3', 'lock-X');
  expect(rewritten).toBeGreaterThan(3);

  await cluster.start(victim);
  // Rounds run every CHECK_MS; 20 of them is ample even under load.
  const alarms = await waitUntil(async () => {
    const a = await alarmsOf(victim).catch(() => []);
    return a.length > 0 ? a : undefined;
  }, 20 * CHECK_MS + 10_000, `an alarm about ${victim}`, 100);
  expect(alarms).toEqual([expect.objectContaining({ nodeId: victim })]);
  expect(alarms[0]?.index).toBeGreaterThanOrEqual(rewritten);
  expect(fs.readFileSync(cluster.logFile(leader), 'utf8')).toMatch(new RegExp(`consistency check: node ${victim}'s lock state at index \\d+ has hash`));
  expect((await alarmsOf(leader)).map((a) => a.nodeId)).toEqual([victim]);
});
