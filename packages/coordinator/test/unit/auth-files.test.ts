import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { silentLogger, type Logger } from '@quorumlock/raft';
import { deniedReason, parsePolicy } from '../../src/server/auth/policy';
import { identityFromPeerCertificate, parseSubjectAltName, bearerCredential } from '../../src/server/auth/identity';
import { ReloadingFile } from '../../src/server/auth/reloading-file';
import { AuthFileError, parseTokenFile } from '../../src/server/auth/token-file';
import * as grpc from '@grpc/grpc-js';

const POLICY = `# three roles
bindings:
  - identity: alice
    roles: [admin]
  - identity: grafana
    roles: [reader]
  - identity: orders-service
    roles: [client]
    prefixes: [orders/]
  - identity: worker
    roles: [client, reader]
`;

describe('policy file', () => {
  const policy = parsePolicy(POLICY, 'policy.yaml');

  test('admin may do everything; reader only reads; client only locks, within its prefixes', () => {
    const revoke = { kind: 'admin', action: 'Revoke', resource: "lock 'orders/1'" } as const;
    const status = { kind: 'read', action: 'Status', resource: 'the cluster status' } as const;
    expect(deniedReason(policy, 'alice', revoke)).toBeUndefined();
    expect(deniedReason(policy, 'alice', { kind: 'lock', action: 'lock', lockName: 'billing/1' })).toBeUndefined();
    expect(deniedReason(policy, 'grafana', revoke)).toBe(
      "'grafana' (role reader) may not Revoke lock 'orders/1': permission 'admin:Revoke' needs role admin",
    );
    expect(deniedReason(policy, 'grafana', status)).toBeUndefined();
    expect(deniedReason(policy, 'grafana', { kind: 'lock', action: 'Acquire' })).toMatch(/may not Acquire LockService: permission 'lock:Acquire' needs role client or admin/);
    expect(deniedReason(policy, 'orders-service', revoke)).toMatch(/needs role admin/);
    expect(deniedReason(policy, 'orders-service', status)).toMatch(/needs role reader or admin/);
    expect(deniedReason(policy, 'orders-service', { kind: 'lock', action: 'Acquire' })).toBeUndefined();
    expect(deniedReason(policy, 'orders-service', { kind: 'lock', action: 'lock', lockName: 'orders/42' })).toBeUndefined();
    expect(deniedReason(policy, 'orders-service', { kind: 'lock', action: 'lock', lockName: 'billing/1' })).toBe(
      "'orders-service' (role client) may not lock 'billing/1': permission 'lock:lock' needs a name under 'orders/'",
    );
    expect(deniedReason(policy, 'worker', { kind: 'lock', action: 'lock', lockName: 'billing/1' })).toBeUndefined();
    expect(deniedReason(policy, 'worker', status)).toBeUndefined();
    expect(deniedReason(policy, 'stranger', status)).toMatch(/^'stranger' \(no role\) may not Status/);
  });

  test('JSON is accepted too', () => {
    const p = parsePolicy('{"bindings": [{"identity": "a", "roles": ["admin"]}]}', 'p.json');
    expect(p.get('a')?.roles.has('admin')).toBe(true);
  });

  test.each([
    ['bindings:\n  - identity: a\n    roles: [admin]\n  - identity: b\n    roles: [root]\n', /^p\.yaml:4: role 'root' of 'b' is not one of admin, reader, client$/],
    ['bindings:\n  - identity: a\n    roles: [admin]\n    colour: blue\n', /^p\.yaml:4: unknown key 'colour'/],
    ['bindings:\n  - identity: a\n    roles: [reader]\n    prefixes: [x/]\n', /^p\.yaml:2: 'a' has prefixes but not the client role/],
    ['bindings:\n  - identity: a\n    roles: [admin]\n  - identity: a\n    roles: [reader]\n', /^p\.yaml:4: identity 'a' is bound twice/],
    ['bindings:\n  - identity: a\n    roles: [admin\n', /^p\.yaml:\d+: not valid YAML or JSON/],
    ['roles: {}\n', /^p\.yaml:1: unknown key 'roles'/],
    ['bindings:\n  - roles: [admin]\n', /^p\.yaml:2: `identity` must be a non-empty string/],
    ['bindings:\n  - identity: a\n    roles: []\n', /^p\.yaml:2: 'a' has no roles/],
    ['bindings:\n  - identity: a\n    roles: [client]\n    prefixes: [""]\n', /an empty prefix of 'a' would allow every name/],
  ])('a bad policy names the file, the line and the value: %j', (text, message) => {
    expect(() => parsePolicy(text, 'p.yaml')).toThrow(AuthFileError);
    expect(() => parsePolicy(text, 'p.yaml')).toThrow(message);
  });
});

