/**
 * The built lockctl binary as a separate process: usage errors exit 2 naming the value, an
 * unreachable cluster exits 1 fast with a clear message, and `run` against the in-process stub
 * LockService: the command runs while the lock is held and sees QUORUMLOCK_TOKEN, its exit status
 * passes through, `--try` exits 3 when the lock is held, and a lost lease stops the command with
 * SIGTERM, then SIGKILL after --grace. dist/ is built first when it is missing or stale.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LockClient } from '../../src/lock-client';
import { StubLockServer } from './stub-server';
import { closedPort } from './closed-port';
import { DEFAULT_RETRY_FOR_MS } from '../../src/cli/args';

const root = join(__dirname, '..', '..');
const bin = join(root, 'dist', 'cli', 'lockctl.js');

/** Builds the package when dist/ is missing or older than a source file (`pnpm test` builds first anyway). */
function ensureBuilt(): void {
  const newest = (dir: string): number =>
    Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)));
  if (existsSync(bin) && newest(join(root, 'dist')) >= newest(join(root, 'src'))) return;
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', root], { stdio: 'inherit' });
}

beforeAll(ensureBuilt, 60_000);

/** host:port with nothing listening. */
let closed = '';
beforeAll(async () => {
  closed = `127.0.0.1:${await closedPort()}`;
});

describe('the lockctl binary', () => {
  const run = (args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } => {
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('exits 2 on bad arguments and names the value', () => {
    const r = run(['revoke', 'a', '--token', 'abc']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--token: 'abc' is not a non-negative integer");
    const e = run(['status'], { QUORUMLOCK_ENDPOINTS: 'nohost' });
    expect(e.status).toBe(2);
    expect(e.stderr).toContain("QUORUMLOCK_ENDPOINTS: endpoint 'nohost' is not host:port");
  });

  it('exits 1 quickly with a clear message when the cluster is unreachable', () => {
    const r = run(['locks', '--endpoints', closed, '--retry-for', '300ms']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`lockctl: locks: no quorumlock leader reachable at ${closed} (gave up after `);
    expect(r.stderr).toMatch(/\(gave up after \d+ ms.*ECONNREFUSED.*Check that the coordinators run/);
    expect(r.stdout).toBe('');
    // "Quickly" on lockctl's own clock (its start-up on a loaded machine is not what is judged):
    // it retried for the --retry-for budget and gave up well before the default budget.
    const gaveUpMs = Number(/gave up after (\d+) ms/.exec(r.stderr)?.[1]);
    expect(gaveUpMs).toBeGreaterThanOrEqual(300);
    expect(gaveUpMs).toBeLessThan(DEFAULT_RETRY_FOR_MS);
    const s = run(['status', '--json', '--endpoints', closed, '--retry-for', '0']);
    expect(s.status).toBe(1);
    expect(s.stderr).toMatch(/no quorumlock node reachable/);
  });

  it('run: exits 1 when the cluster is unreachable, without running the command', () => {
    const r = run(['run', 'x', '--endpoints', closed, '--retry-for', '200ms', '--', process.execPath, '-e', 'console.log("RAN")']);
    expect(r.status).toBe(1);
    expect(r.stdout).not.toContain('RAN');
    expect(r.stderr).toMatch(/ERR_CLUSTER_UNAVAILABLE/);
  });
});

describe('lockctl run', () => {
  let s: StubLockServer;

  beforeEach(async () => {
    s = await StubLockServer.start();
  });
  afterEach(() => s.stop());

  /** Runs lockctl asynchronously (the stub lives in this process, so the event loop must keep turning). */
  function lockctl(args: string[], onStdout?: (chunk: string) => void): Promise<{ code: number | null; signal: string | null; out: string; err: string }> {
    return new Promise((resolve) => {
      const p = spawn(process.execPath, [bin, '--endpoints', s.address, '--retry-for', '2s', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      p.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        onStdout?.(d.toString());
      });
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.on('exit', (code, signal) => resolve({ code, signal, out, err }));
    });
  }

  const node = (script: string): string[] => ['--', process.execPath, '-e', script];

  it('runs the command holding the lock, with the token in its environment, and passes its status through', async () => {
    const r = await lockctl(['run', 'deploy', ...node('process.stdout.write("token=" + process.env.QUORUMLOCK_TOKEN + " lock=" + process.env.QUORUMLOCK_LOCK); process.exit(7)')]);
    expect(r.out).toBe('token=100 lock=deploy');
    expect(r.code).toBe(7);
    expect(s.lock('deploy').holder).toBeUndefined(); // released (and the session closed)
    expect(s.received.some((m) => m.msg.msg === 'close')).toBe(true);
  });

  it('--try exits 3 without running the command when the lock is held', async () => {
    const other = new LockClient({ endpoints: [s.address] });
    try {
      await other.acquire('deploy');
      const r = await lockctl(['run', 'deploy', '--try', ...node('console.log("RAN")')]);
      expect(r.code).toBe(3);
      expect(r.out).toBe('');
      expect(r.err).toMatch(/'deploy' is held; not running the command \(--try\)/);
    } finally {
      await other.close();
    }
  });

  it('stops the command with SIGTERM when the lease is lost, and SIGKILL after --grace', async () => {
    const results: { code: number | null; err: string }[] = [];
    const started = new Promise<void>((ok) => {
      void lockctl(['run', 'a', ...node('console.log("up"); setInterval(() => {}, 1000)')], () => ok()).then((r) => results.push(r));
    });
    await started;
    s.revoke('a');
    await until(() => results.length === 1);
    expect(results[0]?.code).toBe(128 + 15);
    expect(results[0]?.err).toMatch(/lease on 'a' lost \(revoked: revoked by an administrator\); sending SIGTERM/);

    const stubborn = new Promise<void>((ok) => {
      void lockctl(['run', 'b', '--grace', '150ms', ...node('process.on("SIGTERM", () => {}); console.log("up"); setInterval(() => {}, 1000)')], () => ok()).then((r) => results.push(r));
    });
    await stubborn;
    s.revoke('b');
    await until(() => results.length === 2);
    expect(results[1]?.code).toBe(128 + 9);
    expect(results[1]?.err).toMatch(/still running after 150 ms; sending SIGKILL/);
  }, 15_000);

  async function until(cond: () => boolean, ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 10));
    }
  }
});
