import { DiscoveryError, membersFromOrdinals, type OrdinalDiscovery } from './discovery';
import type { MemberAddresses } from './replica';
import { DEFAULT_LIMITS } from './state/limits';
import { recoveryFlags, type RecoveryFlags } from './recovery-flags';
import { parseTlsConfig, TLS_OPTIONS, TlsConfigError, type TlsConfig } from './server/tls-config';
import { ConfigError, envName, flagsHelp, parseFlags, type FlagSpec } from './server-flags';

export { ConfigError, envName };

export interface ServerConfig extends RecoveryFlags {
  readonly id: string;
  readonly dataDir: string;
  readonly clusterId: string;
  readonly listenClient: string;
  readonly listenPeer: string;
  readonly advertiseClient: string;
  readonly initialCluster: Readonly<Record<string, MemberAddresses>>;
  readonly join: boolean;
  /** This node's peer address as the leader reaches it ('' if unknown: a manual --join). */
  readonly advertisePeer: string;
  /** With --discovery-domain: the node adds itself and the leader removes dead members (discovery.ts). */
  readonly discovery?: OrdinalDiscovery;
  /** With --discovery-domain: silence after which the leader removes a member past the founders; 0: never. */
  readonly deadMemberTimeoutMs: number;
  readonly metricsListen: string;
  readonly readyMaxApplyLag: number;
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
  readonly consistencyCheckMs: number;
  readonly maxPendingOpens: number;
  readonly maxLoopLagMs: number;
  readonly openRetryAfterMs: number;
  readonly logLevel: string;
  /** Take a snapshot once this many bytes of log entries were applied since the last one. */
  readonly snapshotBytes: number;
  /** HTTP/2 streams (calls) one client connection may have open at once. */
  readonly maxStreamsPerConnection: number;
  /** Authorization policy file ('' : authorization off); reloaded on change. */
  readonly authPolicyFile: string;
  /** Bearer token file ('' : none); reloaded on change. */
  readonly authTokenFile: string;
  /** TLS on the client and peer ports (server/tls-config.ts); null sides are plaintext. */
  readonly tls: TlsConfig;
  /** Replicated limits: every node of a cluster must be started with the same values. */
  readonly limits: {
    readonly maxSessions: number;
    readonly maxHoldsPerSession: number;
    readonly maxResources: number;
    readonly maxTotalValueBytes: number;
  };
}

/**
 * Every option, one entry each: its flag, kind, default and help line. Its environment variable
 * is QUORUMLOCK_ + the flag in upper snake case; commander parses the flags (server-flags.ts),
 * loadConfig below reads and validates each value.
 */