describe('token file', () => {
  test('token,identity lines; comments and blank lines skipped', () => {
    const t = parseTokenFile('# comment\n\ntok-aaaaaaaaaaaaaaaa,alice\n tok-bbbbbbbbbbbbbbbb , bob \n', 't.csv');
    expect([...t.entries()]).toEqual([['tok-aaaaaaaaaaaaaaaa', 'alice'], ['tok-bbbbbbbbbbbbbbbb', 'bob']]);
  });

  test.each([
    ['tok-aaaaaaaaaaaaaaaa\n', /^t\.csv:1: expected `token,identity` \(2 columns\), got 1 columns$/],
    ['tok-aaaaaaaaaaaaaaaa,alice\nshort,bob\n', /^t\.csv:2: the token \(of 5 characters\) must be at least 16 characters/],
    ['tok-aaaaaaaaaaaaaaaa,alice\ntok-aaaaaaaaaaaaaaaa,bob\n', /^t\.csv:2: the same token as line 1 \(identity 'bob'\)$/],
    ['tok-aaaaaaaaaaaaaaaa,\n', /^t\.csv:1: the identity is empty$/],
  ])('a bad token file names the line, never the token: %j', (text, message) => {
    expect(() => parseTokenFile(text, 't.csv')).toThrow(message);
    try {
      parseTokenFile(text, 't.csv');
    } catch (e) {
      expect((e as Error).message).not.toContain('tok-aaaa');
    }
  });
});

describe('caller identity', () => {
  test('a verified certificate names its CN, else its first URI, DNS or email SAN', () => {
    expect(identityFromPeerCertificate({ subject: { CN: 'alice', O: 'x' }, subjectaltname: 'DNS:a.example' })).toBe('alice');
    expect(identityFromPeerCertificate({ subject: { CN: ['first', 'second'] } })).toBe('first');
    expect(identityFromPeerCertificate({ subject: { O: 'x' }, subjectaltname: 'DNS:node1.example, URI:spiffe://cluster/orders' })).toBe('spiffe://cluster/orders');
    expect(identityFromPeerCertificate({ subject: {}, subjectaltname: 'IP Address:10.0.0.1, DNS:orders.example' })).toBe('orders.example');
    expect(identityFromPeerCertificate({ subjectaltname: 'email:ops@example.com' })).toBe('ops@example.com');
    // Node reports "no certificate" as an empty object.
    expect(identityFromPeerCertificate({})).toBeUndefined();
    expect(identityFromPeerCertificate(undefined)).toBeUndefined();
    expect(identityFromPeerCertificate({ subject: { CN: '  ' }, subjectaltname: 'IP Address:10.0.0.1' })).toBeUndefined();
  });

  test('subjectAltName values with commas come quoted, and are split right', () => {
    expect(parseSubjectAltName('DNS:"a, b", URI:x://y')).toEqual([
      { type: 'DNS', value: 'a, b' },
      { type: 'URI', value: 'x://y' },
    ]);
  });

  test('bearer tokens: `Bearer <token>`, anything else is malformed', () => {
    const md = (v?: string): grpc.Metadata => {
      const m = new grpc.Metadata();
      if (v !== undefined) m.set('authorization', v);
      return m;
    };
    expect(bearerCredential(md())).toEqual({ kind: 'none' });
    expect(bearerCredential(md('Bearer abc'))).toEqual({ kind: 'bearer', token: 'abc' });
    expect(bearerCredential(md('bearer abc'))).toEqual({ kind: 'bearer', token: 'abc' });
    expect(bearerCredential(md('Basic abc'))).toMatchObject({ kind: 'malformed' });
  });
});

describe('ReloadingFile', () => {
  test('a change is picked up; a bad change is logged and the previous contents stay', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ql-auth-'));
    const file = path.join(dir, 't.csv');
    fs.writeFileSync(file, 'tok-aaaaaaaaaaaaaaaa,alice\n');
    const errors: string[] = [];
    const logger: Logger = { ...silentLogger, error: (o: object, msg: string) => errors.push(`${msg} ${JSON.stringify(o)}`) };
    const r = new ReloadingFile(file, parseTokenFile, logger, 'auth token file');
    try {
      r.start(20);
      expect(r.current.get('tok-aaaaaaaaaaaaaaaa')).toBe('alice');
      fs.writeFileSync(file, 'tok-aaaaaaaaaaaaaaaa,alice\ntok-bbbbbbbbbbbbbbbb,bob\n');
      await until(() => r.current.get('tok-bbbbbbbbbbbbbbbb') === 'bob');
      fs.writeFileSync(file, 'tok-aaaaaaaaaaaaaaaa,alice\nbroken line without a comma and longer\n');
      await until(() => errors.length > 0);
      expect(errors[0]).toContain('auth token file reload failed; the previous one stays in force');
      expect(errors[0]).toContain(`${file}:2: expected`);
      expect(r.current.get('tok-bbbbbbbbbbbbbbbb')).toBe('bob');
    } finally {
      r.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a file that cannot be read at start is an error naming it', () => {
    expect(() => new ReloadingFile('/nonexistent/policy.yaml', parsePolicy, silentLogger, 'auth policy file')).toThrow(/^\/nonexistent\/policy\.yaml: cannot read the auth policy file/);
  });
});

async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}
