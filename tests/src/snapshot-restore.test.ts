/**
 * Backup and restore with real processes (issue 13 §5): a 3-node cluster with holds, a queued
 * request and fenced values; `lockctl snapshot save FILE` (the real binary); the whole cluster
 * SIGKILLed; a NEW 3-node cluster (other ports, other data dirs, another cluster id) whose members
 * each start with `--restore FILE`. The restored cluster has the same locks, holders, tokens, queue,
 * values and sessions (a session resumes there with its secret), and the fencing tokens it grants
 * are above every token granted before. A node whose data dir has state, and a damaged file,
 * are refused with the file or data dir named.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';
import { AdminClient, type LockInfo } from '@quorumlock/client';
import { RawSession } from './helpers/raw-session';
import { killStrayLockctl, lockctl, runServerToExit } from './helpers/util';

jest.setTimeout(180_000);

const TICK = ['--tick-ms', '50'];
const clusters: CoordinatorCluster[] = [];
const sessions: RawSession[] = [];
const admins: AdminClient[] = [];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quorumlock-backup-'));

afterAll(async () => {
  killStrayLockctl();
  for (const s of sessions) s.close();
  for (const a of admins) a.close();
  for (const c of clusters) await c.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function session(address: string, ttlMs: number, name: string): Promise<RawSession> {
  const s = new RawSession(address);
  sessions.push(s);
  await s.open(ttlMs, '', name);
  return s;
}

function adminFor(c: CoordinatorCluster): AdminClient {
  const a = new AdminClient({ endpoints: c.endpoints() });
  admins.push(a);
  return a;
}

/** What must survive: every lock's holders, queue, latest token and value size; the sessions. */
function lockState(locks: readonly LockInfo[]): unknown {
  return locks.map((l) => ({
    name: l.name, capacity: l.capacity, valueBytes: l.valueBytes, latestToken: l.latestToken,
    holders: l.holders.map((h) => [h.sessionId, h.clientName, h.token, h.mode]),
    waiters: l.waiters.map((w) => [w.position, w.sessionId, w.requestId]),
  }));
}

