/**
 * TLS on the client port (issue 11 §1, §6), real processes and real certificates made per run
 * with Debian's openssl (TestCa): a 3-node cluster with --cert-file/--key-file/--trusted-ca-file
 * and --client-cert-auth, and mutual TLS between peers. A plaintext client, a client without a
 * certificate and a client with another CA's certificate are refused; the SDK and lockctl with
 * the right files work, follow a redirect from a follower to the leader under TLS and keep a
 * lease across a leader SIGKILL; rotated server certificate files serve new connections with no
 * restart; bad flag combinations and unreadable files are refused at start, naming the flag.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { CoordinatorCluster, TestCa } from '@quorumlock/coordinator/testing';
import { AdminClient, ClusterUnavailableError, LockClient, type TlsOptions } from '@quorumlock/client';
import { killStrayLockctl, lockctl, waitUntil } from './helpers/util';

jest.setTimeout(120_000);

const TICK_MS = 50;
const ELECTION_TICKS = 12;
/** The longest election timeout (randomized up to 2x). */
const ELECTION_MAX_MS = 2 * TICK_MS * ELECTION_TICKS;
const RELOAD_MS = 200;

let dir: string;
let ca: TestCa;
let otherCa: TestCa;
let cluster: CoordinatorCluster;
const clients: Array<{ close(): Promise<void> | void }> = [];

function admin(endpoints: readonly string[], tlsOptions: TlsOptions | undefined, budgetMs = 1500): AdminClient {
  const a = new AdminClient({ endpoints, tls: tlsOptions, backoff: { initialMs: 50, maxMs: 200, budgetMs } });
  clients.push(a);
  return a;
}

function goodTls(): TlsOptions {
  const m = cluster.clientTls('alice');
  if (m === undefined) throw new Error('cluster has no client TLS');
  return m;
}

/** The SHA-256 fingerprint of the certificate `address` serves to a new connection. */
function servedFingerprint(address: string): Promise<string> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  const m = goodTls();
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host, port, ca: m.ca, cert: m.cert, key: m.key, servername: 'localhost', ALPNProtocols: ['h2'] }, () => {
      const fp = s.getPeerCertificate().fingerprint256;
      s.destroy();
      resolve(fp);
    });
    s.once('error', reject);
  });
}

/** A stable leader and the two followers. */
async function roles(): Promise<{ leader: string; followers: string[] }> {
  const leader = await cluster.waitLeader(15_000);
  return { leader, followers: cluster.ids.filter((id) => id !== leader && cluster.isRunning(id)) };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quorumlock-tls-'));
  ca = new TestCa(path.join(dir, 'pki'));
  otherCa = new TestCa(path.join(dir, 'other-pki'), 'another-ca');
  cluster = await CoordinatorCluster.create({
    size: 3,
    baseDir: path.join(dir, 'cluster'),
    args: ['--tick-ms', String(TICK_MS), '--election-ticks', String(ELECTION_TICKS)],
    tls: { ca, reloadMs: RELOAD_MS },
  });
  await cluster.startAll();
  await cluster.waitLeader(15_000);
});

afterEach(() => killStrayLockctl());

