/**
 * Issue 9, items 4 and 5, with real quorumlock-server processes:
 * - two bits flipped in one stored log record of a stopped node: it refuses to start and names
 *   the index (the record's checksum), so it never serves divergent state;
 * - a log record rewritten with a valid checksum (so the node starts and replays it): the
 *   leader's consistency check finds its lock-state hash in the minority within 10 s; the node
 *   stops serving clients, `lockctl status` and its metrics show the alarm;
 * - a data dir belongs to one node of one cluster: another node, or the same node with another
 *   cluster id, refuses to start on it and says whose it is;
 * - (a founder that comes back with an empty data dir: lost-volume.test.ts);
 * - forged peer messages (a snapshot chunk with a wrong size, a garbage snapshot, a heartbeat
 *   with a higher term from a non-member) leave every node running, the leader and term in
 *   place, and nothing on disk.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';
import { GrpcTransport, type Message } from '@quorumlock/raft';
import { freePort } from '@quorumlock/raft/testing';
import { Level } from 'level';
import { RawSession } from './helpers/raw-session';
import { editStoredEntry, renameInStoredLog } from './helpers/stored-log';
import { lockctl } from './helpers/util';

jest.setTimeout(120_000);

const TICK_MS = 50;
const ELECTION_TICKS = 12;
/** The longest a follower waits for a heartbeat before campaigning (randomized up to 2x). */
const ELECTION_TIMEOUT_MS = 2 * TICK_MS * ELECTION_TICKS;
/** The default --cluster-id: a forged envelope needs it, and the test knows it. */
const CLUSTER_ID = 'quorumlock';

let cluster: CoordinatorCluster;
const sessions: RawSession[] = [];
const transports: GrpcTransport[] = [];

beforeEach(async () => {
  cluster = await CoordinatorCluster.create({ size: 3, args: ['--tick-ms', String(TICK_MS), '--election-ticks', String(ELECTION_TICKS)] });
  await cluster.startAll();
});

