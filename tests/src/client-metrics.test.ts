/**
 * The SDK's own metrics (LockClient option `metrics`) in a worker's prom-client registry,
 * against a real 3-node cluster: acquire outcomes and latency, leases lost by revocation and by
 * session expiry, expired sessions, and a reconnect after the leader is SIGKILLed. A client
 * without the option registers nothing.
 */
import { Registry } from 'prom-client';
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';
import { AdminClient, LockClient, LockTimeoutError } from '@quorumlock/client';
import { waitUntil } from './helpers/util';

jest.setTimeout(90_000);

let cluster: CoordinatorCluster;
let admin: AdminClient;
const clients: LockClient[] = [];

beforeAll(async () => {
  cluster = await CoordinatorCluster.create({ size: 3, args: ['--tick-ms', '50', '--election-ticks', '10'] });
  await cluster.startAll();
  admin = new AdminClient({ endpoints: cluster.endpoints() });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  admin?.close();
  await cluster?.destroy();
});

function client(registry?: Registry): LockClient {
  const c = new LockClient({ endpoints: cluster.endpoints(), ttlMs: 5000, clientName: `metrics-${clients.length + 1}`, ...(registry ? { metrics: { registry } } : {}) });
  clients.push(c);
  return c;
}

/** The value of one series of the registry's text exposition (0 when absent). */
async function sample(registry: Registry, series: string): Promise<number> {
  const text = await registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

test('acquire outcomes, lost leases, expired sessions and reconnects show up in the worker registry', async () => {
  const registry = new Registry();
  const worker = client(registry);
  const other = client(); // no metrics: registers nothing anywhere
  await Promise.all([worker.ready(), other.ready()]);

  const held = await other.acquire('m/busy');
  const lease = await worker.acquire('m/a');
  expect(await worker.tryAcquire('m/busy')).toBeNull();
  await expect(worker.acquire('m/busy', { waitTimeoutMs: 200 })).rejects.toBeInstanceOf(LockTimeoutError);
  await held.release();
  await lease.release();
  expect(await sample(registry, 'quorumlock_client_acquire_seconds_count{outcome="granted"}')).toBe(1);
  expect(await sample(registry, 'quorumlock_client_acquire_seconds_count{outcome="busy"}')).toBe(1);
  expect(await sample(registry, 'quorumlock_client_acquire_seconds_count{outcome="timeout"}')).toBe(1);
  // The timeout waited at least its 200 ms.
  expect(await sample(registry, 'quorumlock_client_acquire_seconds_sum{outcome="timeout"}')).toBeGreaterThanOrEqual(0.2);

  // An administrator revokes the worker's hold.
  const revoked = await worker.acquire('m/revoked');
  await admin.revoke('m/revoked', { reason: 'metrics test' });
  await waitUntil(() => revoked.signal.aborted, 10_000, 'lease lost');
  expect(await sample(registry, 'quorumlock_client_lease_lost_total{reason="revoked"}')).toBe(1);

  // The leader dies: the worker's session moves to the new leader.
  const leader = await cluster.waitLeader();
  await cluster.kill(leader, 'SIGKILL');
  await cluster.waitLeader(15_000, cluster.ids.filter((id) => id !== leader));
  await waitUntil(async () => (await sample(registry, 'quorumlock_client_reconnects_total')) >= 1, 20_000, 'a reconnect counted');
  const again = await worker.acquire('m/a');
  expect(await sample(registry, 'quorumlock_client_acquire_seconds_count{outcome="granted"}')).toBe(3);

  // An administrator expires the worker's session: its lease is lost with it.
  await admin.expireSession(worker.sessionId);
  await waitUntil(async () => (await sample(registry, 'quorumlock_client_sessions_expired_total')) === 1, 10_000, 'session expiry counted');
  expect(again.signal.aborted).toBe(true);
  expect(await sample(registry, 'quorumlock_client_lease_lost_total{reason="session_expired"}')).toBe(1);

  // Only the worker's metrics, and each registered once.
  const names = (await registry.getMetricsAsJSON()).map((m) => m.name).sort();
  expect(names).toEqual(['quorumlock_client_acquire_seconds', 'quorumlock_client_lease_lost_total', 'quorumlock_client_reconnects_total', 'quorumlock_client_sessions_expired_total']);
});

test('two clients can share one registry; a non-registry is refused by name', async () => {
  const registry = new Registry();
  const a = client(registry);
  const b = client(registry);
  await Promise.all([a.ready(), b.ready()]);
  await (await a.acquire('m/shared')).release();
  await (await b.acquire('m/shared')).release();
  expect(await sample(registry, 'quorumlock_client_acquire_seconds_count{outcome="granted"}')).toBe(2);
  expect(() => new LockClient({ endpoints: cluster.endpoints(), metrics: { registry: {} as unknown as Registry } })).toThrow(/metrics\.registry/);
});