afterAll(async () => {
  for (const c of clients) await c.close();
  await cluster?.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('refusals', () => {
  it('a plaintext client gets no answer from a TLS port', async () => {
    await expect(admin(cluster.endpoints(), undefined).status()).rejects.toBeInstanceOf(ClusterUnavailableError);
  });

  it('a client without a certificate is refused under --client-cert-auth', async () => {
    await expect(admin(cluster.endpoints(), { ca: fs.readFileSync(ca.caFile) }).status()).rejects.toBeInstanceOf(ClusterUnavailableError);
    // The same CA with a certificate is answered: the refusal above was the missing certificate.
    await expect(admin(cluster.endpoints(), goodTls()).status()).resolves.toMatchObject({ leaderId: expect.any(String) });
  });

  it('a certificate from another CA is refused', async () => {
    const stranger = otherCa.client('mallory');
    const m = { ca: fs.readFileSync(ca.caFile), cert: fs.readFileSync(stranger.cert), key: fs.readFileSync(stranger.key) };
    await expect(admin(cluster.endpoints(), m).status()).rejects.toBeInstanceOf(ClusterUnavailableError);
  });

  it('the server certificate is checked by the client: another CA\'s trust store refuses the cluster', async () => {
    const pair = otherCa.client('bob');
    const m = { ca: fs.readFileSync(otherCa.caFile), cert: fs.readFileSync(pair.cert), key: fs.readFileSync(pair.key) };
    await expect(admin(cluster.endpoints(), m).status()).rejects.toThrow(/self-signed|unable to verify|certificate/i);
  });

  it('lockctl without --cacert/--cert/--key fails against the TLS cluster; a missing file is a usage error naming the flag', async () => {
    const plain = await lockctl(['--endpoints', cluster.endpoints().join(','), '--retry-for', '500ms', 'status']);
    expect(plain.code).toBe(1);
    const missing = await lockctl(['--endpoints', cluster.endpoints().join(','), '--cacert', path.join(dir, 'nope.crt'), 'status']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`--cacert '${path.join(dir, 'nope.crt')}' cannot be read`);
  });
});

describe('with the right files', () => {
  it('lockctl status works with --cacert --cert --key, and with QUORUMLOCK_CACERT/CERT/KEY', async () => {
    const pair = ca.client('operator');
    const byFlags = await lockctl(['--endpoints', cluster.endpoints().join(','), '--cacert', ca.caFile, '--cert', pair.cert, '--key', pair.key, 'status', '--json']);
    expect(byFlags.stderr).toBe('');
    expect(byFlags.code).toBe(0);
    const st = JSON.parse(byFlags.stdout) as { leaderId: string; members: unknown[] };
    expect(cluster.ids).toContain(st.leaderId);
    expect(st.members).toHaveLength(3);
    const byEnv = await lockctl(['--endpoints', cluster.endpoints().join(','), 'status'], {
      QUORUMLOCK_CACERT: ca.caFile,
      QUORUMLOCK_CERT: pair.cert,
      QUORUMLOCK_KEY: pair.key,
    });
    expect(byEnv.code).toBe(0);
    expect(byEnv.stdout).toContain('leader');
  });

  it('the SDK and lockctl given only a follower follow the redirect to the leader under TLS', async () => {
    const { leader, followers } = await roles();
    const follower = followers[0] ?? '';
    const client = new LockClient({ endpoints: [cluster.address(follower)], tls: goodTls(), clientName: 'redirected' });
    clients.push(client);
    const lease = await client.acquire('tls/redirect', { waitTimeoutMs: 5000 });
    expect(lease.token).toBeGreaterThan(0);
    const info = await admin([cluster.address(leader)], goodTls(), 5000).describeLock('tls/redirect');
    expect(info.holders.map((h) => h.token)).toEqual([lease.token]);
    await lease.release();
    // lockctl run needs the leader (it opens a session): given the follower alone, it is redirected.
    const pair = ca.client('operator');
    const run = await lockctl(['--endpoints', cluster.address(follower), '--cacert', ca.caFile, '--cert', pair.cert, '--key', pair.key, 'run', 'tls/run', '--', process.execPath, '-e', 'process.stdout.write(process.env.QUORUMLOCK_TOKEN)']);
    expect(run.code).toBe(0);
    expect(Number(run.stdout)).toBeGreaterThan(0);
  });

  it('a lease survives a leader SIGKILL under TLS; the SDK and lockctl reach the new leader', async () => {
    const { leader } = await roles();
    const client = new LockClient({ endpoints: cluster.endpoints(), tls: goodTls(), clientName: 'failover', ttlMs: 10_000 });
    clients.push(client);
    const lost: string[] = [];
    client.on('leaseLost', ({ lease }) => lost.push(lease.name));
    const lease = await client.acquire('tls/failover', { waitTimeoutMs: 5000 });
    await cluster.kill(leader, 'SIGKILL');
    const next = await cluster.waitLeader(15_000, cluster.ids.filter((id) => id !== leader));
    expect(next).not.toBe(leader);
    // The session moves to the new leader over TLS; a new lock is granted there.
    const second = await client.acquire('tls/after-failover', { waitTimeoutMs: 5_000 + 2 * ELECTION_MAX_MS });
    const info = await admin([cluster.address(next)], goodTls(), 5000).describeLock('tls/failover');
    expect(info.holders.map((h) => h.token)).toEqual([lease.token]);
    expect(lost).toEqual([]);
    await second.release();
    await lease.release();
    // lockctl too, given every endpoint (the dead leader's first): it finds the new leader over TLS.
    const pair = ca.client('operator');
    const endpoints = [cluster.address(leader), ...cluster.ids.filter((id) => id !== leader).map((id) => cluster.address(id))].join(',');
    const run = await lockctl(['--endpoints', endpoints, '--cacert', ca.caFile, '--cert', pair.cert, '--key', pair.key, 'run', 'tls/lockctl-after-failover', '--', process.execPath, '-e', 'process.stdout.write(process.env.QUORUMLOCK_TOKEN)']);
    expect(run.code).toBe(0);
    expect(Number(run.stdout)).toBeGreaterThan(lease.token);
    await cluster.start(leader);
  });
});

describe('certificate rotation', () => {
  it('new connections get the rotated server certificate with no restart', async () => {
    const id = cluster.ids[0] ?? 'n1';
    const pid = cluster.pid(id);
    const files = cluster.serverCerts.get(id);
    if (files === undefined) throw new Error('no server certificate files');
    const before = await servedFingerprint(cluster.address(id));
    expect(before).toBe(new X509Certificate(fs.readFileSync(files.cert)).fingerprint256);
    // A new certificate and key, moved into place as cert-manager's atomic symlink swap would.
    const fresh = ca.issue(`${id}-server-rotated`, `${id}-rotated`, ['IP:127.0.0.1', 'DNS:localhost']);
    const want = new X509Certificate(fs.readFileSync(fresh.cert)).fingerprint256;
    expect(want).not.toBe(before);
    fs.renameSync(fresh.key, files.key);
    fs.renameSync(fresh.cert, files.cert);
    // Bounded by many reload intervals: the poll runs every RELOAD_MS.
    const served = await waitUntil(async () => ((await servedFingerprint(cluster.address(id))) === want ? want : false), 50 * RELOAD_MS, 'rotated certificate served', RELOAD_MS / 2);
    expect(served).toBe(want);
    expect(cluster.pid(id)).toBe(pid);
    // The cluster still answers TLS clients on that node.
    await expect(admin([cluster.address(id)], goodTls(), 5000).status({ target: cluster.address(id) })).resolves.toMatchObject({ answeredBy: id });
  });
});

describe('start-up checks', () => {
  const server = path.join(path.dirname(require.resolve('@quorumlock/coordinator/package.json')), 'bin', 'quorumlock-server.js');
  const start = (args: readonly string[]): Promise<{ code: number | null; stderr: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, [server, '--id', 'x', '--data-dir', path.join(dir, 'x'), '--initial-cluster', 'x=127.0.0.1:1/127.0.0.1:2', ...args], (err, _out, stderr) =>
        resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stderr }),
      );
    });

  it('refuses bad combinations and files, naming the flag and the value', async () => {
    const pair = cluster.serverCerts.get('n2');
    if (pair === undefined) throw new Error('no certificate');
    const cases: Array<[readonly string[], string]> = [
      [['--cert-file', pair.cert], `--cert-file '${pair.cert}' needs --key-file`],
      [['--key-file', pair.key], `--key-file '${pair.key}' needs --cert-file`],
      [['--cert-file', pair.cert, '--key-file', pair.key, '--client-cert-auth'], '--client-cert-auth needs --trusted-ca-file'],
      [['--cert-file', path.join(dir, 'absent.crt'), '--key-file', pair.key], `--cert-file '${path.join(dir, 'absent.crt')}' cannot be read`],
      [['--cert-file', pair.cert, '--key-file', ca.client('someone-else').key], 'are not a usable pair'],
      [['--peer-cert-file', pair.cert, '--peer-key-file', pair.key], 'peer TLS is always mutual: --peer-trusted-ca-file must be given too'],
      [['--trusted-ca-file', ca.caFile], `--trusted-ca-file '${ca.caFile}' needs --cert-file and --key-file`],
    ];
    for (const [args, message] of cases) {
      const r = await start(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toContain(message);
    }
  });
});

describe('a node without TLS', () => {
  it('logs one warning at start that its ports are unauthenticated', async () => {
    const plain = await CoordinatorCluster.create({ size: 1, baseDir: path.join(dir, 'plain') });
    try {
      await plain.start('n1');
      // Logged right after `started`; the log is written asynchronously.
      await waitUntil(() => fs.readFileSync(plain.logFile('n1'), 'utf8').includes('"unauthenticated"'), 10_000, 'the warning');
      await plain.waitLeader(10_000);
      const log = fs.readFileSync(plain.logFile('n1'), 'utf8');
      const warnings = log.split('\n').filter((l) => l.includes('"unauthenticated"'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`client port ${plain.address('n1')}`);
      expect(warnings[0]).toContain(`peer port ${plain.peerAddress('n1')}`);
      // The TLS cluster's nodes logged none.
      for (const id of cluster.ids) expect(fs.readFileSync(cluster.logFile(id), 'utf8')).not.toContain('"unauthenticated"');
    } finally {
      await plain.destroy();
    }
  });
});
