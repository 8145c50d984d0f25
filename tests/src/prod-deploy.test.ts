/**
 * The container image's application layer, built without Docker: deploy/docker/build-app.sh (the
 * script the Dockerfile runs) copies the server and lockctl with production dependencies only into
 * a folder outside the workspace, where nothing can resolve a package from the repository. A node
 * started from there serves a lock that the deployed lockctl takes. A runtime dependency missing
 * from a package.json fails here, before any user builds an image.
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '@quorumlock/raft/testing';

jest.setTimeout(120_000);

const repo = path.resolve(__dirname, '..', '..');
let dest: string;
let server: ChildProcess | undefined;

beforeAll(() => {
  dest = fs.mkdtempSync(path.join(os.tmpdir(), 'quorumlock-image-'));
  const r = spawnSync('sh', [path.join(repo, 'deploy/docker/build-app.sh'), path.join(dest, 'app')], { cwd: repo, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build-app.sh exited ${String(r.status)}:\n${r.stdout}\n${r.stderr}`);
});

afterAll(() => {
  server?.kill('SIGKILL');
  fs.rmSync(dest, { recursive: true, force: true });
});

/** Every package in a deployed app's virtual store, as name@version folders. */
function installedPackages(app: string): string[] {
  return fs.readdirSync(path.join(dest, 'app', app, 'node_modules', '.pnpm')).filter((d) => d !== 'node_modules' && d !== 'lock.yaml');
}

test('the deployed server and lockctl carry no development dependency', () => {
  for (const app of ['server', 'lockctl']) {
    const pkgs = installedPackages(app);
    expect(pkgs.length).toBeGreaterThan(0);
    // Our build and test tools; (@types/node does come, as a runtime dependency of protobufjs.)
    const dev = pkgs.filter((p) => /^(jest|@jest\+|typescript|@swc\+|ts-|eslint|@eslint|prettier|fast-check)/.test(p));
    expect(dev).toEqual([]);
    expect(fs.existsSync(path.join(dest, 'app', app, 'src'))).toBe(false);
  }
  expect(fs.existsSync(path.join(dest, 'app', 'server', 'dist', 'main.js'))).toBe(true);
  expect(fs.existsSync(path.join(dest, 'app', 'lockctl', 'dist', 'cli', 'lockctl.js'))).toBe(true);
});

test('a node started from the deployed folder serves a lock to the deployed lockctl', async () => {
  const [client, peer] = [await freePort(), await freePort()];
  const work = path.join(dest, 'run');
  fs.mkdirSync(work);
  const log = fs.openSync(path.join(dest, 'server.log'), 'a');
  // Configured the way the image and the StatefulSet configure it: environment variables only.
  server = fork(path.join(dest, 'app', 'server', 'dist', 'main.js'), [], {
    cwd: work,
    stdio: ['ignore', log, log, 'ipc'],
    env: {
      PATH: process.env['PATH'] ?? '',
      NODE_ENV: 'production',
      QUORUMLOCK_ID: 'quorumlock-0',
      QUORUMLOCK_DATA_DIR: path.join(work, 'data'),
      QUORUMLOCK_LISTEN_CLIENT: `127.0.0.1:${client}`,
      QUORUMLOCK_LISTEN_PEER: `127.0.0.1:${peer}`,
      QUORUMLOCK_INITIAL_CLUSTER: `quorumlock-0=127.0.0.1:${peer}/127.0.0.1:${client}`,
    },
  });
  fs.closeSync(log);
  const started = server;
  await new Promise<void>((resolve, reject) => {
    const onExit = (code: number | null): void =>
      reject(new Error(`deployed server exited ${String(code)}:\n${fs.readFileSync(path.join(dest, 'server.log'), 'utf8')}`));
    started.once('exit', onExit);
    started.on('message', (m: unknown) => {
      if ((m as { type?: string } | null)?.type === 'started') {
        started.off('exit', onExit);
        resolve();
      }
    });
  });

  const lockctl = spawn(process.execPath, [path.join(dest, 'app', 'lockctl', 'dist', 'cli', 'lockctl.js'), 'run', 'image/check', '--', 'sh', '-c', 'echo "token=$QUORUMLOCK_TOKEN"'], {
    cwd: work,
    env: { PATH: process.env['PATH'] ?? '', QUORUMLOCK_ENDPOINTS: `127.0.0.1:${client}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  lockctl.stdout.on('data', (d: Buffer) => (out += d.toString()));
  lockctl.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => lockctl.on('exit', resolve));
  expect({ code, err }).toEqual({ code: 0, err: '' });
  expect(out).toMatch(/^token=[1-9]\d*$/m);

  const exited = new Promise<number | null>((resolve) => started.once('exit', resolve));
  started.kill('SIGTERM');
  expect(await exited).toBe(0);
});
