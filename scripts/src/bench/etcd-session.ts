import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { BenchSession } from './bench-session';

const protoDir = path.join(__dirname, '..', '..', 'proto');
// Lease ids are 63-bit: keep every int64 as a decimal string so none loses precision.
const definition = protoLoader.loadSync('etcd-v3lock-subset.proto', { includeDirs: [protoDir], keepCase: true, longs: String, defaults: true });
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  etcdserverpb: { Lease: grpc.ServiceClientConstructor; Maintenance: grpc.ServiceClientConstructor };
  v3lockpb: { Lock: grpc.ServiceClientConstructor };
};

interface Header {
  member_id: string;
  revision: string;
}
interface KeepAliveResponse {
  ID: string;
  TTL: string;
}
type Unary<Req, Res> = (req: Req, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, res: Res) => void) => void;
interface LeaseClient extends grpc.Client {
  leaseGrant: Unary<{ TTL: number }, { ID: string; error: string }>;
  leaseRevoke: Unary<{ ID: string }, { header: Header }>;
  leaseKeepAlive(): grpc.ClientDuplexStream<{ ID: string }, KeepAliveResponse>;
}
interface LockClient extends grpc.Client {
  lock: Unary<{ name: Buffer; lease: string }, { header: Header; key: Buffer }>;
  unlock: Unary<{ key: Buffer }, { header: Header }>;
}
interface MaintenanceClient extends grpc.Client {
  status: Unary<Record<string, never>, { header: Header; leader: string; raftTerm: string }>;
}

function call<Req, Res>(fn: Unary<Req, Res>, self: grpc.Client, req: Req, timeoutMs: number): Promise<Res> {
  return new Promise((resolve, reject) => {
    fn.call(self, req, { deadline: Date.now() + timeoutMs }, (e, res) => (e ? reject(new Error(`${grpc.status[e.code] ?? e.code}: ${e.details}`)) : resolve(res)));
  });
}

/**
 * One connection to an etcd member per process, with one lease keepalive stream shared by every
 * lease of the process: the way etcd's clientv3 multiplexes keepalives.
 */
class EtcdConnection {
  readonly lease: LeaseClient;
  readonly locks: LockClient;
  private stream: grpc.ClientDuplexStream<{ ID: string }, KeepAliveResponse> | null = null;
  private readonly acks = new Map<string, Array<(r: KeepAliveResponse | null) => void>>();

  constructor(readonly address: string) {
    this.lease = new loaded.etcdserverpb.Lease(address, grpc.credentials.createInsecure()) as unknown as LeaseClient;
    this.locks = new loaded.v3lockpb.Lock(address, grpc.credentials.createInsecure()) as unknown as LockClient;
  }

  keepalive(id: string): Promise<KeepAliveResponse | null> {
    const stream = this.keepaliveStream();
    return new Promise((resolve) => {
      const q = this.acks.get(id) ?? [];
      q.push(resolve);
      this.acks.set(id, q);
      stream.write({ ID: id });
    });
  }

  private keepaliveStream(): grpc.ClientDuplexStream<{ ID: string }, KeepAliveResponse> {
    if (this.stream !== null) return this.stream;
    const s = this.lease.leaseKeepAlive();
    s.on('data', (r: KeepAliveResponse) => this.acks.get(r.ID)?.shift()?.(r));
    const broken = (): void => {
      if (this.stream === s) this.stream = null;
      for (const q of this.acks.values()) for (const w of q.splice(0)) w(null);
    };
    s.on('error', broken);
    s.on('end', broken);
    this.stream = s;
    return s;
  }

  close(): void {
    this.stream?.cancel();
    this.lease.close();
    this.locks.close();
  }
}

const connections = new Map<string, EtcdConnection>();
function connectionTo(address: string): EtcdConnection {
  let c = connections.get(address);
  if (c === undefined) {
    c = new EtcdConnection(address);
    connections.set(address, c);
  }
  return c;
}

const RPC_TIMEOUT_MS = 10_000;
/** How long a keepalive may go unanswered during a failover before the next member is tried. */
const FAILOVER_PROBE_MS = 300;

/** An etcd "session" as clientv3's concurrency package makes one: a lease, kept alive, owning lock keys. */
export class EtcdSession implements BenchSession {
  private conn: EtcdConnection;
  private leaseId = '';
  private timer: NodeJS.Timeout | null = null;
  private readonly keys = new Map<string, Buffer>();
  ended = false;

  constructor(address: string) {
    this.conn = connectionTo(address);
  }

  async open(ttlMs: number): Promise<void> {
    const res = await call(this.conn.lease.leaseGrant, this.conn.lease, { TTL: Math.ceil(ttlMs / 1000) }, RPC_TIMEOUT_MS);
    if (res.error !== '') throw new Error(`lease grant failed: ${res.error}`);
    this.leaseId = res.ID;
  }

  async keepalive(): Promise<void> {
    const r = await this.conn.keepalive(this.leaseId);
    if (r === null) throw new Error(`keepalive stream to ${this.conn.address} broke`);
    if (Number(r.TTL) <= 0) throw new Error(`lease ${this.leaseId} expired`);
  }

  keepAlive(ttlMs: number): void {
    this.timer = setInterval(() => void this.keepalive().catch(() => undefined), Math.floor(ttlMs / 3));
  }

  async lock(name: string): Promise<number> {
    const res = await call(this.conn.locks.lock, this.conn.locks, { name: Buffer.from(name), lease: this.leaseId }, RPC_TIMEOUT_MS);
    this.keys.set(name, res.key);
    return Number(res.header.revision);
  }

  async release(name: string): Promise<void> {
    const key = this.keys.get(name);
    if (key === undefined) throw new Error(`release of ${name}: not held`);
    this.keys.delete(name);
    await call(this.conn.locks.unlock, this.conn.locks, { key }, RPC_TIMEOUT_MS);
  }

  /** Keepalives go to each member in turn until one acknowledges (etcd members forward to the new leader). */
  async recover(endpoints: readonly string[]): Promise<void> {
    for (let i = Math.max(0, endpoints.indexOf(this.conn.address)); ; i++) {
      const ep = endpoints[i % endpoints.length] ?? this.conn.address;
      this.conn = connectionTo(ep);
      const ack = await Promise.race([this.conn.keepalive(this.leaseId), new Promise<null>((r) => setTimeout(() => r(null), FAILOVER_PROBE_MS))]);
      if (ack !== null && Number(ack.TTL) > 0) return;
    }
  }

  /** Revokes the lease, as clientv3's Session.Close does, so it does not linger until its TTL. */
  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.ended = true;
    if (this.leaseId !== '') await call(this.conn.lease.leaseRevoke, this.conn.lease, { ID: this.leaseId }, RPC_TIMEOUT_MS).catch(() => undefined);
  }
}

/** Close every connection this process opened to etcd. */
export function closeEtcdConnections(): void {
  for (const c of connections.values()) c.close();
  connections.clear();
}

/** Which member leads, as member `address` reports it, and that member's own id. */
export async function etcdStatus(address: string): Promise<{ memberId: string; leader: string; term: number }> {
  const m = new loaded.etcdserverpb.Maintenance(address, grpc.credentials.createInsecure()) as unknown as MaintenanceClient;
  try {
    const res = await call(m.status, m, {}, 2000);
    return { memberId: res.header.member_id, leader: res.leader, term: Number(res.raftTerm) };
  } finally {
    m.close();
  }
}
