/**
 * The README's "Securing a cluster" works as written: its three marked shell blocks (the openssl
 * commands, the servers, lockctl) run in a fresh directory with `sh -e`, with `quorumlock-server`
 * and `lockctl` on PATH as this repository's binaries. The only change: the ports 6001-6003 and
 * 7001-7003 become free ports, so the test never collides with `pnpm start` or another test. The
 * result must be a 3-node mTLS cluster that answers `lockctl status` with the README's client
 * certificate, and refuses it without.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '@quorumlock/raft/testing';
import { LOCKCTL, waitUntil } from './helpers/util';

jest.setTimeout(120_000);

const README = path.join(__dirname, '..', '..', 'README.md');
const SERVER = path.join(path.dirname(require.resolve('@quorumlock/coordinator/package.json')), 'bin', 'quorumlock-server.js');

/** The ```sh block right after `<!-- securing: NAME -->`. */
function block(markdown: string, name: string): string {
  const lines = markdown.split('\n');
  const at = lines.findIndex((l) => l.trim() === `<!-- securing: ${name} -->`);
  if (at < 0) throw new Error(`README has no <!-- securing: ${name} --> block`);
  let j = at + 1;
  while (j < lines.length && lines[j]?.trim() === '') j++;
  if (lines[j]?.trim() !== '```sh') throw new Error(`README line ${j + 1}: <!-- securing: ${name} --> must be followed by a \`\`\`sh block`);
  const end = lines.indexOf('```', j + 1);
  if (end < 0) throw new Error(`README line ${j + 1}: unterminated block`);
  return lines.slice(j + 1, end).join('\n') + '\n';
}

let dir: string;
let servers: ChildProcess | undefined;
let env: NodeJS.ProcessEnv;
const ports = new Map<string, string>();

function withPorts(script: string): string {
  return script.replace(/\b(600[1-3]|700[1-3])\b/g, (p) => ports.get(p) ?? p);
}

function sh(script: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('sh', ['-e', '-c', script], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quorumlock-readme-tls-'));
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'quorumlock-server'), `#!/bin/sh\nexec "${process.execPath}" "${SERVER}" "$@"\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'lockctl'), `#!/bin/sh\nexec "${process.execPath}" "${LOCKCTL}" "$@"\n`, { mode: 0o755 });
  // Only what the commands need: a clean environment without QUORUMLOCK_* from the caller.
  env = { PATH: `${bin}:/usr/bin:/bin`, HOME: dir };
  for (const p of ['6001', '6002', '6003', '7001', '7002', '7003']) ports.set(p, String(await freePort()));
});

afterAll(() => {
  // The servers block backgrounds the servers in the shell's process group; end that group.
  if (servers?.pid !== undefined) {
    try {
      process.kill(-servers.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

it('the README commands make an mTLS cluster that answers lockctl status', async () => {
  const markdown = fs.readFileSync(README, 'utf8');
  const certs = sh(block(markdown, 'certs'));
  expect(certs.stderr).not.toMatch(/error|unable/i);
  expect(certs.code).toBe(0);
  for (const f of ['ca.crt', 'n1-server.crt', 'n1-peer.crt', 'n3-peer.key', 'alice.crt', 'alice.key']) expect(fs.existsSync(path.join(dir, 'certs', f))).toBe(true);

  // The servers block ends at once (each server runs in the background): start it in its own
  // process group, so everything it started can be ended by that group's id.
  servers = spawn('sh', ['-e', '-c', withPorts(block(markdown, 'servers'))], { cwd: dir, env, detached: true, stdio: 'ignore' });
  const lockctlBlock = withPorts(block(markdown, 'lockctl'));
  // Until the members elected a leader, lockctl exits 1 (bounded: elections take about a second).
  const done = await waitUntil(
    () => {
      const r = sh(lockctlBlock);
      return r.code === 0 ? r : false;
    },
    60_000,
    'lockctl status against the README cluster',
    500,
  );
  // Two status tables (flags, then environment), each listing the three members and a leader.
  for (const id of ['n1', 'n2', 'n3']) expect(done.stdout.split(`${id} `).length - 1).toBeGreaterThanOrEqual(2);
  expect(done.stdout).toMatch(/leader/);
  const logs = ['n1', 'n2', 'n3'].map((id) => fs.readFileSync(path.join(dir, `${id}.log`), 'utf8'));
  for (const log of logs) expect(log).not.toContain('"unauthenticated"');

  // TLS is really on: without the client certificate the same cluster refuses lockctl.
  const endpoints = ['6001', '6002', '6003'].map((p) => `127.0.0.1:${ports.get(p) ?? ''}`).join(',');
  const plain = sh(`lockctl --endpoints ${endpoints} --retry-for 500ms status`);
  expect(plain.code).toBe(1);
  const noCert = sh(`lockctl --endpoints ${endpoints} --cacert certs/ca.crt --retry-for 500ms status`);
  expect(noCert.code).toBe(1);
});
