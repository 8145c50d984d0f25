/**
 * The set-up the lockctl tests share: one real 3-node cluster per test file (started before
 * the file's tests, destroyed after them), SDK clients closed after each test, the real lockctl
 * binary pointed at the cluster, and the shapes of its JSON output.
 */
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';
import { AdminClient, LockClient, NotFoundError, type LockClientOptions } from '@quorumlock/client';
import { killStrayLockctl, lockctl as runLockctl, type CliResult } from './util';

export interface StatusJson {
  clusterId: string;
  leaderId: string;
  term: number;
  answeredBy: string;
  sessions: number;
  locks: number;
  members: { id: string; role: string; voter: boolean; term: number; commitIndex: number; appliedIndex: number; matchIndex: number; lag: number; peerAddress: string; clientAddress: string }[];
}

export interface LockJson {
  name: string;
  capacity: number;
  valueBytes: number;
  latestToken: number;
  holders: { sessionId: string; clientName: string; token: number; mode: string; permits: number; ageMs: number }[];
  waiters: { position: number; sessionId: string; clientName: string; requestId: number; mode: string; permits: number; priority: number; waitingMs: number }[];
}

export interface LockctlCluster {
  /** The cluster (set once the file's beforeAll has run). */
  readonly cluster: CoordinatorCluster;
  readonly admin: AdminClient;
  /** An SDK client on the cluster (TTL 10 s), closed after the test. */
  readonly client: (name: string, options?: Partial<LockClientOptions>) => LockClient;
  /** Closes `c` after the test too. */
  readonly adopt: (c: LockClient) => LockClient;
  /** lockctl against the cluster. */
  readonly lockctl: (...args: string[]) => Promise<CliResult>;
  /** `lockctl ARGS --json`, parsed; throws with its stderr when it exits non-zero. */
  readonly json: <T>(...args: string[]) => Promise<T>;
  /** DescribeLock, undefined for a lock the cluster does not know. */
  readonly lockInfo: (name: string) => Promise<Awaited<ReturnType<AdminClient['describeLock']>> | undefined>;
}

/** Registers the file's hooks (call at the top level of a test file). */
export function useLockctlCluster(): LockctlCluster {
  let cluster: CoordinatorCluster | undefined;
  let admin: AdminClient | undefined;
  const clients: LockClient[] = [];
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`the lockctl test cluster's ${what} is used before beforeAll started it`);
    return v;
  };

  beforeAll(async () => {
    cluster = await CoordinatorCluster.create({ size: 3, args: ['--tick-ms', '50'] });
    await cluster.startAll();
    await cluster.waitLeader();
    admin = new AdminClient({ endpoints: cluster.endpoints() });
  });

  afterEach(async () => {
    killStrayLockctl();
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  afterAll(async () => {
    admin?.close();
    await cluster?.destroy();
  });

  const h: LockctlCluster = {
    get cluster() {
      return need(cluster, 'cluster');
    },
    get admin() {
      return need(admin, 'admin client');
    },
    client: (name, options = {}) => {
      const c = new LockClient({ endpoints: h.cluster.endpoints(), ttlMs: 10_000, clientName: name, ...options });
      clients.push(c);
      return c;
    },
    adopt: (c) => {
      clients.push(c);
      return c;
    },
    lockctl: (...args) => runLockctl(['--endpoints', h.cluster.endpoints().join(','), ...args]),
    json: async <T>(...args: string[]): Promise<T> => {
      const r = await h.lockctl(...args, '--json');
      if (r.code !== 0) throw new Error(`lockctl ${args.join(' ')} --json exited ${String(r.code)}: ${r.stderr}`);
      return JSON.parse(r.stdout) as T;
    },
    lockInfo: async (name) => {
      try {
        return await h.admin.describeLock(name);
      } catch (err) {
        if (err instanceof NotFoundError) return undefined;
        throw err;
      }
    },
  };
  return h;
}
