/**
 * lockctl's commands and flags, one table entry each. The parser (program.ts, commander), the
 * help, the usage errors and the shell completion (completion.ts) are all made from this table,
 * so a command or flag added here is parsed, documented and completed at once. The command's
 * behaviour goes in lockctl.ts (or commands.ts for the admin calls).
 */
import { TLS_FLAG_ENV } from './tls-flags';

export const DEFAULT_ENDPOINTS = '127.0.0.1:6001,127.0.0.1:6002,127.0.0.1:6003';
export const ENDPOINTS_ENV = 'QUORUMLOCK_ENDPOINTS';
/**
 * The bearer token for clusters with authorization on. Not QUORUMLOCK_TOKEN, nor `--token`:
 * those are the fencing token (`lockctl run` gives QUORUMLOCK_TOKEN to its COMMAND; `revoke --token T`).
 */
export const AUTH_TOKEN_ENV = 'QUORUMLOCK_AUTH_TOKEN';
export const DEFAULT_RETRY_FOR_MS = 3000;

/**
 * How a flag's value is read: `string` as given, `boolean` takes none, `duration` (1500, 2s,
 * 1m30s) to ms, `int` a non-negative integer, `endpoint` host:port, `file` a path (read by the
 * command; completed as a file name).
 */
export type Kind = 'string' | 'boolean' | 'duration' | 'int' | 'endpoint' | 'file';

export interface OptionSpec {
  readonly kind: Kind;
  /** The value's placeholder in help (`N`, `HOST:PORT`); none for booleans. */
  readonly value?: string;
  readonly description: string;
  readonly short?: string;
  /** Must be given (the command refuses to run without it). */
  readonly required?: boolean;
}

export interface CommandSpec {
  /** One word, or two for a subcommand of a group (`members add`). */
  readonly name: string;
  readonly args: readonly string[];
  /** Positionals that may be left out (at the end of `args`). */
  readonly optionalArgs?: number;
  /** The last positional takes any number of words (`help [COMMAND...]`). */
  readonly variadic?: boolean;
  /** Values a positional must be one of (completed too), by positional name. */
  readonly choices?: Readonly<Record<string, readonly string[]>>;
  readonly summary: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** `run`: takes `-- COMMAND ...`. */
  readonly trailing?: boolean;
  readonly details?: string;
}

export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  endpoints: {
    kind: 'string',
    value: 'HOST:PORT,...',
    description: `coordinator client addresses (default $${ENDPOINTS_ENV}, else ${DEFAULT_ENDPOINTS})`,
  },
  'auth-token': {
    kind: 'string',
    value: 'TOKEN',
    description: `bearer token for a cluster with authorization on (default $${AUTH_TOKEN_ENV}; prefer the variable: flags show in ps)`,
  },
  cacert: { kind: 'file', value: 'FILE', description: `verify the servers' certificates with this PEM CA bundle; turns TLS on (default $${TLS_FLAG_ENV.cacert})` },
  cert: { kind: 'file', value: 'FILE', description: `PEM client certificate, for servers started with --client-cert-auth (default $${TLS_FLAG_ENV.cert})` },
  key: { kind: 'file', value: 'FILE', description: `PEM private key of --cert (default $${TLS_FLAG_ENV.key})` },
  json: { kind: 'boolean', description: 'print JSON instead of a table' },
  'retry-for': {
    kind: 'duration',
    value: 'D',
    description: `how long to retry an unreachable cluster before failing (default ${DEFAULT_RETRY_FOR_MS / 1000}s)`,
  },
  help: { kind: 'boolean', short: 'h', description: 'show help' },
};