const OPTIONS: readonly FlagSpec[] = [
  { flag: 'id', kind: 'string', help: 'this node\'s id, unique in the cluster (required)' },
  { flag: 'data-dir', kind: 'string', help: 'directory of this node\'s LevelDB (required)' },
  { flag: 'cluster-id', kind: 'string', dflt: 'quorumlock', help: 'cluster id carried by every peer message; nodes of another cluster are refused' },
  { flag: 'listen-client', kind: 'string', dflt: '127.0.0.1:6001', help: 'host:port of the client gRPC server (LockService, AdminService, health, reflection)' },
  { flag: 'listen-peer', kind: 'string', dflt: '127.0.0.1:7001', help: 'host:port of the Raft peer transport' },
  { flag: 'advertise-client', kind: 'string', help: 'client address other nodes give in redirects (default: from --initial-cluster, else --listen-client)' },
  { flag: 'initial-cluster', kind: 'string', help: 'founding members: ID=PEER_HOST:PORT/CLIENT_HOST:PORT,...; with --join, the existing members (how to reach them)' },
  { flag: 'discovery-domain', kind: 'string', help: 'StatefulSet discovery instead of --initial-cluster: --id is <set>-<ordinal> and member <set>-<i> is reached at <set>-<i>.DOMAIN (the headless Service) on this node\'s peer and client ports' },
  { flag: 'bootstrap-expect', kind: 'int', help: 'with --discovery-domain: ordinals 0..N-1 found the cluster; a higher ordinal starts with --join and waits for `lockctl members add`' },
  { flag: 'dead-member-timeout-ms', kind: 'int', help: 'with --discovery-domain: the leader removes a member at or past --bootstrap-expect that it has not heard from for this long (how a scale-down leaves the configuration); 0: never (default 60000)' },
  { flag: 'join', kind: 'bool', dflt: 'false', help: 'start empty and wait to be added with `lockctl members add`; --initial-cluster must then list the existing members' },
  { flag: 'metrics-listen', kind: 'string', dflt: '', help: 'host:port of the HTTP server for /metrics (Prometheus), /livez and /readyz; empty: off' },
  { flag: 'ready-max-apply-lag', kind: 'int', dflt: '1000', help: '/readyz answers 503 while more committed entries than this are not applied yet' },
  { flag: 'tick-ms', kind: 'int', dflt: '50', help: 'Raft tick and heartbeat interval; the election timeout is election-ticks of these (randomized up to 2x)' },
  { flag: 'election-ticks', kind: 'int', dflt: '12', help: 'ticks without a leader before a follower campaigns (default: 600-1200 ms)' },
  { flag: 'max-clock-skew-ms', kind: 'int', help: 'added to every session deadline when a new leader\'s term starts; must be below the election timeout (default 500, or half the election timeout if less)' },
  { flag: 'renew-interval-ms', kind: 'int', dflt: '100', help: 'keepalives arriving within this interval are replicated as one renew entry' },
  { flag: 'default-ttl-ms', kind: 'int', dflt: '10000', help: 'session TTL when a client asks for 0' },
  { flag: 'min-ttl-ms', kind: 'int', dflt: '1000', help: 'smallest TTL a client may ask for' },
  { flag: 'max-ttl-ms', kind: 'int', dflt: '300000', help: 'largest TTL a client may ask for' },
  { flag: 'snapshot-entries', kind: 'int', dflt: '10000', help: 'take a snapshot after this many applied entries' },
  { flag: 'keep-entries', kind: 'int', dflt: '1000', help: 'entries kept below a snapshot for slow followers' },
  { flag: 'max-in-flight', kind: 'int', dflt: '1000', help: `requests of one stream awaiting replication at once; beyond, the stream is not read until one is decided (at most ${DEFAULT_LIMITS.dedupeWindow}, the answers each session remembers for resends)` },
  { flag: 'snapshot-bytes', kind: 'int', dflt: String(64 * 1024 * 1024), help: 'also take a snapshot after this many bytes of log entries were applied since the last one (bounds the log kept in memory and on disk)' },
  { flag: 'max-streams-per-connection', kind: 'int', dflt: '10000', help: 'calls (Acquire sessions) one client connection may have open at once (grpc.max_concurrent_streams); more wait for one to end' },
  { flag: 'max-sessions', kind: 'int', dflt: '50000', help: 'sessions open at once, cluster-wide (RESOURCE_EXHAUSTED beyond); same value on every node' },
  { flag: 'max-holds-per-session', kind: 'int', dflt: '1000', help: 'holds plus queued requests of one session (RESOURCE_EXHAUSTED beyond); same value on every node' },
  { flag: 'max-resources', kind: 'int', dflt: '100000', help: 'locks that exist at once, cluster-wide (RESOURCE_EXHAUSTED for one more); same value on every node' },
  { flag: 'quota-value-bytes', kind: 'int', dflt: String(64 * 1024 * 1024), help: 'total bytes of every lock\'s fenced value; at the quota new values are refused (RESOURCE_EXHAUSTED) until `lockctl delete-value` frees space; same value on every node' },
  { flag: 'consistency-check-ms', kind: 'int', dflt: '2000', help: 'how often the leader compares every member\'s lock-state hash at one applied index; a divergent member stops serving clients (0: off)' },
  { flag: 'max-pending-opens', kind: 'int', dflt: '1024', help: 'session opens and resumes awaiting replication on this node at once; beyond, RESOURCE_EXHAUSTED with a retry hint' },
  { flag: 'max-loop-lag-ms', kind: 'int', help: 'refuse opens and resumes (RESOURCE_EXHAUSTED with a retry hint) while this node\'s event loop lagged more than this within the last second and 16 or more are pending; must be below the election timeout (default: half of it)' },
  { flag: 'open-retry-after-ms', kind: 'int', dflt: '100', help: 'base retry hint of a refused open (trailer quorumlock-retry-after-ms); it grows with the refusals of the last second, plus up to as much again of jitter' },
  { flag: 'auth-policy-file', kind: 'string', dflt: '', help: 'turns authorization on: a YAML or JSON file binding identities to the roles admin, reader and client (client optionally limited to lock-name prefixes); reloaded when it changes' },
  { flag: 'auth-token-file', kind: 'string', dflt: '', help: 'bearer tokens, one `token,identity` a line (like Kubernetes\' static token file); needs --auth-policy-file; reloaded when it changes' },
  { flag: 'restore', kind: 'string', dflt: '', help: 'seed this member of a NEW cluster from a backup FILE (`lockctl snapshot save`), then start: every member of --initial-cluster restores the same file; refused unless the data dir is empty (see docs/operations.md)' },
  { flag: 'force-new-cluster', kind: 'bool', dflt: 'false', help: 'disaster recovery after a majority of members is lost for good: make this node the only member, keeping its data (logged at error level); remove the flag once it runs, then add members back (see docs/operations.md)' },
  { flag: 'log-level', kind: 'string', dflt: 'info', help: 'pino level: trace, debug, info, warn, error, fatal, silent' },
  ...TLS_OPTIONS,
];

