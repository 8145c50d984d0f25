/**
 * The TLS pieces without processes, on certificates made by openssl for this file: the TLS flags
 * and their refusals, the member ids a peer certificate names, the identity of a verified client
 * certificate, the sender check, and the reloading provider keeping the last good files when a
 * rotation is caught half-written.
 */
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PeerCertificate } from 'node:tls';
import { createPeerTls, memberIdsOf, ReloadingCertificateProvider, type TlsCall } from '@quorumlock/raft';
import { ConfigError, loadConfig, type ServerConfig } from '../../src/config';
import { identityFromPeerCertificate } from '../../src/server/auth/identity';
import { TestCa } from '../../src/testing/test-pki';

let dir: string;
let ca: TestCa;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quorumlock-tls-unit-'));
  ca = new TestCa(path.join(dir, 'pki'));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const BASE = ['--id', 'n1', '--data-dir', '/tmp/x', '--initial-cluster', 'n1=127.0.0.1:7001/127.0.0.1:6001'];

function config(args: readonly string[], env: NodeJS.ProcessEnv = {}): ServerConfig {
  const c = loadConfig([...BASE, ...args], env);
  if (c === 'help') throw new Error('help');
  return c;
}

/** What Node's getPeerCertificate() gives for a PEM file (the fields this code reads). */
function peerCertificate(file: string): PeerCertificate {
  const x = new X509Certificate(fs.readFileSync(file));
  const cn = /CN=([^\n]+)/.exec(x.subject)?.[1];
  return { subject: cn === undefined ? {} : { CN: cn }, subjectaltname: x.subjectAltName ?? '' } as unknown as PeerCertificate;
}

function call(cert: PeerCertificate | undefined): TlsCall {
  return { getAuthContext: () => (cert === undefined ? {} : { sslPeerCertificate: cert }), getPeer: () => '127.0.0.1:5555' };
}

describe('TLS flags', () => {
  it('are off by default, on with files, and read from QUORUMLOCK_* variables', () => {
    expect(config([]).tls).toEqual({ client: null, peer: null, reloadMs: 5000 });
    const s = ca.server('n1');
    const p = ca.peer('n1');
    const c = config([], {
      QUORUMLOCK_CERT_FILE: s.cert,
      QUORUMLOCK_KEY_FILE: s.key,
      QUORUMLOCK_TRUSTED_CA_FILE: ca.caFile,
      QUORUMLOCK_CLIENT_CERT_AUTH: 'true',
      QUORUMLOCK_PEER_CERT_FILE: p.cert,
      QUORUMLOCK_PEER_KEY_FILE: p.key,
      QUORUMLOCK_PEER_TRUSTED_CA_FILE: ca.caFile,
      QUORUMLOCK_TLS_RELOAD_MS: '250',
    });
    expect(c.tls).toEqual({
      client: { certFile: s.cert, keyFile: s.key, trustedCaFile: ca.caFile, clientCertAuth: true },
      peer: { certFile: p.cert, keyFile: p.key, trustedCaFile: ca.caFile },
      reloadMs: 250,
    });
  });

  it('refuse what does not fit, naming the flag and the value', () => {
    const s = ca.server('n1');
    const garbage = path.join(dir, 'garbage.pem');
    fs.writeFileSync(garbage, 'not a certificate\n');
    const cases: Array<[readonly string[], string]> = [
      [['--cert-file', s.cert], `--cert-file '${s.cert}' needs --key-file`],
      [['--client-cert-auth'], '--client-cert-auth needs --cert-file'],
      [['--cert-file', s.cert, '--key-file', s.key, '--client-cert-auth'], '--client-cert-auth needs --trusted-ca-file'],
      [['--cert-file', '/nonexistent/x.crt', '--key-file', s.key], "--cert-file '/nonexistent/x.crt' cannot be read"],
      [['--cert-file', garbage, '--key-file', s.key], `certificate file '${garbage}' and key file '${s.key}' are not a usable pair`],
      [['--cert-file', s.cert, '--key-file', s.key, '--trusted-ca-file', garbage], `trusted CA file '${garbage}' holds no usable PEM certificate`],
      [['--peer-key-file', s.key], 'peer TLS is always mutual: --peer-cert-file and --peer-trusted-ca-file must be given too'],
      [['--tls-reload-ms', '0'], "--tls-reload-ms '0' must be an integer"],
    ];
    for (const [args, message] of cases) {
      expect(() => config(args)).toThrow(ConfigError);
      expect(() => config(args)).toThrow(message);
    }
  });
});

