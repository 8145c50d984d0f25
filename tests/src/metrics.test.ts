/**
 * `--metrics-listen host:port` serves Prometheus `/metrics`, and the metrics move with the work:
 * grants counted, proposals by type, and keepalives of many sessions batched by
 * `--renew-interval-ms` into renew entries of more than one session each.
 */
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';
import { LockClient } from '@quorumlock/client';
import { freePort } from '@quorumlock/raft/testing';

jest.setTimeout(60_000);

let cluster: CoordinatorCluster;
let metricsUrl = '';
const clients: LockClient[] = [];

beforeAll(async () => {
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  // One node: the one metrics port is its own. A long renew interval makes batching certain.
  cluster = await CoordinatorCluster.create({ size: 1, args: ['--tick-ms', '50', '--metrics-listen', `127.0.0.1:${port}`, '--renew-interval-ms', '300'] });
  await cluster.startAll();
  await cluster.waitLeader();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await cluster?.destroy();
});

function sample(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
  return m === null ? NaN : Number(m[1]);
}

it('serves Prometheus text whose counters follow the work, with keepalives batched', async () => {
  const first = await fetch(metricsUrl);
  expect(first.status).toBe(200);
  expect(first.headers.get('content-type')).toMatch(/^text\/plain/);
  const before = await first.text();
  expect(before).toMatch(/^# TYPE quorumlock_grants_total counter$/m);
  const grantsBefore = sample(before, 'quorumlock_grants_total');

  // 20 sessions keeping alive at once (TTL 1 s: keepalives several times a second).
  for (let i = 0; i < 20; i++) clients.push(new LockClient({ endpoints: cluster.endpoints(), ttlMs: 1000, clientName: `m${i}` }));
  for (const [i, c] of clients.entries()) await (await c.acquire(`metrics/${i}`)).release();
  await new Promise((r) => setTimeout(r, 2000));

  const after = await (await fetch(metricsUrl)).text();
  expect(sample(after, 'quorumlock_grants_total') - grantsBefore).toBeGreaterThanOrEqual(20);
  expect(after).toMatch(/^quorumlock_proposals_total\{type="lock"\} [1-9]/m);
  // No `node` label: Prometheus's `instance` names the member (quorumlock_node_info maps it to the id).
  expect(after).not.toMatch(/node="n1"/);
  const batches = sample(after, 'quorumlock_renew_batch_sessions_count');
  const sessions = sample(after, 'quorumlock_renew_batch_sessions_sum');
  expect(batches).toBeGreaterThan(0);
  // More than one session per renew entry on average: keepalives are batched, not one entry each.
  expect(sessions / batches).toBeGreaterThan(1.5);
});
