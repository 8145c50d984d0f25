/**
 * What the client port serves besides the lock API, as the README promises: grpc.health.v1 with
 * `quorumlock.v1.LockService` SERVING only on the leader (and following leadership when it
 * moves), and server reflection listing the services, so `grpcurl -plaintext HOST:PORT list`
 * works. The two protocols' small messages are encoded by hand here (protobuf wire format), so
 * the test depends on nothing but the wire.
 */
import * as grpc from '@grpc/grpc-js';
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';

jest.setTimeout(60_000);

let cluster: CoordinatorCluster;
const clients: grpc.Client[] = [];

beforeAll(async () => {
  cluster = await CoordinatorCluster.create({ size: 3, args: ['--tick-ms', '50'] });
  await cluster.startAll();
  await cluster.waitLeader();
});

afterAll(async () => {
  for (const c of clients) c.close();
  await cluster?.destroy();
});

/** A length-delimited string field. */
function stringField(field: number, value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > 127) throw new Error('short strings only');
  return Buffer.concat([Buffer.from([(field << 3) | 2, bytes.length]), bytes]);
}

const HEALTH = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;

function health(address: string, service: string): Promise<(typeof HEALTH)[number]> {
  const c = new grpc.Client(address, grpc.credentials.createInsecure());
  clients.push(c);
  return new Promise((resolve, reject) => {
    c.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      (s: string) => (s === '' ? Buffer.alloc(0) : stringField(1, s)),
      (b: Buffer) => (b.length >= 2 && b[0] === 0x08 ? (b[1] as number) : 0), // field 1, varint
      service,
      { deadline: Date.now() + 10_000 },
      (err, status) => (err ? reject(err) : resolve(HEALTH[status ?? 0] ?? 'UNKNOWN')),
    );
  });
}

/** Every node's view of LockService health, by node id. */
async function healthByNode(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const id of cluster.ids) out[id] = await health(cluster.address(id), 'quorumlock.v1.LockService');
  return out;
}

async function waitHealth(expectedLeader: string): Promise<Record<string, string>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const h = await healthByNode();
    if (Object.entries(h).every(([id, s]) => s === (id === expectedLeader ? 'SERVING' : 'NOT_SERVING')) || Date.now() > deadline) return h;
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('health: LockService is SERVING on the leader only, and follows a leadership transfer', async () => {
  const leader = await cluster.waitLeader();
  const expected = (l: string): Record<string, string> => Object.fromEntries(cluster.ids.map((id) => [id, id === l ? 'SERVING' : 'NOT_SERVING']));
  expect(await waitHealth(leader)).toEqual(expected(leader));
  // The server as a whole ('') is serving on every node.
  for (const id of cluster.ids) expect(await health(cluster.address(id), '')).toBe('SERVING');
  await cluster.kill(leader, 'SIGTERM'); // hands leadership over first
  const next = await cluster.waitLeader(15_000, cluster.ids.filter((id) => id !== leader));
  await cluster.start(leader);
  const after = await waitHealth(next);
  expect(after).toEqual(expected(next));
});

it('server reflection lists the services (what `grpcurl ... list` asks)', async () => {
  const address = cluster.address(cluster.ids[0] ?? '');
  const c = new grpc.Client(address, grpc.credentials.createInsecure());
  clients.push(c);
  const response = await new Promise<Buffer>((resolve, reject) => {
    const call = c.makeBidiStreamRequest(
      '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo',
      (b: Buffer) => b,
      (b: Buffer) => b,
      { deadline: Date.now() + 10_000 },
    );
    call.on('data', (b: Buffer) => {
      resolve(b);
      call.end();
    });
    call.on('error', reject);
    call.write(stringField(7, '*')); // list_services
  });
  // The names are length-delimited strings inside list_services_response.service[].name.
  const text = response.toString('latin1');
  for (const name of ['quorumlock.v1.LockService', 'quorumlock.v1.AdminService']) expect(text).toContain(name);
});
