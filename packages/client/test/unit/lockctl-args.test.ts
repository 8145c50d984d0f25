/**
 * lockctl's command line: parsing into a validated command, usage errors that name the offending
 * value (exit 2), `--help` everywhere, endpoints from the flag, the environment or the default,
 * TLS files from --cacert/--cert/--key or QUORUMLOCK_CACERT/CERT/KEY.
 * (lockctl-bin.test.ts runs the built binary.)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { COMMANDS, DEFAULT_ENDPOINTS, parseCli, UsageError } from '../../src/cli/args';
import { main } from '../../src/cli/lockctl';
import { VERSION } from '../../src/version';

function parse(argv: string, env: Record<string, string> = {}): ReturnType<typeof parseCli> {
  return parseCli(argv === '' ? [] : argv.split(' '), env);
}

function usage(argv: string, env: Record<string, string> = {}): string {
  try {
    parse(argv, env);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`no usage error for '${argv}'`);
}

describe('parseCli', () => {
  it('parses commands with their flags and typed values', () => {
    const p = parse('revoke orders/1 --token 42 --reason maintenance --json');
    expect(p).toMatchObject({ kind: 'command', command: 'revoke', args: { NAME: 'orders/1' }, options: { token: 42, reason: 'maintenance' } });
    if (p.kind !== 'command') throw new Error('not a command');
    expect(p.global.json).toBe(true);
    expect(p.global.endpoints).toEqual(DEFAULT_ENDPOINTS.split(','));
    expect(parse('top --interval-ms 2s --iterations 3')).toMatchObject({ options: { 'interval-ms': 2000, iterations: 3 } });
    expect(parse('members add n4 --peer 127.0.0.1:7004 --client 127.0.0.1:6004')).toMatchObject({
      command: 'members add',
      args: { ID: 'n4' },
      options: { peer: '127.0.0.1:7004', client: '127.0.0.1:6004' },
    });
    expect(parse('members')).toMatchObject({ command: 'members' });
    expect(parse('members list')).toMatchObject({ command: 'members' });
    expect(parse('--json locks --prefix job:')).toMatchObject({ command: 'locks', options: { prefix: 'job:', json: true } });
    // Global flags after the command's own, and between a group and its subcommand.
    expect(parse('locks --prefix job: --json --retry-for 2s')).toMatchObject({ command: 'locks', options: { prefix: 'job:' }, global: { json: true, retryForMs: 2000 } });
    expect(parse('members --json remove n2')).toMatchObject({ command: 'members remove', args: { ID: 'n2' }, global: { json: true } });
  });

  it('run takes flags before -- and the command after it, verbatim', () => {
    const p = parse('run deploy --wait-timeout 1m --ttl 5s --grace 200ms --try -- sh -c echo --json');
    expect(p).toMatchObject({ command: 'run', args: { NAME: 'deploy' }, options: { 'wait-timeout': 60_000, ttl: 5000, grace: 200, try: true } });
    if (p.kind !== 'command') throw new Error('not a command');
    expect(p.trailing).toEqual(['sh', '-c', 'echo', '--json']);
    expect(p.global.json).toBe(false);
  });

  it('takes endpoints from --endpoints, else QUORUMLOCK_ENDPOINTS, else the default', () => {
    const env = { QUORUMLOCK_ENDPOINTS: '10.0.0.1:6001, 10.0.0.2:6001' };
    expect(parse('status', env)).toMatchObject({ global: { endpoints: ['10.0.0.1:6001', '10.0.0.2:6001'] } });
    expect(parse('status --endpoints h:1,h:2', env)).toMatchObject({ global: { endpoints: ['h:1', 'h:2'] } });
  });

  it('reports usage errors naming the value', () => {
    expect(usage('')).toMatch(/no command/);
    expect(usage('frobnicate')).toBe("unknown command 'frobnicate'");
    expect(usage('status --frob')).toBe("unknown flag --frob for 'lockctl status'");
    expect(usage('locks --limit ten')).toBe("--limit: 'ten' is not a non-negative integer");
    expect(usage('revoke a --token -3')).toMatch(/token/);
    expect(usage('top --interval-ms soon')).toMatch(/--interval-ms: 'soon' is not a duration/);
    expect(usage('lock')).toBe("'lockctl lock' needs NAME");
    expect(usage('lock a b')).toBe("unexpected argument 'b' for 'lockctl lock'");
    expect(usage('run a')).toMatch(/needs '-- COMMAND/);
    expect(usage('run a --')).toMatch(/needs '-- COMMAND/);
    expect(usage('status -- x')).toMatch(/takes no '-- \.\.\.'/);
    expect(usage('members add n4 --peer 1.2.3.4:7')).toBe("'lockctl members add' needs --client HOST:PORT");
    expect(usage('members add n4 --peer nope --client 1.2.3.4:6')).toMatch(/--peer: endpoint 'nope' is not host:port/);
    expect(usage('status --endpoints 127.0.0.1:70000')).toMatch(/--endpoints: .*'127\.0\.0\.1:70000' has port 70000/);
    expect(usage('status', { QUORUMLOCK_ENDPOINTS: 'bad' })).toMatch(/QUORUMLOCK_ENDPOINTS: endpoint 'bad'/);
    expect(usage('run x --wait-timeout 5q -- true')).toMatch(/--wait-timeout: '5q'/);
  });

  it('has help for every command, listing every flag', () => {
    expect(parse('--help')).toMatchObject({ kind: 'help' });
    expect(parse('help')).toMatchObject({ kind: 'help' });
    for (const c of COMMANDS) {
      const h = parse(`${c.name} --help`);
      if (h.kind !== 'help') throw new Error(`no help for ${c.name}`);
      expect(h.text).toContain(`Usage: lockctl ${c.name}`);
      for (const flag of Object.keys(c.options)) expect(h.text).toContain(`--${flag}`);
      expect(h.text).toContain('--endpoints');
      expect(parse(`help ${c.name}`)).toEqual(h);
    }
  });
});

describe('main (in process)', () => {
  function io(): { out: string[]; err: string[]; io: Parameters<typeof main>[1] } {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { stdout: (s) => out.push(s), stderr: (s) => err.push(s), env: {}, isTTY: false } };
  }

  it('exit 2 with the message and a hint on usage errors; 0 with help', async () => {
    const a = io();
    expect(await main(['locks', '--limit', 'x'], a.io)).toBe(2);
    expect(a.err.join('')).toBe("lockctl: --limit: 'x' is not a non-negative integer\nRun 'lockctl locks --help' for usage.\n");
    const b = io();
    expect(await main(['--help'], b.io)).toBe(0);
    expect(b.out.join('')).toMatch(/^lockctl: inspect and operate/);
  });

  it('--version and -V print the version', async () => {
    for (const flag of ['--version', '-V']) {
      const v = io();
      expect(await main([flag], v.io)).toBe(0);
      expect(v.out.join('')).toBe(`${VERSION}\n`);
    }
  });
});

describe('TLS flags', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lockctl-tls-'));
  const file = (name: string, text: string): string => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };
  const ca = file('ca.crt', '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n');
  const cert = file('me.crt', '-----BEGIN CERTIFICATE-----\nme\n-----END CERTIFICATE-----\n');
  const key = file('me.key', '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('are off without --cacert/--cert/--key; the files are read from flags or QUORUMLOCK_CACERT/CERT/KEY, a flag winning', () => {
    const plain = parse('status');
    expect(plain.kind === 'command' && plain.global.tls).toBeUndefined();
    const byFlags = parse(`status --cacert ${ca} --cert ${cert} --key ${key}`);
    expect(byFlags).toMatchObject({ global: { tls: { ca: fs.readFileSync(ca), cert: fs.readFileSync(cert), key: fs.readFileSync(key) } } });
    const byEnv = parse('status', { QUORUMLOCK_CACERT: ca, QUORUMLOCK_CERT: cert, QUORUMLOCK_KEY: key });
    expect(byEnv).toMatchObject({ global: { tls: { ca: fs.readFileSync(ca), cert: fs.readFileSync(cert) } } });
    const flagWins = parse(`status --cacert ${cert}`, { QUORUMLOCK_CACERT: ca });
    expect(flagWins).toMatchObject({ global: { tls: { ca: fs.readFileSync(cert) } } });
  });

  it('a missing file or a certificate without its key is a usage error naming the flag', () => {
    expect(usage(`status --cacert ${path.join(dir, 'none.crt')}`)).toContain(`--cacert '${path.join(dir, 'none.crt')}' cannot be read`);
    expect(usage('status', { QUORUMLOCK_KEY: path.join(dir, 'none.key') })).toContain(`QUORUMLOCK_KEY '${path.join(dir, 'none.key')}' cannot be read`);
    expect(usage(`status --cert ${cert}`)).toBe('--cert needs --key (its private key)');
    expect(usage(`status --key ${key}`)).toBe('--key needs --cert (the client certificate)');
  });
});
