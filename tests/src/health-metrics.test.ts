/**
 * The --metrics-listen HTTP server of real quorumlock-server processes: /livez, /readyz and
 * /metrics. A node is cut off from its peers for real: every peer link goes through a
 * FaultProxy, and the four links to and from one follower drop every byte (the TCP connections
 * stay open, as behind a dead router). That node loses its leader and answers /readyz 503
 * while the two others, still a quorum, answer 200; /livez stays 200 everywhere.
 */
import * as http from 'node:http';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { CoordinatorCluster, FaultProxy } from '@quorumlock/coordinator/testing';
import { AdminClient, LockClient } from '@quorumlock/client';
import { waitUntil } from './helpers/util';

jest.setTimeout(120_000);

const TICK_MS = 50;
const ELECTION_TICKS = 10; // election timeout 500-1000 ms
const ELECTION_MS = TICK_MS * ELECTION_TICKS;

let cluster: CoordinatorCluster;
const proxies = new Map<string, FaultProxy>();

function get(address: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`http://${address}${path}`, { timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} on ${address} timed out`)));
    req.on('error', reject);
  });
}

beforeAll(async () => {
  cluster = await CoordinatorCluster.create({
    size: 3,
    metrics: true,
    args: ['--tick-ms', String(TICK_MS), '--election-ticks', String(ELECTION_TICKS)],
    peerRoute: (from, to) => {
      const p = proxies.get(`${from}>${to}`);
      if (p === undefined) throw new Error(`no proxy for ${from}>${to}`);
      return p.address;
    },
  });
  for (const from of cluster.ids) {
    for (const to of cluster.ids) {
      if (from === to) continue;
      const p = new FaultProxy(cluster.peerAddress(to));
      await p.start();
      proxies.set(`${from}>${to}`, p);
    }
  }
  await cluster.startAll(1);
});

afterAll(async () => {
  await cluster?.destroy();
  await Promise.all([...proxies.values()].map((p) => p.close()));
});

function cutOff(id: string, mode: 'drop' | 'pass'): void {
  for (const [link, p] of proxies) {
    const [from, to] = link.split('>');
    if (from === id || to === id) p.setMode(mode);
  }
}

test('/readyz is 503 on a node cut off from its peers and 200 on the rest; /livez stays 200', async () => {
  const leader = await cluster.waitLeader();
  for (const id of cluster.ids) {
    await waitUntil(async () => (await get(cluster.metricsAddress(id), '/readyz')).status === 200, 10 * ELECTION_MS, `${id} ready`);
    expect(await get(cluster.metricsAddress(id), '/livez')).toEqual({ status: 200, body: 'ok\n' });
  }
  const victim = cluster.ids.find((id) => id !== leader)!;
  const others = cluster.ids.filter((id) => id !== victim);
  cutOff(victim, 'drop');
  // Without heartbeats it campaigns after an election timeout and forgets the leader.
  const notReady = await waitUntil(async () => {
    const r = await get(cluster.metricsAddress(victim), '/readyz');
    return r.status === 503 ? r : undefined;
  }, 20 * ELECTION_MS, `${victim} not ready`);
  expect(notReady.body).toMatch(/^not ready: node n\d knows no leader/);
  expect(await get(cluster.metricsAddress(victim), '/livez')).toEqual({ status: 200, body: 'ok\n' });
  // The two others are a quorum: still ready, under one leader (the old one, with pre-vote).
  for (const id of others) {
    const r = await get(cluster.metricsAddress(id), '/readyz');
    expect({ id, status: r.status }).toEqual({ id, status: 200 });
  }
  // Still cut off a few election timeouts later: not ready the whole time it is isolated.
  await new Promise((r) => setTimeout(r, 3 * ELECTION_MS));
  expect((await get(cluster.metricsAddress(victim), '/readyz')).status).toBe(503);

  cutOff(victim, 'pass');
  await waitUntil(async () => (await get(cluster.metricsAddress(victim), '/readyz')).status === 200, 30 * ELECTION_MS, `${victim} ready again`);
});

test('health and metrics paths: 404 names the paths, POST is refused, /metrics has no node label', async () => {
  const addr = cluster.metricsAddress(cluster.ids[0]!);
  const missing = await get(addr, '/nope');
  expect(missing.status).toBe(404);
  expect(missing.body).toContain('/readyz');
  const post = await new Promise<number>((resolve, reject) => {
    const req = http.request(`http://${addr}/readyz`, { method: 'POST' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
  expect(post).toBe(405);
  const metrics = await get(addr, '/metrics');
  expect(metrics.status).toBe(200);
  expect(metrics.body).not.toMatch(/\bnode="/);
  expect(metrics.body).toMatch(/^quorumlock_node_info\{id="n1"\} 1$/m);
});