/**
 * Every request a stream has awaiting replication may be decided after the stream broke, and
 * then be resent: its answer must still be remembered (the dedupe window), or the resend would
 * run the request again (a timed-out or released lock granted anew).
 */
/**
 * The answers a broken stream can lose are its requests in flight plus its queued requests that
 * finish meanwhile; the resends must find all of them in the dedupe window, or they run again.
 */
function maxInFlight(n: number, holdsPerSession: number): number {
  const window = DEFAULT_LIMITS.dedupeWindow;
  if (n > window) {
    throw new ConfigError(`--max-in-flight ${n} is above the dedupe window of ${window} answers each session remembers; a resend beyond it would run its request again`);
  }
  if (n + holdsPerSession > window) {
    throw new ConfigError(
      `--max-in-flight ${n} plus --max-holds-per-session ${holdsPerSession} is above the dedupe window of ${window} answers each session remembers; a resend beyond it would run its request again`,
    );
  }
  return n;
}

/** The --help text, made by commander from OPTIONS. */
export function helpText(): string {
  return flagsHelp(OPTIONS);
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
  const values = parseFlags(OPTIONS, argv);
  if (values === 'help') return 'help';
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

  const portOf = (address: string): number => Number(address.slice(address.lastIndexOf(':') + 1));
  /** --discovery-domain: the members from the StatefulSet's ordinals (discovery.ts). */
  const discovery = (id: string, listenPeer: string, listenClient: string): OrdinalDiscovery | undefined => {
    const domain = str('discovery-domain');
    if (domain === '') {
      if (str('bootstrap-expect') !== '') throw new ConfigError('--bootstrap-expect needs --discovery-domain');
      return undefined;
    }
    if (str('initial-cluster') !== '') throw new ConfigError('--discovery-domain and --initial-cluster exclude each other: give one');
    try {
      return membersFromOrdinals(id, domain, int('bootstrap-expect', 1, 1000), portOf(listenPeer), portOf(listenClient));
    } catch (e) {
      if (e instanceof DiscoveryError) throw new ConfigError(e.message);
      throw e;
    }
  };

  const id = str('id');
  if (id === '') throw new ConfigError(`--id is required (or ${envName('id')})`);
  const dataDir = str('data-dir');
  if (dataDir === '') throw new ConfigError(`--data-dir is required (or ${envName('data-dir')})`);
  const listenClient = hostPort('listen-client', str('listen-client'));
  const listenPeer = hostPort('listen-peer', str('listen-peer'));
  const discovered = discovery(id, listenPeer, listenClient);
  // --join also holds with discovery: a founder whose volume was lost is restarted with it.
  const join = (discovered?.join ?? false) || bool('join');
  const initialCluster = discovered?.initialCluster ?? parseInitialCluster(str('initial-cluster'));
  if (!join && initialCluster[id] === undefined) {
    throw new ConfigError(`--initial-cluster '${str('initial-cluster')}' must name this node '${id}' (or start with --join)`);
  }
  const advertise = str('advertise-client') || (discovered?.advertiseClient ?? '');
  if (discovered === undefined && str('dead-member-timeout-ms') !== '') throw new ConfigError('--dead-member-timeout-ms needs --discovery-domain');
  const deadMemberTimeoutMs = str('dead-member-timeout-ms') === '' ? 60_000 : int('dead-member-timeout-ms', 0, 86_400_000);
  const metricsListen = str('metrics-listen');
  if (metricsListen !== '') hostPort('metrics-listen', metricsListen);
  const tickMs = int('tick-ms', 1, 10_000);
  const electionTicks = int('election-ticks', 2, 1000);
  const electionMs = tickMs * electionTicks;
  const maxClockSkewMs = raw('max-clock-skew-ms') === undefined ? Math.min(500, Math.floor(electionMs / 2)) : int('max-clock-skew-ms', 0, 60_000);
  if (maxClockSkewMs >= tickMs * electionTicks) {
    throw new ConfigError(`--max-clock-skew-ms ${maxClockSkewMs} must be below the election timeout (${tickMs * electionTicks} ms = tick-ms x election-ticks)`);
  }
  const maxLoopLagMs = raw('max-loop-lag-ms') === undefined ? Math.max(1, Math.floor(electionMs / 2)) : int('max-loop-lag-ms', 1, 60_000);
  if (maxLoopLagMs >= electionMs) {
    throw new ConfigError(`--max-loop-lag-ms ${maxLoopLagMs} must be below the election timeout (${electionMs} ms = tick-ms x election-ticks): a loop that lags that long has already lost its leadership`);
  }
  const minTtlMs = int('min-ttl-ms', 1, 86_400_000);
  const maxTtlMs = int('max-ttl-ms', minTtlMs, 86_400_000);
  const defaultTtlMs = int('default-ttl-ms', minTtlMs, maxTtlMs);
  const level = str('log-level');
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(level)) {
    throw new ConfigError(`--log-level '${level}' is not one of trace, debug, info, warn, error, fatal, silent`);
  }
  const maxHoldsPerSession = int('max-holds-per-session', 1, 100_000_000);
  const authPolicyFile = str('auth-policy-file');
  const authTokenFile = str('auth-token-file');
  if (authTokenFile !== '' && authPolicyFile === '') {
    throw new ConfigError(`--auth-token-file '${authTokenFile}' needs --auth-policy-file: without a policy, authorization is off and tokens would not be checked`);
  }
  const recovery = recoveryFlags(str('restore'), bool('force-new-cluster'), join);
  if (typeof recovery === 'string') throw new ConfigError(recovery);
  let tls: TlsConfig;
  try {
    tls = parseTlsConfig(str, bool, int('tls-reload-ms', 10, 3_600_000));
  } catch (e) {
    if (e instanceof TlsConfigError) throw new ConfigError(e.message);
    throw e;
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
    advertisePeer: discovered?.advertisePeer ?? initialCluster[id]?.peer ?? '',
    ...(discovered === undefined ? {} : { discovery: discovered }),
    deadMemberTimeoutMs,
    metricsListen,
    readyMaxApplyLag: int('ready-max-apply-lag', 0, 100_000_000),
    tickMs,
    electionTicks,
    maxClockSkewMs,
    renewIntervalMs: int('renew-interval-ms', 1, 10_000),
    defaultTtlMs,
    minTtlMs,
    maxTtlMs,
    snapshotEntries: int('snapshot-entries', 10, 100_000_000),
    keepEntries: int('keep-entries', 0, 100_000_000),
    maxInFlightPerStream: maxInFlight(int('max-in-flight', 1, 100_000), maxHoldsPerSession),
    consistencyCheckMs: int('consistency-check-ms', 0, 3_600_000),
    maxPendingOpens: int('max-pending-opens', 1, 1_000_000),
    maxLoopLagMs,
    openRetryAfterMs: int('open-retry-after-ms', 1, 60_000),
    logLevel: level,
    snapshotBytes: int('snapshot-bytes', 1024, Number.MAX_SAFE_INTEGER),
    maxStreamsPerConnection: int('max-streams-per-connection', 1, 1_000_000),
    authPolicyFile,
    authTokenFile,
    tls,
    ...recovery,
    limits: {
      maxSessions: int('max-sessions', 1, 100_000_000),
      maxHoldsPerSession,
      maxResources: int('max-resources', 1, 100_000_000),
      maxTotalValueBytes: int('quota-value-bytes', 1, Number.MAX_SAFE_INTEGER),
    },
  };
}