export const COMMANDS: readonly CommandSpec[] = [
  { name: 'status', args: [], summary: 'members, roles, term, commit/applied index, lag and the leader', options: {} },
  {
    name: 'locks',
    args: [],
    summary: 'list locks: capacity, holders, waiters, latest token, value size',
    options: {
      prefix: { kind: 'string', value: 'P', description: 'only names starting with P' },
      limit: { kind: 'int', value: 'N', description: 'at most N locks (default: all)' },
    },
  },
  { name: 'lock', args: ['NAME'], summary: 'one lock: holders (session, token, mode, age), the queue in order, the value size', options: {} },
  { name: 'sessions', args: [], summary: 'list sessions: client, TTL, time left, holds, waits', options: {} },
  {
    name: 'revoke',
    args: ['NAME'],
    summary: 'take holds of NAME away (holders are told their lease is lost)',
    options: {
      token: { kind: 'int', value: 'T', description: 'only the hold with fencing token T (default: every hold)' },
      reason: { kind: 'string', value: 'R', description: 'reason told to the holders (default: revoked by an administrator)' },
    },
  },
  { name: 'delete-value', args: ['NAME'], summary: 'drop the fenced value of NAME to free value quota (the lock goes too if idle)', options: {} },
  { name: 'expire-session', args: ['ID'], summary: 'expire session ID now (its holds end as by expiry)', options: {} },
  { name: 'members', args: [], summary: 'list members (same as `members list`); `members add` and `members remove` change them', options: {} },
  { name: 'members list', args: [], summary: 'list members', options: {} },
  {
    name: 'members add',
    args: ['ID'],
    summary: 'add node ID (joins as a learner, promoted once caught up)',
    options: {
      peer: { kind: 'endpoint', value: 'HOST:PORT', description: 'its peer (Raft) address (required)', required: true },
      client: { kind: 'endpoint', value: 'HOST:PORT', description: 'its client address (required)', required: true },
    },
  },
  { name: 'members remove', args: ['ID'], summary: 'remove node ID from the cluster', options: {} },
  {
    name: 'transfer-leader',
    args: [],
    summary: 'move leadership to another voter',
    options: { to: { kind: 'string', value: 'ID', description: 'the new leader (default: the most caught-up voter)' } },
  },
  { name: 'snapshot', args: [], summary: 'make the leader take a snapshot and compact its log', options: {} },
  {
    name: 'snapshot save',
    args: ['FILE'],
    summary: 'download a consistent snapshot from the leader into FILE (a backup; restore with quorumlock-server --restore FILE)',
    options: {},
  },
  {
    name: 'top',
    args: [],
    summary: 'live view of the most contended locks (queue depth, longest wait, holders)',
    options: {
      'interval-ms': { kind: 'duration', value: 'D', description: 'refresh period (default 1000; e.g. 500, 2s)' },
      iterations: { kind: 'int', value: 'N', description: 'stop after N refreshes (default: until Ctrl-C)' },
      prefix: { kind: 'string', value: 'P', description: 'only names starting with P' },
      rows: { kind: 'int', value: 'N', description: 'show the top N locks (default 20)' },
    },
  },
  {
    name: 'run',
    args: ['NAME'],
    trailing: true,
    summary: 'hold NAME while COMMAND runs; stop COMMAND if the lease is lost',
    details:
      'COMMAND gets QUORUMLOCK_TOKEN (the fencing token) and QUORUMLOCK_LOCK (the name) in its environment.\n' +
      'If the lease is lost, COMMAND gets SIGTERM, then SIGKILL after the grace period. SIGINT and SIGTERM\n' +
      "sent to lockctl are passed on to COMMAND. lockctl exits with COMMAND's status (128+N if killed by\n" +
      'signal N), 3 if --try found the lock held, 126/127 if COMMAND cannot be run.',
    options: {
      'wait-timeout': { kind: 'duration', value: 'D', description: 'give up waiting for the lock after D (default: wait)' },
      ttl: { kind: 'duration', value: 'D', description: 'session TTL (default 10s)' },
      grace: { kind: 'duration', value: 'D', description: 'time between SIGTERM and SIGKILL on lease loss (default 5s)' },
      try: { kind: 'boolean', description: 'do not wait: exit 3 if the lock is held' },
      capacity: { kind: 'int', value: 'N', description: 'the lock is a semaphore of N permits (default 1)' },
      shared: { kind: 'boolean', description: 'take a shared hold instead of an exclusive one' },
    },
  },
  {
    name: 'completion',
    args: ['SHELL'],
    choices: { SHELL: ['bash', 'zsh'] },
    summary: 'print a completion script for bash or zsh (`source <(lockctl completion bash)`)',
    details:
      'bash: add `source <(lockctl completion bash)` to ~/.bashrc.\n' +
      'zsh: add `source <(lockctl completion zsh)` to ~/.zshrc (after compinit), or save the output as _lockctl\n' +
      'in a directory of $fpath.',
    options: {},
  },
  { name: 'help', args: ['COMMAND'], optionalArgs: 1, variadic: true, summary: 'show the help of lockctl or of COMMAND', options: {} },
];

/** Commands that never talk to the cluster (no endpoints or TLS files are resolved for them). */
export const LOCAL_COMMANDS: ReadonlySet<string> = new Set(['completion', 'help']);

/** The first word of every two-word command (`members`). */
export const GROUPS: ReadonlySet<string> = new Set(COMMANDS.filter((c) => c.name.includes(' ')).map((c) => c.name.split(' ')[0] ?? ''));
