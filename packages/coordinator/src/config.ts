import { parseArgs } from 'node:util';
import type { MemberAddresses } from './replica';

/** A bad flag or environment value; the message names the option and the value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface ServerConfig {
  readonly id: string;
  readonly dataDir: string;
  readonly clusterId: string;
  readonly listenClient: string;
  readonly listenPeer: string;
  readonly advertiseClient: string;
  readonly initialCluster: Readonly<Record<string, MemberAddresses>>;
  readonly join: boolean;
  readonly metricsListen: string;
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly maxClockSkewMs: number;
  readonly renewIntervalMs: number;
  readonly defaultTtlMs: number;
  readonly minTtlMs: number;
  readonly maxTtlMs: number;
  readonly snapshotEntries: number;
  readonly keepEntries: number;
  readonly maxInFlightPerStream: number;
  readonly logLevel: string;
}

type Kind = 'string' | 'int' | 'bool';
interface OptionSpec {
  readonly flag: string;
  readonly kind: Kind;
  readonly dflt?: string;
  readonly help: string;
}

/** Every option, its environment variable (QUORUMLOCK_ + upper snake case) and its help line. */
const OPTIONS: readonly OptionSpec[] = [
  { flag: 'id', kind: 'string', help: 'this node\'s id, unique in the cluster (required)' },
  { flag: 'data-dir', kind: 'string', help: 'directory of this node\'s LevelDB (required)' },
  { flag: 'cluster-id', kind: 'string', dflt: 'quorumlock', help: 'cluster id carried by every peer message; nodes of another cluster are refused' },
  { flag: 'listen-client', kind: 'string', dflt: '127.0.0.1:6001', help: 'host:port of the client gRPC server (LockService, AdminService, health, reflection)' },
  { flag: 'listen-peer', kind: 'string', dflt: '127.0.0.1:7001', help: 'host:port of the Raft peer transport' },
  { flag: 'advertise-client', kind: 'string', help: 'client address other nodes give in redirects (default: from --initial-cluster, else --listen-client)' },
  { flag: 'initial-cluster', kind: 'string', help: 'founding members: ID=PEER_HOST:PORT/CLIENT_HOST:PORT,...; with --join, the existing members (how to reach them)' },
  { flag: 'join', kind: 'bool', dflt: 'false', help: 'start empty and wait to be added with `lockctl members add`; --initial-cluster must then list the existing members' },
  { flag: 'metrics-listen', kind: 'string', dflt: '', help: 'host:port of the HTTP server for /metrics (Prometheus); empty: off' },
  { flag: 'tick-ms', kind: 'int', dflt: '50', help: 'Raft tick and heartbeat interval; the election timeout is election-ticks of these (randomized up to 2x)' },
  { flag: 'election-ticks', kind: 'int', dflt: '12', help: 'ticks without a leader before a follower campaigns (default: 600-1200 ms)' },
  { flag: 'max-clock-skew-ms', kind: 'int', help: 'added to every session deadline when a new leader\'s term starts; must be below the election timeout (default 500, or half the election timeout if less)' },
  { flag: 'renew-interval-ms', kind: 'int', dflt: '100', help: 'keepalives arriving within this interval are replicated as one renew entry' },
  { flag: 'default-ttl-ms', kind: 'int', dflt: '10000', help: 'session TTL when a client asks for 0' },
  { flag: 'min-ttl-ms', kind: 'int', dflt: '1000', help: 'smallest TTL a client may ask for' },
  { flag: 'max-ttl-ms', kind: 'int', dflt: '300000', help: 'largest TTL a client may ask for' },
  { flag: 'snapshot-entries', kind: 'int', dflt: '10000', help: 'take a snapshot after this many applied entries' },
  { flag: 'keep-entries', kind: 'int', dflt: '1000', help: 'entries kept below a snapshot for slow followers' },
  { flag: 'max-in-flight', kind: 'int', dflt: '1000', help: 'requests of one session awaiting replication at once' },
  { flag: 'log-level', kind: 'string', dflt: 'info', help: 'pino level: trace, debug, info, warn, error, fatal, silent' },
];

export function envName(flag: string): string {
  return `QUORUMLOCK_${flag.toUpperCase().replace(/-/g, '_')}`;
}

export function helpText(): string {
  const lines = [
    'usage: quorumlock-server --id ID --data-dir DIR --initial-cluster ID=PEER/CLIENT,... [options]',
    '',
    'Every option can also be set by its environment variable; a flag wins over the variable.',
    '',
  ];
  for (const o of OPTIONS) {
    const arg = o.kind === 'bool' ? '' : o.kind === 'int' ? ' N' : ' VALUE';
    const d = o.dflt !== undefined && o.dflt !== '' ? ` (default ${o.dflt})` : '';
    lines.push(`  --${o.flag}${arg}`.padEnd(30) + `${o.help}${d}  [${envName(o.flag)}]`);
  }
  lines.push('  -h, --help'.padEnd(30) + 'print this help');
  lines.push('  -V, --version'.padEnd(30) + 'print the version');
  return `${lines.join('\n')}\n`;
}