afterEach(async () => {
  for (const s of sessions.splice(0)) s.close();
  for (const t of transports.splice(0)) await t.close();
  await cluster.destroy();
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function dataDir(id: string): string {
  return path.join(cluster.baseDir, id);
}

/** Open a session on the leader and take `n` locks, so the log has real commands in it. */
async function writeSome(leader: string, n: number): Promise<void> {
  const s = new RawSession(cluster.address(leader));
  sessions.push(s);
  await s.open(10_000);
  for (let i = 1; i <= n; i++) {
    s.lock(i, `lock-${i}`);
    await s.granted(i);
  }
}

async function waitApplied(ids: readonly string[], leader: string): Promise<number> {
  const target = (await cluster.status(leader)).members.find((m) => m.id === leader)?.commitIndex ?? 0;
  const deadline = Date.now() + 10_000;
  for (const id of ids) {
    for (;;) {
      const applied = (await cluster.status(id)).members.find((m) => m.id === id)?.appliedIndex ?? 0;
      if (applied >= target) break;
      if (Date.now() > deadline) throw new Error(`${id} did not apply ${target} (at ${applied})`);
      await sleep(20);
    }
  }
  return target;
}

/** Start `id` expecting it to refuse; returns what it logged. */
async function expectRefusal(id: string, extra: readonly string[] = []): Promise<string> {
  const before = fs.existsSync(cluster.logFile(id)) ? fs.readFileSync(cluster.logFile(id), 'utf8').length : 0;
  await expect(cluster.start(id, extra)).rejects.toThrow(/exited with 1 before serving/);
  expect(cluster.isRunning(id)).toBe(false);
  return fs.readFileSync(cluster.logFile(id), 'utf8').slice(before);
}

function rawDb(dir: string): Level<Uint8Array, Uint8Array> {
  return new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
}

/** Every key and value of a data dir, as hex, to compare before and after. */
async function dump(dir: string): Promise<Map<string, string>> {
  const db = rawDb(dir);
  await db.open({ createIfMissing: false });
  try {
    const out = new Map<string, string>();
    for await (const [k, v] of db.iterator()) out.set(Buffer.from(k).toString('hex'), Buffer.from(v).toString('hex'));
    return out;
  } finally {
    await db.close();
  }
}


describe('corruption is detected, never applied', () => {
  test('two bits flipped in one stored log record: the node refuses to start and names the index', async () => {
    const leader = await cluster.waitLeader();
    await writeSome(leader, 10);
    const victim = cluster.ids.find((id) => id !== leader) as string;
    await waitApplied([victim], leader);
    await cluster.kill(victim, 'SIGTERM');

    // Flip two bits in the data of the last stored entry with a command in it.
    const flipped = await editStoredEntry(
      dataDir(victim),
      (v) => {
        if (v.byteLength <= 40) return undefined;
        v[v.length - 3] = (v[v.length - 3] as number) ^ 0b0001_0010;
        return v;
      },
      { fromEnd: true },
    );
    expect(flipped).toBeGreaterThan(3);

    const log = await expectRefusal(victim);
    expect(log).toContain(`(index ${flipped})`);
    expect(log).toContain('checksum mismatch');
    // The rest of the cluster goes on with the same leader.
    expect((await cluster.status(leader)).leaderId).toBe(leader);
  });

  test('an entry that passes its checksum but does not decode stops the node, naming it; it is never skipped', async () => {
    const leader = await cluster.waitLeader();
    await writeSome(leader, 5);
    const victim = cluster.ids.find((id) => id !== leader) as string;
    await waitApplied([victim], leader);
    await cluster.kill(victim, 'SIGTERM');

    // Break the command inside one entry (its map header becomes a byte MessagePack never uses)
    // and give the record a valid checksum again: only the decoder can object now.
    const broken = await editStoredEntry(
      dataDir(victim),
      (v) => {
        if (v.indexOf('lock-4') < 0) return undefined;
        // msgpackr writes maps with a 3-byte map16 header (0xde, length) before the first key.
        const typeKey = v.indexOf(Buffer.from([0xa4, ...Buffer.from('type')]));
        expect(v[typeKey - 3]).toBe(0xde);
        v[typeKey - 3] = 0xc1;
        return v;
      },
      { reseal: true },
    );
    expect(broken).toBeGreaterThan(3);

    // It may report that it started before it replays its log; either way it must stop.
    await cluster.start(victim).catch(() => undefined);
    const deadline = Date.now() + 10_000;
    while (cluster.isRunning(victim) && Date.now() < deadline) await sleep(50);
    const log = fs.readFileSync(cluster.logFile(victim), 'utf8');
    if (cluster.isRunning(victim)) console.log(log.split('\n').slice(-15).join('\n'));
    expect(cluster.isRunning(victim)).toBe(false);
    expect(log).toMatch(new RegExp(`entry ${broken} \\(term \\d+\\) does not decode`));
    expect((await cluster.status(leader)).leaderId).toBe(leader);
  });

  test('a record rewritten with a valid checksum: the consistency check flags the node within 10 s, and it stops serving', async () => {
    const leader = await cluster.waitLeader();
    await writeSome(leader, 5);
    const victim = cluster.ids.find((id) => id !== leader) as string;
    await waitApplied([victim], leader);
    await cluster.kill(victim, 'SIGTERM');

    // Rename one granted lock in the victim's log ("lock-3" -> "lock-X"), checksum and all.
    const rewritten = await renameInStoredLog(dataDir(victim), 'lock-3', 'lock-X');
    expect(rewritten).toBeGreaterThan(3);

    const metricsPort = await freePort();
    await cluster.start(victim, ['--metrics-listen', `127.0.0.1:${metricsPort}`]);
    const restarted = Date.now();
    // The check runs every 2 s by default: well within 10 s it must have flagged the victim.
    let alarms: { nodeId: string; index: number }[] = [];
    while (Date.now() - restarted < 10_000) {
      alarms = ((await cluster.status(victim)) as unknown as { alarms: { nodeId: string; index: number }[] }).alarms;
      if (alarms.length > 0) break;
      await sleep(100);
    }
    expect(alarms).toEqual([expect.objectContaining({ nodeId: victim })]);
    expect(alarms[0]?.index).toBeGreaterThanOrEqual(rewritten);
    expect(fs.readFileSync(cluster.logFile(leader), 'utf8')).toMatch(new RegExp(`consistency check: node ${victim}'s lock state at index \\d+ has hash`));

    // It serves no client, the leader is unchanged, and the operator sees why.
    const s = new RawSession(cluster.address(victim));
    sessions.push(s);
    await expect(s.open(5000)).rejects.toThrow(/divergent/);
    expect((await cluster.status(leader)).leaderId).toBe(leader);
    const status = await lockctl(['--endpoints', cluster.endpoints().join(','), 'status']);
    expect(status.stdout).toContain(`ALARM: node ${victim} is divergent`);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^quorumlock_divergent(\{[^}]*\})? 1$/m);
    expect(metrics).toMatch(new RegExp(`^quorumlock_consistency_alarms_total\\{[^}]*divergent="${victim}"[^}]*\\} 1$`, 'm'));
  });

  test('a node refuses another node\'s data dir and its own under another cluster id', async () => {
    const leader = await cluster.waitLeader();
    await writeSome(leader, 2);
    const [a, b] = cluster.ids.filter((id) => id !== leader) as [string, string];
    await Promise.all([cluster.kill(a, 'SIGTERM'), cluster.kill(b, 'SIGTERM')]);

    const foreign = await expectRefusal(a, ['--data-dir', dataDir(b)]);
    expect(foreign).toContain(`belongs to node "${b}" of cluster "${CLUSTER_ID}", not to node "${a}"`);

    const otherCluster = await expectRefusal(a, ['--cluster-id', 'another-cluster']);
    expect(otherCluster).toContain(`belongs to node "${a}" of cluster "${CLUSTER_ID}", not to node "${a}" of cluster "another-cluster"`);

    // With the right flags both come back and agree on the leader.
    await Promise.all([cluster.start(a), cluster.start(b)]);
    await cluster.waitLeader();
  });
});

