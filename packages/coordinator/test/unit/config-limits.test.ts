import { ConfigError, loadConfig, type ServerConfig } from '../../src/config';
import { DEFAULT_LIMITS } from '../../src/state/limits';

const base = ['--id', 'n1', '--data-dir', '/tmp/x', '--initial-cluster', 'n1=127.0.0.1:7001/127.0.0.1:6001'];
const load = (args: string[] = [], env: NodeJS.ProcessEnv = {}): ServerConfig => {
  const c = loadConfig([...base, ...args], env);
  if (c === 'help') throw new Error('help');
  return c;
};

describe('resource limit flags', () => {
  test('defaults match the machine defaults and the README', () => {
    const c = load();
    expect(c.limits).toEqual({
      maxSessions: DEFAULT_LIMITS.maxSessions,
      maxHoldsPerSession: DEFAULT_LIMITS.maxHoldsPerSession,
      maxResources: DEFAULT_LIMITS.maxResources,
      maxTotalValueBytes: DEFAULT_LIMITS.maxTotalValueBytes,
    });
    expect(c.snapshotBytes).toBe(64 * 1024 * 1024);
    expect(c.maxStreamsPerConnection).toBe(10_000);
  });

  test('each flag and its QUORUMLOCK_* variable set it; a flag wins over the variable', () => {
    const c = load(
      ['--max-sessions', '7', '--max-holds-per-session', '3', '--max-resources', '9', '--quota-value-bytes', '1000', '--snapshot-bytes', '4096'],
      { QUORUMLOCK_MAX_SESSIONS: '99', QUORUMLOCK_MAX_STREAMS_PER_CONNECTION: '12' },
    );
    expect(c.limits).toEqual({ maxSessions: 7, maxHoldsPerSession: 3, maxResources: 9, maxTotalValueBytes: 1000 });
    expect(c.snapshotBytes).toBe(4096);
    expect(c.maxStreamsPerConnection).toBe(12);
  });

  test('a bad value is refused naming the flag and the value', () => {
    expect(() => load(['--max-sessions', '0'])).toThrow(ConfigError);
    expect(() => load(['--max-sessions', '0'])).toThrow("--max-sessions '0' must be an integer");
    expect(() => load([], { QUORUMLOCK_QUOTA_VALUE_BYTES: 'lots' })).toThrow("--quota-value-bytes 'lots'");
  });
});
