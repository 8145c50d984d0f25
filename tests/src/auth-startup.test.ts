/**
 * Issue 11 §3 at start-up: a bad policy or token file stops the server (exit 2) with the file,
 * the line and the value, before anything is opened; a token file needs a policy; a node with
 * authorization off says so in one warning line, and one with it on does not.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';

jest.setTimeout(60_000);

const main = path.join(__dirname, '..', '..', 'packages', 'coordinator', 'dist', 'main.js');
let dir = '';

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quorumlock-auth-start-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function server(args: string[], env: Record<string, string> = {}): { status: number | null; stderr: string } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('QUORUMLOCK_')));
  const r = spawnSync(process.execPath, [main, '--id', 'n1', '--data-dir', path.join(dir, 'data'), '--initial-cluster', 'n1=127.0.0.1:7999/127.0.0.1:6999', ...args], {
    encoding: 'utf8', env: { ...clean, ...env }, timeout: 20_000,
  });
  return { status: r.status, stderr: r.stderr };
}

test('a bad policy file (flag or QUORUMLOCK_AUTH_POLICY_FILE) exits 2 naming the file, the line and the value; nothing is opened', () => {
  const policy = path.join(dir, 'policy.yaml');
  fs.writeFileSync(policy, 'bindings:\n  - identity: alice\n    roles: [admin]\n  - identity: bob\n    roles: [root]\n');
  const r = server([], { QUORUMLOCK_AUTH_POLICY_FILE: policy });
  expect(r.status).toBe(2);
  expect(r.stderr).toBe(`quorumlock-server: refusing to start: ${policy}:4: role 'root' of 'bob' is not one of admin, reader, client\n`);
  expect(fs.existsSync(path.join(dir, 'data'))).toBe(false);

  const tokens = path.join(dir, 'tokens.csv');
  fs.writeFileSync(policy, 'bindings:\n  - identity: alice\n    roles: [admin]\n');
  fs.writeFileSync(tokens, 'tok-aaaaaaaaaaaaaaaa,alice\ntoo-short,bob\n');
  const t = server(['--auth-policy-file', policy, '--auth-token-file', tokens]);
  expect(t.status).toBe(2);
  expect(t.stderr).toContain(`${tokens}:2: the token (of 9 characters) must be at least 16 characters`);

  const missing = server(['--auth-policy-file', path.join(dir, 'nope.yaml')]);
  expect(missing.status).toBe(2);
  expect(missing.stderr).toContain(`${path.join(dir, 'nope.yaml')}: cannot read the auth policy file`);
});

test('--auth-token-file without --auth-policy-file is refused: the tokens would not be checked', () => {
  const r = server(['--auth-token-file', '/etc/tokens.csv']);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain("--auth-token-file '/etc/tokens.csv' needs --auth-policy-file");
});

test('authorization off: one warning line at start; on: none', async () => {
  const count = (c: CoordinatorCluster): number =>
    fs.readFileSync(c.logFile('n1'), 'utf8').split('\n').filter((l) => l.includes('"level":40') && l.includes('authorization is off')).length;
  const off = await CoordinatorCluster.create({ size: 1 });
  const on = await CoordinatorCluster.create({
    size: 1,
    auth: { policy: 'bindings:\n  - identity: ops\n    roles: [reader]\n', tokens: 'tok-ops-reader-000000000,ops\n', harnessToken: 'tok-ops-reader-000000000' },
  });
  try {
    await off.startAll();
    await on.startAll();
    await off.waitLeader();
    await on.waitLeader();
    expect(count(off)).toBe(1);
    expect(fs.readFileSync(off.logFile('n1'), 'utf8')).toContain('any caller that reaches the client port may lock, revoke, expire sessions and change members');
    expect(count(on)).toBe(0);
  } finally {
    await off.destroy();
    await on.destroy();
  }
});