describe('the peer port survives forged messages', () => {
  test('a wrong-size snapshot chunk, a garbage snapshot and a non-member heartbeat change nothing', async () => {
    const leader = await cluster.waitLeader();
    await writeSome(leader, 3);
    const follower = cluster.ids.find((id) => id !== leader) as string;
    await waitApplied(cluster.ids, leader);
    const { term } = await cluster.status(leader);

    // A peer that claims to be the leader (ids and cluster id are all a forged envelope needs).
    const asLeader = new GrpcTransport({ clusterId: CLUSTER_ID, selfId: leader, listenAddress: '127.0.0.1:0', peers: { [follower]: cluster.peerAddress(follower) } });
    transports.push(asLeader);
    const intruder = new GrpcTransport({ clusterId: CLUSTER_ID, selfId: 'intruder', listenAddress: '127.0.0.1:0', peers: { [leader]: cluster.peerAddress(leader) } });
    transports.push(intruder);
    const meta = { index: 1_000_000, term, confState: { voters: [...cluster.ids], learners: [] } };
    const garbage = Buffer.alloc(64);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 37 + 11) & 0xff;
    const forged: Message[] = [
      { type: 'snap', from: leader, to: follower, term, meta, offset: 0, totalBytes: 100, data: garbage.subarray(0, 8), done: true },
      { type: 'snap', from: leader, to: follower, term, meta, offset: 0, totalBytes: garbage.length, data: garbage, done: true },
    ];
    for (const m of forged) {
      asLeader.send([m]);
      await sleep(200);
    }
    intruder.send([{ type: 'heartbeat', from: 'intruder', to: leader, term: term + 10, commit: 1_000_000, ctx: '' }]);

    // Several election timeouts: long enough for a deposed leader or a dead node to show.
    await sleep(3 * ELECTION_TIMEOUT_MS);
    for (const id of cluster.ids) {
      expect(cluster.isRunning(id)).toBe(true);
      const st = await cluster.status(id);
      expect(st.leaderId).toBe(leader);
      expect(st.term).toBe(term);
      // Consistency checks ran meanwhile (every 2 s) and found nothing on a healthy cluster.
      expect((st as unknown as { alarms: unknown[] }).alarms).toEqual([]);
    }
    // Still serving writes.
    await writeSome(leader, 1);

    const followerLog = fs.readFileSync(cluster.logFile(follower), 'utf8');
    expect(followerLog).toContain('rejecting snapshot chunk');
    expect(followerLog).toContain('rejecting snapshot:');
    expect(fs.readFileSync(cluster.logFile(leader), 'utf8')).toContain('dropping heartbeat from non-member intruder');

    // Nothing of the forged snapshot reached the disk: the follower stores what its peers do.
    const applied = await waitApplied(cluster.ids, leader);
    await Promise.all(cluster.ids.map((id) => cluster.kill(id, 'SIGTERM')));
    const disk = await dump(dataDir(follower));
    const snapKeys = [...disk.keys()].filter((k) => k.startsWith(Buffer.from('!snap!').toString('hex')));
    expect(snapKeys).toEqual([]);
    const logKeys = [...disk.keys()].filter((k) => k.startsWith(Buffer.from('!log!').toString('hex')));
    expect(logKeys.length).toBeGreaterThanOrEqual(applied);
    const other = cluster.ids.find((id) => id !== leader && id !== follower) as string;
    const reference = await dump(dataDir(other));
    for (const k of logKeys) expect(disk.get(k)).toBe(reference.get(k));
  });
});
