/**
 * What a user does: `pnpm pack` the publishable packages, `npm install` the tarballs into an
 * empty project outside the workspace, and take a lock on a live cluster with the installed SDK
 * and the installed lockctl. Also: `pnpm -s lockctl status --json` pipes into jq.
 *
 * npm fetches the third-party dependencies (grpc-js, level, ...) from its cache or the registry;
 * the @quorumlock/* ones come only from the tarballs (they are not on the registry), so a
 * dependency left as `workspace:*` or a file missing from `files` fails the install or the run.
 */
import { spawn, type SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, '..', '..');
const PACKAGES = ['proto', 'packages/raft', 'packages/client', 'packages/coordinator'];
const CLIENT_VERSION = (
  JSON.parse(fs.readFileSync(path.join(ROOT, 'packages/client/package.json'), 'utf8')) as { version: string }
).version;
const SERVER_VERSION = (
  JSON.parse(fs.readFileSync(path.join(ROOT, 'packages/coordinator/package.json'), 'utf8')) as { version: string }
).version;

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end (asynchronously: the cluster's processes keep being served). */
function run(cmd: string, args: readonly string[], opts: SpawnOptions & { timeoutMs?: number } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const ok = (r: Ran, what: string): Ran => {
  if (r.code !== 0) throw new Error(`${what} exited with ${String(r.code)}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
};

/** The environment without pnpm's npm_* variables, which would steer npm into the workspace. */
function userEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
}

let tmp: string;
let app: string;
let cluster: CoordinatorCluster | undefined;
let endpoints: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'quorumlock-pack-'));
  const tarballs = path.join(tmp, 'tarballs');
  app = path.join(tmp, 'app');
  fs.mkdirSync(tarballs);
  fs.mkdirSync(app);
  for (const p of PACKAGES) {
    ok(await run('pnpm', ['pack', '--pack-destination', tarballs], { cwd: path.join(ROOT, p) }), `pnpm pack in ${p}`);
  }
  const files = fs.readdirSync(tarballs).map((f) => path.join(tarballs, f));
  expect(files).toHaveLength(PACKAGES.length);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  ok(
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...files], {
      cwd: app,
      env: userEnv(),
      timeoutMs: 240_000,
    }),
    'npm install of the tarballs',
  );
  cluster = await CoordinatorCluster.create({ size: 3, args: ['--tick-ms', '50'] });
  await cluster.startAll();
  await cluster.waitLeader();
  endpoints = cluster.endpoints().join(',');
});

afterAll(async () => {
  await cluster?.destroy();
  if (tmp !== undefined) fs.rmSync(tmp, { recursive: true, force: true });
});

const bin = (name: string): string => path.join(app, 'node_modules', '.bin', name);

it('installs outside the workspace, with both bins printing their version', async () => {
  expect(path.relative(ROOT, app).startsWith('..')).toBe(true);
  const lockctl = ok(await run(bin('lockctl'), ['--version'], { cwd: app, env: userEnv() }), 'lockctl --version');
  expect(lockctl.stdout).toBe(`${CLIENT_VERSION}\n`);
  const server = ok(
    await run(bin('quorumlock-server'), ['--version'], { cwd: app, env: userEnv() }),
    'quorumlock-server --version',
  );
  expect(server.stdout).toBe(`${SERVER_VERSION}\n`);
});

it('installs packages a registry would accept: not private, licensed, no workspace: ranges, only what `files` lists', () => {
  for (const name of ['proto', 'raft', 'client', 'coordinator']) {
    const dir = path.join(app, 'node_modules', '@quorumlock', name);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    const deps = Object.values({ ...(pkg['dependencies'] as Record<string, string> | undefined) });
    expect([
      name,
      pkg['private'],
      pkg['license'],
      typeof pkg['repository'],
      (pkg['engines'] as { node?: string } | undefined)?.node,
    ]).toEqual([name, undefined, 'Apache-2.0', 'object', '>=20']);
    expect([name, typeof pkg['exports'], deps.filter((d) => d.startsWith('workspace:'))]).toEqual([name, 'object', []]);
    expect([
      name,
      fs.existsSync(path.join(dir, 'LICENSE')),
      fs.existsSync(path.join(dir, 'src')),
      fs.existsSync(path.join(dir, 'test')),
    ]).toEqual([name, true, false, false]);
  }
});

it('takes a lock with the installed SDK, and the installed lockctl sees the hold', async () => {
  // The script resolves everything from the app's node_modules: it reports where the SDK came
  // from, holds a lock while the installed lockctl describes it, then releases.
  fs.writeFileSync(
    path.join(app, 'use-sdk.js'),
    `'use strict';
const { execFileSync } = require('node:child_process');
const { LockClient } = require('@quorumlock/client');
(async () => {
  const client = new LockClient({ endpoints: process.argv[2].split(',') });
  const lease = await client.acquire('pack/sdk');
  const seen = JSON.parse(execFileSync(process.argv[3], ['--endpoints', process.argv[2], '--json', 'lock', 'pack/sdk'], { encoding: 'utf8' }));
  await lease.release();
  await client.close();
  console.log(JSON.stringify({ sdk: require.resolve('@quorumlock/client'), token: lease.token, holders: seen.holders.map((h) => h.token) }));
})().catch((e) => { console.error(e); process.exit(1); });
`,
  );
  const r = ok(
    await run(process.execPath, ['use-sdk.js', endpoints, bin('lockctl')], { cwd: app, env: userEnv() }),
    'use-sdk.js',
  );
  const out = JSON.parse(r.stdout) as { sdk: string; token: number; holders: number[] };
  expect(out.sdk.startsWith(path.join(app, 'node_modules', '@quorumlock', 'client'))).toBe(true);
  expect(out.token).toBeGreaterThan(0);
  expect(out.holders).toEqual([out.token]);
});

it('runs a command under a lock with the installed lockctl', async () => {
  const r = ok(
    await run(
      bin('lockctl'),
      [
        '--endpoints',
        endpoints,
        'run',
        'pack/cli',
        '--',
        process.execPath,
        '-e',
        'console.log("ran with " + process.env.QUORUMLOCK_TOKEN)',
      ],
      {
        cwd: app,
        env: userEnv(),
      },
    ),
    'lockctl run',
  );
  expect(r.stdout).toMatch(/^ran with [1-9]\d*\n$/);
});

it('ships the harnesses only behind the /testing subpath', async () => {
  const probe = `const main = require('@quorumlock/coordinator'); const testing = require('@quorumlock/coordinator/testing');
console.log(JSON.stringify({ main: 'CoordinatorCluster' in main, testing: typeof testing.CoordinatorCluster, raft: typeof require('@quorumlock/raft/testing').KvCluster, proto: require('node:fs').existsSync(require('@quorumlock/proto').lockProto) }));`;
  const r = ok(await run(process.execPath, ['-e', probe], { cwd: app, env: userEnv() }), 'probe');
  expect(JSON.parse(r.stdout)).toEqual({ main: false, testing: 'function', raft: 'function', proto: true });
});

it('pipes `pnpm -s lockctl status --json` into jq (node stands in where jq is not installed)', async () => {
  const hasJq = (await run('bash', ['-c', 'command -v jq'])).code === 0;
  const filter = hasJq
    ? 'jq -r .leaderId'
    : `node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).leaderId))'`;
  const r = ok(
    await run('bash', ['-c', `set -o pipefail; pnpm -s lockctl --endpoints ${endpoints} status --json | ${filter}`], {
      cwd: ROOT,
    }),
    'pipe',
  );
  expect(cluster?.ids).toContain(r.stdout.trim());
});
