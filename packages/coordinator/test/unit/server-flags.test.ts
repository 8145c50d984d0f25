/**
 * quorumlock-server's command line (commander, server-flags.ts): --help from the table with each
 * flag's default and variable on its own line, and every malformed command line refused with a
 * ConfigError naming the flag or the value.
 */
import { ConfigError, helpText, loadConfig } from '../../src/config';

const base = ['--id', 'n1', '--data-dir', '/tmp/x', '--initial-cluster', 'n1=127.0.0.1:7001/127.0.0.1:6001'];

function refusal(args: string[]): string {
  try {
    loadConfig(args, {});
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error(`no ConfigError for ${args.join(' ')}`);
}

describe('quorumlock-server flags', () => {
  it('--help and -h ask for the help, whatever else is given', () => {
    expect(loadConfig(['--help'], {})).toBe('help');
    expect(loadConfig([...base, '-h'], {})).toBe('help');
  });

  it('the help lists every flag on one line with its default and variable, then --version and --help', () => {
    const lines = helpText().split('\n');
    expect(lines[0]).toBe('Usage: quorumlock-server --id ID --data-dir DIR --initial-cluster ID=PEER/CLIENT,... [options]');
    expect(lines.find((l) => l.startsWith('  --tick-ms <N> '))).toMatch(/\(default 50\) {2}\[QUORUMLOCK_TICK_MS\]$/);
    expect(lines.find((l) => l.startsWith('  --join '))).toMatch(/\(default false\) {2}\[QUORUMLOCK_JOIN\]$/);
    expect(lines.find((l) => l.startsWith('  --cert-file <VALUE> '))).toMatch(/\[QUORUMLOCK_CERT_FILE\]$/);
    expect(helpText()).toMatch(/^ {2}-V, --version .*\n {2}-h, --help .*\n$/m);
  });

  it('refuses unknown flags, missing values, positionals and --version among other flags, naming them', () => {
    expect(refusal([...base, '--bogus'])).toBe("unknown flag '--bogus'; see --help");
    expect(refusal([...base, '--tick-ms'])).toBe('--tick-ms needs a value; see --help');
    expect(refusal([...base, 'stray'])).toBe("unexpected argument 'stray': every setting is a flag; see --help");
    expect(refusal([...base, '--version'])).toBe('--version takes no other flags: run quorumlock-server --version');
  });

  it('takes --flag=value and a boolean flag', () => {
    const c = loadConfig(['--id=n2', '--data-dir=/tmp/y', '--join', '--initial-cluster', 'n1=127.0.0.1:7001/127.0.0.1:6001', '--tick-ms=20'], {});
    if (c === 'help') throw new Error('help');
    expect({ id: c.id, dataDir: c.dataDir, join: c.join, tickMs: c.tickMs }).toEqual({ id: 'n2', dataDir: '/tmp/y', join: true, tickMs: 20 });
  });
});
