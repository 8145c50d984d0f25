/**
 * The server's info-level log lines an operator relies on (docs/operations.md, "Logs"), read
 * from real servers' log files: one `node` key per line (a Raft line used to add a second one,
 * naming another member), role changes with term and reason, membership changes with their
 * target, and an administrator's revoke and expire-session with target and reason.
 */
import * as fs from 'node:fs';
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';
import { AdminClient, LockClient } from '@quorumlock/client';
import { waitUntil } from './helpers/util';

jest.setTimeout(60_000);

let cluster: CoordinatorCluster;
let admin: AdminClient;

beforeAll(async () => {
  cluster = await CoordinatorCluster.create({ size: 3, args: ['--tick-ms', '50', '--election-ticks', '10'] });
  await cluster.startAll();
  admin = new AdminClient({ endpoints: cluster.endpoints() });
});

afterAll(async () => {
  admin?.close();
  await cluster?.destroy();
});

type Line = Record<string, unknown> & { raw: string };

function lines(id: string): Line[] {
  return fs
    .readFileSync(cluster.logFile(id), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((raw) => ({ ...(JSON.parse(raw) as Record<string, unknown>), raw }));
}

test('every line names its node once; role and membership changes are at info with term, reason and target', async () => {
  const leader = await cluster.waitLeader();
  for (const id of cluster.ids) {
    const all = lines(id);
    expect(all.length).toBeGreaterThan(0);
    expect(all.filter((l) => (l.raw.match(/"node":/g) ?? []).length !== 1).map((l) => l.raw)).toEqual([]);
    expect(all.every((l) => l['node'] === id)).toBe(true);
    const membership = all.filter((l) => l['msg'] === 'membership changed');
    expect(membership.length).toBeGreaterThanOrEqual(3); // the founders' bootstrap entries
    for (const m of membership) expect(m).toMatchObject({ level: 30, member: expect.stringMatching(/^n\d$/), change: expect.any(String) });
    const roles = all.filter((l) => l['msg'] === 'role changed');
    expect(roles.length).toBeGreaterThan(0);
    for (const r of roles) expect(r).toMatchObject({ level: 30, term: expect.any(Number), reason: expect.any(String) });
  }
  expect(lines(leader).some((l) => l['msg'] === 'role changed' && l['reason'] === 'won the election')).toBe(true);
});

test('revoke and expire-session are logged at info by the leader with target and reason', async () => {
  const worker = new LockClient({ endpoints: cluster.endpoints(), clientName: 'log-test' });
  try {
    await worker.acquire('logs/a');
    await admin.revoke('logs/a', { reason: 'log test revoke' });
    const sessionId = worker.sessionId;
    await admin.expireSession(sessionId);
    const leader = await cluster.waitLeader();
    const revoked = await waitUntil(() => lines(leader).find((l) => l['msg'] === 'hold revoked'), 10_000, 'a revoke line');
    expect(revoked).toMatchObject({ level: 30, lock: 'logs/a', reason: 'log test revoke', client: 'log-test', token: expect.any(Number) });
    const expired = await waitUntil(() => lines(leader).find((l) => l['msg'] === 'session expired' && l['session'] === sessionId), 10_000, 'an expiry line');
    expect(expired).toMatchObject({ level: 30, cause: 'admin', client: 'log-test', reason: expect.stringContaining('administrator') });
  } finally {
    await worker.close().catch(() => undefined);
  }
});
