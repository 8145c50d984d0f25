/**
 * Issue 9 §4 / issue 13 §3, with real quorumlock-server processes: a founder that comes back with
 * an EMPTY data dir never bootstraps a second history and never counts as its old self.
 * - With the cluster running, it has the leader remove its old incarnation (the leader forgets
 *   the old match index and vote), starts with no configuration, and is added back as a learner,
 *   then promoted once caught up; no operator step.
 * - With no other founder answering (the others down), it cannot tell a new cluster from an old
 *   one: it waits, answering Status on its peer port as a member that has not bootstrapped, and
 *   rejoins once they are back.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CoordinatorCluster, type StatusView } from '@quorumlock/coordinator/testing';
import { RawSession } from './helpers/raw-session';
import { waitUntil } from './helpers/util';

jest.setTimeout(120_000);

const TICK_MS = 50;
const ELECTION_TICKS = 12;
const ELECTION_TIMEOUT_MS = 2 * TICK_MS * ELECTION_TICKS;

let cluster: CoordinatorCluster;
const sessions: RawSession[] = [];

beforeEach(async () => {
  cluster = await CoordinatorCluster.create({ size: 3, args: ['--tick-ms', String(TICK_MS), '--election-ticks', String(ELECTION_TICKS)] });
  await cluster.startAll();
});

afterEach(async () => {
  for (const s of sessions.splice(0)) s.close();
  await cluster.destroy();
});

async function takeLocks(leader: string, n: number): Promise<void> {
  const s = new RawSession(cluster.address(leader));
  sessions.push(s);
  await s.open(10_000);
  for (let i = 1; i <= n; i++) {
    s.lock(i, `lock-${i}`);
    await s.granted(i);
  }
}

function readLog(id: string, from = 0): string {
  return fs.readFileSync(cluster.logFile(id), 'utf8').slice(from);
}

function logSize(id: string): number {
  return fs.statSync(cluster.logFile(id)).size;
}

/** Wait until the leader lists `id` as a voter that has applied everything the leader committed. */
async function waitVoterCaughtUp(id: string, timeoutMs = 30_000): Promise<StatusView> {
  return waitUntil(async () => {
    const leader = await cluster.waitLeader(5000);
    const st = await cluster.status(leader);
    const m = st.members.find((x) => x.id === id) as (StatusView['members'][number] & { voter: boolean }) | undefined;
    const commit = st.members.find((x) => x.id === leader)?.commitIndex ?? 0;
    const own = await cluster.status(id);
    const applied = own.members.find((x) => x.id === id)?.appliedIndex ?? 0;
    return m?.voter === true && applied >= commit && own.leaderId === leader ? own : undefined;
  }, timeoutMs, `${id} a caught-up voter`, 100);
}

test('a founder back with an empty data dir rejoins as a new member: old incarnation removed, re-added as a learner, promoted', async () => {
  const leader = await cluster.waitLeader();
  await takeLocks(leader, 5);
  const victim = cluster.ids.find((id) => id !== leader) as string;
  const before = await cluster.status(leader);
  await cluster.kill(victim, 'SIGKILL');
  fs.rmSync(path.join(cluster.baseDir, victim), { recursive: true, force: true });
  const [victimFrom, leaderFrom] = [logSize(victim), logSize(leader)];

  await cluster.start(victim);
  const back = await waitVoterCaughtUp(victim);
  // It holds the cluster's state, not a second history of its own.
  expect(back.locks).toBe(before.locks);
  expect(back.sessions).toBe(before.sessions);
  const log = readLog(victim, victimFrom);
  expect(log).toContain('the cluster already has a history');
  expect(log).toContain('the old incarnation of this node was removed from the configuration');
  expect(log).toContain('added to the cluster and promoted to voter');
  expect(log).not.toContain('bootstrapping a new cluster');
  // The leader never changed: the empty node disrupted nothing.
  const after = await cluster.status(leader);
  expect(after.leaderId).toBe(leader);
  expect(after.term).toBe(before.term);
  // The leader's log shows the remove, then the learner, then the promotion.
  const leaderLog = readLog(leader, leaderFrom);
  const order = [`"member":"${victim}","index":`, ...['addLearner', 'promote'].map((t) => `"member":"${victim}","change":"${t}"`)].map((s) => leaderLog.indexOf(s));
  expect(order.every((i) => i >= 0)).toBe(true);
  expect([...order].sort((a, b) => a - b)).toEqual(order);
});

test('an empty founder that no other founder answers waits (no vote, no bootstrap), then rejoins once they are back', async () => {
  const leader = await cluster.waitLeader();
  await takeLocks(leader, 3);
  const st = await cluster.status(leader);
  for (const s of sessions.splice(0)) s.close();
  const victim = cluster.ids.find((id) => id !== leader) as string;
  await Promise.all(cluster.ids.map((id) => cluster.kill(id, 'SIGKILL')));
  fs.rmSync(path.join(cluster.baseDir, victim), { recursive: true, force: true });
  const victimFrom = logSize(victim);

  const started = cluster.start(victim);
  started.catch(() => undefined);
  // For several election timeouts it answers only as a founder that has not bootstrapped.
  const waitingSince = Date.now();
  while (Date.now() - waitingSince < 4 * ELECTION_TIMEOUT_MS) {
    const s = await cluster.status(victim, 1000).catch(() => null);
    if (s !== null) expect({ term: s.term, members: s.members, leaderId: s.leaderId }).toEqual({ term: 0, members: [], leaderId: '' });
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(fs.existsSync(path.join(cluster.baseDir, victim))).toBe(true);
  await waitUntil(() => readLog(victim, victimFrom).includes('waiting for every founder to answer'), 10_000, 'the waiting log line');

  await Promise.all(cluster.ids.filter((id) => id !== victim).map((id) => cluster.start(id)));
  await started;
  const back = await waitVoterCaughtUp(victim);
  expect(back.locks).toBe(st.locks);
  expect(readLog(victim, victimFrom)).not.toContain('bootstrapping a new cluster');
});