/** Every metric name issue 12 requires, as it appears in a scrape (histograms by their _count). */
const REQUIRED = [
  'quorumlock_acquire_wait_seconds_count',
  'quorumlock_lock_requests_total',
  'quorumlock_lock_waiters',
  'quorumlock_lock_longest_wait_seconds',
  'quorumlock_lock_hold_seconds_count',
  'quorumlock_session_expirations_total',
  'quorumlock_holds_freed_by_expiry_total',
  'quorumlock_lock_revocations_total',
  'quorumlock_deadlocks_detected_total',
  'quorumlock_raft_leader_changes_total',
  'quorumlock_raft_commit_seconds_count',
  'quorumlock_raft_persist_seconds_count',
  'quorumlock_raft_apply_lag_entries',
  'quorumlock_raft_snapshots_total',
  'quorumlock_raft_snapshot_bytes_total',
  'quorumlock_raft_replication_lag_entries',
  'quorumlock_raft_send_queue_messages',
  'quorumlock_raft_messages_dropped_total',
  'quorumlock_grpc_requests_total',
  'quorumlock_grpc_request_duration_seconds_count',
];

test('a scrape of the leader shows every required metric name, gRPC codes by name', async () => {
  const leader = await cluster.waitLeader();
  await cluster.status(leader); // one gRPC call, so the per-method series exist
  const body = await waitUntil(async () => {
    const b = (await get(cluster.metricsAddress(leader), '/metrics')).body;
    return /quorumlock_grpc_requests_total\{method="Status",code="OK"\}/.test(b) ? b : undefined;
  }, 10_000, 'Status counted');
  const names = new Set(body.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(/[{ ]/)[0]));
  expect(REQUIRED.filter((n) => !names.has(n))).toEqual([]);
  expect(body).toMatch(/quorumlock_raft_replication_lag_entries\{peer="n\d"\} \d+/);
  expect(body).not.toMatch(/code="\d+"/);
});

/** One series' value in a scrape (undefined when absent). */
function seriesValue(body: string, series: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('the Raft observer feeds commit, fsync and snapshot metrics', async () => {
  const leader = await cluster.waitLeader();
  const admin = new AdminClient({ endpoints: [cluster.address(leader)] });
  const worker = new LockClient({ endpoints: cluster.endpoints() });
  try {
    await (await worker.acquire('health/a')).release(); // proposals: open, lock, release
    const snap = await admin.snapshot();
    const body = (await get(cluster.metricsAddress(leader), '/metrics')).body;
    expect(seriesValue(body, 'quorumlock_raft_commit_seconds_count')).toBeGreaterThan(0);
    expect(seriesValue(body, 'quorumlock_raft_persist_seconds_count{sync="true"}')).toBeGreaterThan(0);
    expect(seriesValue(body, 'quorumlock_raft_snapshots_total{kind="taken"}')).toBeGreaterThanOrEqual(1);
    expect(seriesValue(body, 'quorumlock_raft_snapshot_last_bytes{kind="taken"}')).toBeGreaterThan(0);
    expect(snap.index).toBeGreaterThan(0);
    expect(seriesValue(body, 'quorumlock_raft_leader_changes_total')).toBeGreaterThanOrEqual(1);
  } finally {
    await worker.close();
    admin.close();
  }
});

test('server reflection describes grpc.health.v1.Health, so grpcurl needs no proto file', async () => {
  // The reflection proto ships with @grpc/reflection, a dependency of the coordinator.
  const from = { paths: [require.resolve('@quorumlock/coordinator')] };
  const protoLoader = require(require.resolve('@grpc/proto-loader', from)) as { loadSync(file: string, options: object): Parameters<typeof grpc.loadPackageDefinition>[0] };
  const reflectionDir = path.dirname(require.resolve('@grpc/reflection/package.json', from));
  const def = protoLoader.loadSync(path.join(reflectionDir, 'build', 'proto', 'grpc', 'reflection', 'v1', 'reflection.proto'), { keepCase: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { grpc: { reflection: { v1: { ServerReflection: grpc.ServiceClientConstructor } } } };
  const client = new pkg.grpc.reflection.v1.ServerReflection(cluster.address(cluster.ids[0]!), grpc.credentials.createInsecure());
  const ask = (req: object): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const call = (client as unknown as { ServerReflectionInfo(): grpc.ClientDuplexStream<object, Record<string, unknown>> }).ServerReflectionInfo();
      call.once('data', (r: Record<string, unknown>) => {
        resolve(r);
        call.end();
      });
      call.once('error', reject);
      call.write(req);
    });
  try {
    const list = await ask({ list_services: '' });
    const services = ((list['list_services_response'] as { service: { name: string }[] }).service).map((s) => s.name);
    expect(services).toEqual(expect.arrayContaining(['grpc.health.v1.Health', 'quorumlock.v1.LockService', 'quorumlock.v1.AdminService']));
    const file = await ask({ file_containing_symbol: 'grpc.health.v1.Health' });
    expect(file['error_response']).toBeUndefined();
    const descriptors = (file['file_descriptor_response'] as { file_descriptor_proto: Buffer[] }).file_descriptor_proto;
    expect(descriptors.length).toBeGreaterThan(0);
    expect(Buffer.concat(descriptors).toString('latin1')).toContain('grpc.health.v1');
  } finally {
    client.close();
  }
});
