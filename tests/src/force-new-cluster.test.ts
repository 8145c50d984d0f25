/**
 * Recovery from permanent quorum loss with real processes (issue 13 §5), as etcd's
 * --force-new-cluster: a 3-node cluster holds a lock; two members are SIGKILLed and their data
 * dirs deleted (gone for good); the survivor restarted with `--force-new-cluster` logs an
 * error-level line, rewrites the configuration to itself alone and leads, with its holds, values,
 * sessions and tokens; two fresh members are added back the ordinary way (--join, then
 * AddMember) and become voters; once the flag is dropped the survivor restarts as an ordinary
 * member, and a new member, once leader, has the same state. Without the flag the survivor
 * never leads alone. Bad uses are refused with the data dir named.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';
import { AdminClient } from '@quorumlock/client';
import { RawSession } from './helpers/raw-session';
import { runServerToExit, waitUntil } from './helpers/util';

jest.setTimeout(180_000);

let cluster: CoordinatorCluster;
const sessions: RawSession[] = [];
const admins: AdminClient[] = [];
const timers: (() => void)[] = [];

afterAll(async () => {
  for (const stop of timers) stop();
  for (const s of sessions) s.close();
  for (const a of admins) a.close();
  await cluster?.destroy();
});

function adminAt(...endpoints: string[]): AdminClient {
  const a = new AdminClient({ endpoints, backoff: { budgetMs: 20_000 } });
  admins.push(a);
  return a;
}

test('the survivor of a lost majority, restarted with --force-new-cluster, leads alone with its state, and fresh members join it as voters', async () => {
  cluster = await CoordinatorCluster.create({ size: 3, args: ['--tick-ms', '50'] });
  await cluster.startAll();
  const leader = await cluster.waitLeader();
  const a = new RawSession(cluster.address(leader));
  sessions.push(a);
  await a.open(120_000, '', 'survivor-worker');
  a.lock(1, 'orders/7');
  const held = await a.granted(1);
  a.send({ put: { requestId: 2, name: 'orders/7', token: held.token, value: Buffer.from('charged') } });
  await a.next((r) => r.msg === 'valuePut' && r.valuePut?.requestId === 2);
  a.lock(3, 'orders/8');
  const other = await a.granted(3);
  const maxTokenBefore = Math.max(held.token, other.token);

  // The survivor is a follower that has applied everything the leader committed.
  const survivor = cluster.ids.find((id) => id !== leader) ?? 'n1';
  const lost = cluster.ids.filter((id) => id !== survivor);
  const commit = (await cluster.status(leader)).members.find((m) => m.id === leader)?.commitIndex ?? 0;
  await waitUntil(async () => ((await cluster.status(survivor)).members.find((m) => m.id === survivor)?.appliedIndex ?? 0) >= commit, 10_000, 'the survivor caught up');
  const before = await adminAt(cluster.address(leader)).describeLock('orders/7');

  a.cancelStream();
  for (const id of lost) {
    await cluster.kill(id);
    fs.rmSync(path.join(cluster.baseDir, id), { recursive: true, force: true });
  }
  await cluster.kill(survivor);

  // Restarted as it was, it cannot lead: its configuration still counts three voters.
  await cluster.start(survivor);
  const wait = await cluster.waitLeader(3000, [survivor]).catch((e: unknown) => e);
  expect(String(wait)).toMatch(/no agreed leader/);
  await cluster.kill(survivor);

  await cluster.start(survivor, ['--force-new-cluster']);
  expect(await cluster.waitLeader(15_000, [survivor])).toBe(survivor);
  const loud = fs
    .readFileSync(cluster.logFile(survivor), 'utf8')
    .split('\n')
    .filter((l) => l.includes('"forceNewCluster":true'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(loud).toHaveLength(1);
  expect(loud[0]).toMatchObject({ level: 50, removed: [...lost].sort(), promoted: false });
  const alone = await cluster.status(survivor);
  expect(alone.members.map((m) => [m.id, m.voter, m.role])).toEqual([[survivor, true, 'leader']]);

  // Its state is all there: holder, token, value, session; new tokens are above the old ones.
  const admin = adminAt(cluster.address(survivor));
  const after = await admin.describeLock('orders/7');
  expect(after.holders.map((h) => [h.sessionId, h.token])).toEqual(before.holders.map((h) => [h.sessionId, h.token]));
  expect(after.valueBytes).toBe('charged'.length);
  const resumed = new RawSession(cluster.address(survivor));
  sessions.push(resumed);
  const opened = await resumed.open(120_000, a.sessionId);
  expect(opened.holds.map((h) => [h.name, h.token]).sort()).toEqual([['orders/7', held.token], ['orders/8', other.token]]);
  resumed.lock(4, 'orders/9');
  const fresh = await resumed.granted(4);
  expect(fresh.token).toBeGreaterThan(maxTokenBefore);
  timers.push(resumed.keepAliveEvery(2000));

  // Two fresh members (empty data dirs) are added back the ordinary way and become voters.
  for (const id of lost) {
    await cluster.start(id, ['--join']);
    await admin.addMember(id, cluster.peerAddress(id), cluster.address(id));
  }
  await cluster.waitAllVoters();
  // Each new member has applied its own promotion (a learner that has not yet learnt it was
  // promoted does not campaign, and the survivor is about to be stopped).
  for (const id of lost) {
    await waitUntil(async () => (await cluster.status(id)).members.find((m) => m.id === id)?.voter === true, 15_000, `${id} knows it is a voter`);
  }

  // The flag removed, the survivor restarts as an ordinary member of the three.
  await cluster.kill(survivor);
  const next = await cluster.waitLeader(15_000, lost);
  await cluster.start(survivor);
  await cluster.waitAllVoters();
  const st = await cluster.status(next);
  expect(st.members.filter((m) => m.voter).map((m) => m.id).sort()).toEqual([...cluster.ids].sort());
  const onNew = await adminAt(cluster.address(next)).describeLock('orders/7');
  expect(onNew.holders.map((h) => [h.sessionId, h.token])).toEqual(before.holders.map((h) => [h.sessionId, h.token]));
});

test('--force-new-cluster refuses a missing data dir and --join, naming them', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quorumlock-force-'));
  try {
    const dataDir = path.join(dir, 'gone');
    const base = ['--id', 'x1', '--data-dir', dataDir, '--initial-cluster', 'x1=127.0.0.1:1/127.0.0.1:2', '--log-level', 'error'];
    const missing = await runServerToExit([...base, '--force-new-cluster']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`--force-new-cluster: data dir ${dataDir} does not exist`);
    expect(fs.existsSync(dataDir)).toBe(false);
    const join = await runServerToExit([...base, '--force-new-cluster', '--join']);
    expect(join.code).toBe(2);
    expect(join.stderr).toContain('--force-new-cluster keeps this node\'s data and makes it the only member; it cannot also --join');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