describe('peer identity', () => {
  it('a peer certificate names its member by SAN URI quorumlock://<id>; other SANs name none', () => {
    expect(memberIdsOf(peerCertificate(ca.peer('n2').cert))).toEqual(['n2']);
    expect(memberIdsOf(peerCertificate(ca.server('n2').cert))).toEqual([]);
    expect(memberIdsOf(peerCertificate(ca.issue('two', 'two', ['URI:quorumlock://a', 'URI:quorumlock://b']).cert))).toEqual(['a', 'b']);
    expect(memberIdsOf({ subjectaltname: 'URI:"quorumlock://x,y", DNS:quorumlock://n1' } as unknown as PeerCertificate)).toEqual(['x,y']);
  });

  it('the sender check accepts only the member the verified certificate names, and counts the rest', () => {
    const mine = ca.peer('n1');
    const rejected: string[] = [];
    const sec = createPeerTls({ certFile: mine.cert, keyFile: mine.key, caFile: ca.caFile, onRejected: (r) => rejected.push(`${r.claimed}:${r.certified.join('+')}`) });
    try {
      const n2 = peerCertificate(ca.peer('n2').cert);
      expect(sec.checkSender(call(n2), 'n2', true)).toBeNull();
      expect(sec.checkSender(call(n2), 'n3', true)).toBe('rejected: the sender\'s certificate names member "n2", not "n3"');
      expect(sec.checkSender(call(n2), 'n2', false)).toBe('rejected: "n2" is not a member this node knows');
      expect(sec.checkSender(call(undefined), 'n2', true)).toBe('rejected: the sender\'s certificate names no member, not "n2"');
      const both = peerCertificate(ca.issue('both', 'both', ['URI:quorumlock://n2', 'URI:quorumlock://n3']).cert);
      expect(sec.checkSender(call(both), 'n2', true)).toContain('names several members (n2, n3)');
      expect(rejected).toEqual(['n3:n2', 'n2:n2', 'n2:', 'n2:n2+n3']);
    } finally {
      sec.close();
    }
  });
});

describe('client certificate identity', () => {
  it('is the CN of a real certificate, else its first SAN URI or DNS name; none without one', () => {
    expect(identityFromPeerCertificate(peerCertificate(ca.client('alice').cert))).toBe('alice');
    const noCn = { subjectaltname: 'DNS:svc.example, URI:spiffe://example/svc' } as unknown as PeerCertificate;
    expect(identityFromPeerCertificate(noCn)).toBe('spiffe://example/svc');
    expect(identityFromPeerCertificate(undefined)).toBeUndefined();
  });
});

describe('ReloadingCertificateProvider', () => {
  it('publishes rotated files, and keeps the last good ones while the files do not match', async () => {
    const first = ca.issue('rot', 'first', ['DNS:localhost']);
    const warnings: string[] = [];
    const logger = { warn: (_o: object, m: string) => warnings.push(m), info: () => undefined, debug: () => undefined, error: () => undefined, trace: () => undefined, fatal: () => undefined, child: () => logger };
    const provider = new ReloadingCertificateProvider({ certFile: first.cert, keyFile: first.key, caFile: ca.caFile }, { intervalMs: 60_000, logger: logger as never, label: 'client' });
    const seen: string[] = [];
    provider.addIdentityCertificateListener((u) => seen.push(u === null ? 'null' : new X509Certificate(u.certificate).subject));
    await new Promise((r) => process.nextTick(r));
    expect(seen).toEqual(['CN=first']);
    // Half-written rotation: the new certificate is in place, its key not yet.
    const second = ca.issue('rot2', 'second', ['DNS:localhost']);
    fs.copyFileSync(second.cert, first.cert);
    provider.reload();
    expect(seen).toEqual(['CN=first']);
    expect(warnings.join('\n')).toContain(`certificate file '${first.cert}' and key file '${first.key}' are not a usable pair`);
    // The key arrives: the new pair is published.
    fs.copyFileSync(second.key, first.key);
    provider.reload();
    expect(seen).toEqual(['CN=first', 'CN=second']);
    // Unchanged files publish nothing.
    provider.reload();
    expect(seen).toHaveLength(2);
    provider.close();
  });

  it('refuses to start on files it cannot use', () => {
    expect(() => new ReloadingCertificateProvider({ certFile: path.join(dir, 'missing.crt'), keyFile: path.join(dir, 'missing.key') })).toThrow(
      `cannot read the certificate file '${path.join(dir, 'missing.crt')}'`,
    );
  });
});