const HOST_PORT = /^[^\s:/]+:\d{1,5}$/;

function hostPort(name: string, v: string): string {
  if (!HOST_PORT.test(v)) throw new ConfigError(`--${name} '${v}' is not host:port`);
  const port = Number(v.slice(v.lastIndexOf(':') + 1));
  if (port > 65535) throw new ConfigError(`--${name} '${v}' has port ${port} beyond 65535`);
  return v;
}

export function parseInitialCluster(v: string): Record<string, MemberAddresses> {
  const out: Record<string, MemberAddresses> = {};
  for (const part of v.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const m = /^([^=]+)=([^/]+)\/(.+)$/.exec(part);
    if (m === null || m[1] === undefined || m[2] === undefined || m[3] === undefined) {
      throw new ConfigError(`--initial-cluster entry '${part}' is not ID=PEER_HOST:PORT/CLIENT_HOST:PORT`);
    }
    if (out[m[1]] !== undefined) throw new ConfigError(`--initial-cluster names '${m[1]}' twice`);
    out[m[1]] = { peer: hostPort('initial-cluster', m[2]), client: hostPort('initial-cluster', m[3]) };
  }
  return out;
}

/** Parse flags, then environment, then defaults; validate everything, naming any bad value. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ServerConfig | 'help' {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const o of OPTIONS) options[o.flag] = { type: o.kind === 'bool' ? 'boolean' : 'string' };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new ConfigError(`${e instanceof Error ? e.message : String(e)}; see --help`);
  }
  if (values['help'] === true) return 'help';
  const raw = (flag: string): string | undefined => {
    const v = values[flag];
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (v !== undefined) return v;
    const e = env[envName(flag)];
    if (e !== undefined) return e;
    return OPTIONS.find((o) => o.flag === flag)?.dflt;
  };
  const str = (flag: string): string => raw(flag) ?? '';
  const int = (flag: string, min: number, max: number): number => {
    const v = str(flag);
    const n = Number(v);
    if (v.trim() === '' || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new ConfigError(`--${flag} '${v}' must be an integer in [${min}, ${max}]`);
    }
    return n;
  };
  const bool = (flag: string): boolean => {
    const v = str(flag).toLowerCase();
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0' || v === '') return false;
    throw new ConfigError(`--${flag} '${v}' must be true or false`);
  };

  const id = str('id');
  if (id === '') throw new ConfigError(`--id is required (or ${envName('id')})`);
  const dataDir = str('data-dir');
  if (dataDir === '') throw new ConfigError(`--data-dir is required (or ${envName('data-dir')})`);
  const join = bool('join');
  const initialCluster = parseInitialCluster(str('initial-cluster'));
  if (!join && initialCluster[id] === undefined) {
    throw new ConfigError(`--initial-cluster '${str('initial-cluster')}' must name this node '${id}' (or start with --join)`);
  }
  const listenClient = hostPort('listen-client', str('listen-client'));
  const listenPeer = hostPort('listen-peer', str('listen-peer'));
  const advertise = str('advertise-client');
  const metricsListen = str('metrics-listen');
  if (metricsListen !== '') hostPort('metrics-listen', metricsListen);
  const tickMs = int('tick-ms', 1, 10_000);
  const electionTicks = int('election-ticks', 2, 1000);
  const electionMs = tickMs * electionTicks;
  const maxClockSkewMs = raw('max-clock-skew-ms') === undefined ? Math.min(500, Math.floor(electionMs / 2)) : int('max-clock-skew-ms', 0, 60_000);
  if (maxClockSkewMs >= tickMs * electionTicks) {
    throw new ConfigError(`--max-clock-skew-ms ${maxClockSkewMs} must be below the election timeout (${tickMs * electionTicks} ms = tick-ms x election-ticks)`);
  }
  const minTtlMs = int('min-ttl-ms', 1, 86_400_000);
  const maxTtlMs = int('max-ttl-ms', minTtlMs, 86_400_000);
  const defaultTtlMs = int('default-ttl-ms', minTtlMs, maxTtlMs);
  const level = str('log-level');
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(level)) {
    throw new ConfigError(`--log-level '${level}' is not one of trace, debug, info, warn, error, fatal, silent`);
  }
  return {
    id,
    dataDir,
    clusterId: str('cluster-id') || 'quorumlock',
    listenClient,
    listenPeer,
    advertiseClient: advertise !== '' ? hostPort('advertise-client', advertise) : initialCluster[id]?.client ?? listenClient,
    initialCluster,
    join,
    metricsListen,
    tickMs,
    electionTicks,
    maxClockSkewMs,
    renewIntervalMs: int('renew-interval-ms', 1, 10_000),
    defaultTtlMs,
    minTtlMs,
    maxTtlMs,
    snapshotEntries: int('snapshot-entries', 10, 100_000_000),
    keepEntries: int('keep-entries', 0, 100_000_000),
    maxInFlightPerStream: int('max-in-flight', 1, 100_000),
    logLevel: level,
  };
}
