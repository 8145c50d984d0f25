/**
 * quorumlock-server's configuration as the README promises it: `--help` lists every flag with its
 * `QUORUMLOCK_*` environment variable, the variables are honoured, a flag wins over its variable,
 * and bad input exits 2 with a message that names the flag and the value. No cluster is started:
 * every run here stops at validation.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const main = path.join(__dirname, '..', '..', 'packages', 'coordinator', 'dist', 'main.js');
let dataDir = '';

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'quorumlock-config-'));
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

function server(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('QUORUMLOCK_')));
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', env: { ...clean, ...env }, timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Valid required flags; the test adds one bad value so the server stops at validation. */
const required = (): string[] => ['--id', 'n1', '--data-dir', dataDir, '--initial-cluster', 'n1=127.0.0.1:7999/127.0.0.1:6999'];

it('--help lists every flag with its QUORUMLOCK_* variable, and the notable defaults', () => {
  const h = server(['--help']);
  expect(h.status).toBe(0);
  const flags = [...h.stdout.matchAll(/^ {2}(?:-h, )?--([a-z-]+)\b.*$/gm)];
  expect(flags.length).toBeGreaterThan(15);
  for (const [line, flag] of flags) {
    if (flag === 'help') continue;
    expect(line).toContain(`[QUORUMLOCK_${String(flag).toUpperCase().replace(/-/g, '_')}]`);
  }
  for (const [flag, def] of [['tick-ms', '50'], ['election-ticks', '12'], ['renew-interval-ms', '100'], ['default-ttl-ms', '10000'], ['min-ttl-ms', '1000'], ['max-ttl-ms', '300000'], ['max-in-flight', '1000'], ['log-level', 'info']]) {
    expect(h.stdout).toMatch(new RegExp(`--${flag} .*\\(default ${def}[,)]`));
  }
});

it('a bad value exits 2 naming the flag and the value, whether given as a flag or a variable', () => {
  const flag = server([...required(), '--tick-ms', 'abc']);
  expect(flag.status).toBe(2);
  expect(flag.stderr).toContain("--tick-ms 'abc'");
  const env = server(required(), { QUORUMLOCK_TICK_MS: 'abc' });
  expect(env.status).toBe(2);
  expect(env.stderr).toContain("--tick-ms 'abc'");
  const unknown = server(['--bogus']);
  expect(unknown.status).toBe(2);
  expect(unknown.stderr).toContain("'--bogus'");
});

it('the variables are honoured, and a flag wins over its variable', () => {
  // The TTL bounds must be ordered: the variable's max below the flag's min is refused, by value.
  const fromEnv = server([...required(), '--min-ttl-ms', '5000'], { QUORUMLOCK_MAX_TTL_MS: '100' });
  expect(fromEnv.status).toBe(2);
  expect(fromEnv.stderr).toContain("--max-ttl-ms '100'");
  // The flag replaces the bad variable: validation now stops at the next bad value instead.
  const flagWins = server([...required(), '--tick-ms', '50', '--min-ttl-ms', '5000', '--max-ttl-ms', '100'], { QUORUMLOCK_TICK_MS: 'abc' });
  expect(flagWins.status).toBe(2);
  expect(flagWins.stderr).not.toContain('--tick-ms');
  expect(flagWins.stderr).toContain("--max-ttl-ms '100'");
  const required2 = server([]);
  expect(required2.status).toBe(2);
  expect(required2.stderr).toMatch(/--\w[\w-]* is required \(or QUORUMLOCK_/);
});

it('--version (or -V) alone prints the version; with other flags it is refused', () => {
  const version = (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'packages', 'coordinator', 'package.json'), 'utf8')) as { version: string }).version;
  for (const flag of ['--version', '-V']) {
    const v = server([flag]);
    expect({ flag, status: v.status, stdout: v.stdout }).toEqual({ flag, status: 0, stdout: `${version}\n` });
  }
  const mixed = server([...required(), '--version']);
  expect(mixed.status).toBe(2);
  expect(mixed.stderr).toContain('--version takes no other flags');
});