test('a snapshot saved from a running cluster restores into a new 3-node cluster with its locks, values, sessions and tokens', async () => {
  const old = await CoordinatorCluster.create({ size: 3, args: TICK });
  clusters.push(old);
  await old.startAll();
  const leader = await old.waitLeader();
  const at = old.address(leader);

  // State to carry over: an exclusive hold with a value, a semaphore with two holders, a waiter,
  // and a value left on a lock nobody holds (it keeps the lock).
  const a = await session(at, 120_000, 'worker-a');
  const b = await session(at, 120_000, 'worker-b');
  a.lock(1, 'jobs/held');
  const held = await a.granted(1);
  a.send({ put: { requestId: 2, name: 'jobs/held', token: held.token, value: Buffer.from('watermark 41') } });
  await a.next((r) => r.msg === 'valuePut' && r.valuePut?.requestId === 2);
  a.lock(3, 'jobs/pool', { capacity: 2, mode: 'SHARED' });
  b.lock(1, 'jobs/pool', { capacity: 2, mode: 'SHARED' });
  await a.granted(3);
  await b.granted(1);
  b.lock(2, 'jobs/held');
  await b.next((r) => r.msg === 'queued' && r.queued?.requestId === 2);
  b.lock(3, 'jobs/idle');
  const idle = await b.granted(3);
  b.send({ put: { requestId: 4, name: 'jobs/idle', token: idle.token, value: Buffer.from('done up to 7') } });
  await b.next((r) => r.msg === 'valuePut' && r.valuePut?.requestId === 4);
  b.release(5, 'jobs/idle', idle.token);
  await b.next((r) => r.msg === 'released' && r.released?.requestId === 5);

  const oldAdmin = adminFor(old);
  const before = { locks: lockState(await oldAdmin.listLocks()), sessions: (await oldAdmin.listSessions()).map((s) => [s.sessionId, s.clientName, s.ttlMs, s.holds, s.waits]) };
  const maxTokenBefore = Math.max(...(await oldAdmin.listLocks()).map((l) => l.latestToken));
  expect(maxTokenBefore).toBeGreaterThan(0);

  // Back up with the real lockctl, once as a table and once as JSON.
  const file = path.join(dir, 'backup.qls');
  const text = await lockctl(['--endpoints', old.endpoints().join(','), 'snapshot', 'save', path.join(dir, 'first.qls')]);
  expect(text.stderr).toBe('');
  expect(text.code).toBe(0);
  expect(text.stdout).toMatch(/^saved a snapshot to .*first\.qls\nindex: +\d+\nterm: +\d+\nsize: +\d+ bytes\nsha256: +[0-9a-f]{64}\n/);
  const saved = await lockctl(['--endpoints', old.endpoints().join(','), 'snapshot', 'save', file, '--json']);
  expect(saved.code).toBe(0);
  const out = JSON.parse(saved.stdout) as { file: string; index: number; term: number; bytes: number; sha256: string; takenBy: string; members: { id: string; voter: boolean }[] };
  const bytes = fs.readFileSync(file);
  expect(out.bytes).toBe(bytes.byteLength);
  // The checksum it prints is the one the file ends with, and it is the SHA-256 of the rest.
  expect(out.sha256).toBe(bytes.subarray(bytes.byteLength - 32).toString('hex'));
  expect(createHash('sha256').update(bytes.subarray(0, bytes.byteLength - 32)).digest('hex')).toBe(out.sha256);
  expect(out.index).toBeGreaterThanOrEqual(maxTokenBefore);
  expect(out.term).toBeGreaterThan(0);
  expect(out.takenBy).toBe(await old.waitLeader());
  expect(out.members.map((m) => [m.id, m.voter])).toEqual([['n1', true], ['n2', true], ['n3', true]]);
  expect(fs.existsSync(`${file}.part`)).toBe(false);

  // The old cluster is gone for good.
  for (const s of [a, b]) s.cancelStream();
  for (const id of old.ids) await old.kill(id);

  const fresh = await CoordinatorCluster.create({ size: 3, args: [...TICK, '--cluster-id', 'restored'] });
  clusters.push(fresh);
  await Promise.all(fresh.ids.map((id) => fresh.start(id, ['--restore', file])));
  await fresh.waitAllVoters();
  const freshLeader = await fresh.waitLeader();
  for (const id of fresh.ids) {
    expect(fs.readFileSync(fresh.logFile(id), 'utf8')).toContain('restored the data dir from a snapshot file');
  }
  const st = await fresh.status(freshLeader);
  expect(st.clusterId).toBe('restored');
  expect(st.members.map((m) => [m.id, m.voter, m.clientAddress]).sort()).toEqual(fresh.ids.map((id) => [id, true, fresh.address(id)]));
  expect(st.sessions).toBe(2);

  const admin = adminFor(fresh);
  expect(lockState(await admin.listLocks())).toEqual(before.locks);
  expect((await admin.listSessions()).map((s) => [s.sessionId, s.clientName, s.ttlMs, s.holds, s.waits])).toEqual(before.sessions);

  // A worker resumes its session on the new cluster (its secret came through) and still holds.
  const resumed = new RawSession(fresh.address(freshLeader));
  sessions.push(resumed);
  const opened = await resumed.open(120_000, a.sessionId);
  expect(opened.sessionId).toBe(a.sessionId);
  expect(opened.holds.map((h) => [h.name, h.token]).sort()).toEqual([['jobs/held', held.token], ['jobs/pool', expect.any(Number)]]);

  // New fencing tokens are above every token the old cluster granted.
  const c = await session(fresh.address(freshLeader), 10_000, 'worker-c');
  c.lock(1, 'jobs/idle');
  const again = await c.granted(1);
  expect(again.token).toBeGreaterThan(maxTokenBefore);
  expect(again.token).toBeGreaterThan(out.index);
  expect(Buffer.from(again.value).toString()).toBe('done up to 7');
  // The holder releases; the waiter restored in the queue gets the lock with a higher token.
  resumed.release(10, 'jobs/held', held.token);
  await resumed.next((r) => r.msg === 'released' && r.released?.requestId === 10);
  const next = (await admin.describeLock('jobs/held')).holders;
  expect(next.map((h) => h.sessionId)).toEqual([b.sessionId]);
  expect(next[0]?.token).toBeGreaterThan(maxTokenBefore);

  // A member started again with --restore refuses: its data dir has state now.
  await fresh.kill('n3');
  await expect(fresh.start('n3', ['--restore', file])).rejects.toThrow(/exited with 1/);
  expect(fs.readFileSync(fresh.logFile('n3'), 'utf8')).toMatch(new RegExp(`--restore ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: data dir \\S+n3 already has state`));
});

test('--restore refuses a damaged or foreign file, naming it, and writes nothing', async () => {
  const dataDir = path.join(dir, 'refused');
  const base = ['--id', 'x1', '--data-dir', dataDir, '--initial-cluster', 'x1=127.0.0.1:1/127.0.0.1:2', '--log-level', 'error'];
  const good = fs.readFileSync(path.join(dir, 'backup.qls'));
  const damaged = Buffer.from(good);
  const middle = Math.floor(damaged.byteLength / 2);
  damaged[middle] = (damaged[middle] ?? 0) ^ 0xff;
  const damagedFile = path.join(dir, 'damaged.qls');
  fs.writeFileSync(damagedFile, damaged);
  const r1 = await runServerToExit([...base, '--restore', damagedFile]);
  expect(r1.code).toBe(1);
  expect(r1.stderr).toContain(`snapshot file ${damagedFile}: checksum mismatch`);
  const foreign = path.join(dir, 'foreign.qls');
  fs.writeFileSync(foreign, 'hello\n');
  const r2 = await runServerToExit([...base, '--restore', foreign]);
  expect(r2.code).toBe(1);
  expect(r2.stderr).toContain(`snapshot file ${foreign}: not a quorumlock snapshot`);
  const r3 = await runServerToExit([...base, '--restore', path.join(dir, 'missing.qls')]);
  expect(r3.code).toBe(1);
  expect(r3.stderr).toContain(`--restore ${path.join(dir, 'missing.qls')}: cannot read it`);
  expect(fs.existsSync(dataDir)).toBe(false);
  const r4 = await runServerToExit([...base, '--restore', damagedFile, '--join']);
  expect(r4.code).toBe(2);
  expect(r4.stderr).toContain(`--restore '${damagedFile}' seeds a member`);
});
