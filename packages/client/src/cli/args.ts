/**
 * lockctl's command line: the command table (which also generates `--help`), and parsing with
 * `node:util` `parseArgs` into a typed, validated command. Every problem is a UsageError naming
 * the offending flag and value (exit code 2).
 */
import { parseArgs } from 'node:util';
import { parseEndpoints, type TlsOptions } from '../channels';
import { TLS_FLAG_ENV, tlsFromFlags } from './tls-flags';
import { parseDuration } from '../duration';

export const DEFAULT_ENDPOINTS = '127.0.0.1:6001,127.0.0.1:6002,127.0.0.1:6003';
export const ENDPOINTS_ENV = 'QUORUMLOCK_ENDPOINTS';
/**
 * The bearer token for clusters with authorization on. Not QUORUMLOCK_TOKEN, nor `--token`:
 * those are the fencing token (`lockctl run` gives QUORUMLOCK_TOKEN to its COMMAND; `revoke --token T`).
 */
export const AUTH_TOKEN_ENV = 'QUORUMLOCK_AUTH_TOKEN';
export const DEFAULT_RETRY_FOR_MS = 3000;

/** A command line that cannot be run as written. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose usage to print (undefined: the overall usage). */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

type Kind = 'string' | 'boolean' | 'duration' | 'int' | 'endpoint';

interface OptionSpec {
  readonly kind: Kind;
  readonly value?: string;
  readonly description: string;
  readonly short?: string;
  /** Shown without brackets in the usage line (checked by the command). */
  readonly required?: boolean;
}

interface CommandSpec {
  readonly name: string;
  readonly args: readonly string[];
  /** Positionals that may be left out (at the end of `args`). */
  readonly optionalArgs?: number;
  readonly summary: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** `run`: takes `-- COMMAND ...`. */
  readonly trailing?: boolean;
  readonly details?: string;
}

const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
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
  cacert: { kind: 'string', value: 'FILE', description: `verify the servers' certificates with this PEM CA bundle; turns TLS on (default $${TLS_FLAG_ENV.cacert})` },
  cert: { kind: 'string', value: 'FILE', description: `PEM client certificate, for servers started with --client-cert-auth (default $${TLS_FLAG_ENV.cert})` },
  key: { kind: 'string', value: 'FILE', description: `PEM private key of --cert (default $${TLS_FLAG_ENV.key})` },
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
  { name: 'members', args: [], summary: 'list members (same as `members list`)', options: {} },
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
      'sent to lockctl are passed on to COMMAND. lockctl exits with COMMAND\'s status (128+N if killed by\n' +
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
];

const SUBCOMMAND_GROUPS = new Set(['members', 'snapshot']);

export interface GlobalOptions {
  readonly endpoints: readonly string[];
  /** Bearer token (--auth-token, else QUORUMLOCK_AUTH_TOKEN); undefined: none sent. */
  readonly authToken: string | undefined;
  readonly json: boolean;
  readonly retryForMs: number;
  /** From --cacert/--cert/--key; undefined: plaintext. */
  readonly tls: TlsOptions | undefined;
}

export type ParsedCli =
  | { readonly kind: 'help'; readonly text: string }
  | {
      readonly kind: 'command';
      readonly command: string;
      readonly args: Readonly<Record<string, string>>;
      readonly options: Readonly<Record<string, string | number | boolean | undefined>>;
      readonly global: GlobalOptions;
      /** `run`: the command after `--`. */
      readonly trailing: readonly string[];
    };

function optionLine(name: string, o: OptionSpec): [string, string] {
  const flag = `${o.short === undefined ? '' : `-${o.short}, `}--${name}${o.value === undefined ? '' : ` ${o.value}`}`;
  return [flag, o.description];
}

function formatOptions(options: Readonly<Record<string, OptionSpec>>): string {
  const lines = Object.entries(options).map(([n, o]) => optionLine(n, o));
  const width = Math.max(0, ...lines.map(([f]) => f.length));
  return lines.map(([f, d]) => `  ${f.padEnd(width)}  ${d}\n`).join('');
}

function usageLine(c: CommandSpec): string {
  const args = c.args.map((a, i) => (i >= c.args.length - (c.optionalArgs ?? 0) ? `[${a}]` : a));
  const flags = Object.entries(c.options).map(([n, o]) => {
    const f = `--${n}${o.value === undefined ? '' : ` ${o.value}`}`;
    return o.required === true ? f : `[${f}]`;
  });
  return ['lockctl', c.name, ...args, ...flags, ...(c.trailing === true ? ['--', 'COMMAND', '[ARG...]'] : [])].join(' ');
}

/** The overall help. */
export function overallHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return (
    'lockctl: inspect and operate a quorumlock cluster\n\n' +
    'Usage: lockctl [--endpoints HOST:PORT,...] [--cacert FILE [--cert FILE --key FILE]] [--json] COMMAND [ARGS] [FLAGS]\n' +
    '       lockctl --version\n\n' +
    'Commands:\n' +
    COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}\n`).join('') +
    '\nFlags for every command:\n' +
    formatOptions(GLOBAL_OPTIONS) +
    '\nDurations are milliseconds (1500) or have a unit: 200ms, 5s, 1m, 1h, 1m30s.\n' +
    'Exit codes: 0 ok, 1 operational error (e.g. cluster unreachable), 2 usage error, 3 lock held (run --try).\n' +
    "Run 'lockctl COMMAND --help' for a command's flags.\n"
  );
}

/** The help of one command. */
export function commandHelp(name: string): string {
  const c = COMMANDS.find((x) => x.name === name);
  if (c === undefined) return overallHelp();
  const sub = SUBCOMMAND_GROUPS.has(name) ? COMMANDS.filter((x) => x.name.startsWith(`${name} `)).map((x) => `  ${usageLine(x)}\n`).join('') : '';
  return (
    `Usage: ${usageLine(c)}\n${sub}\n${c.summary}\n` +
    (c.details === undefined ? '' : `\n${c.details}\n`) +
    (Object.keys(c.options).length === 0 ? '' : `\nFlags:\n${formatOptions(c.options)}`) +
    `\nFlags for every command:\n${formatOptions(GLOBAL_OPTIONS)}`
  );
}

type ParseArgsOptions = Record<string, { type: 'string' | 'boolean'; short?: string }>;

function toParseArgs(specs: Readonly<Record<string, OptionSpec>>): ParseArgsOptions {
  const out: ParseArgsOptions = {};
  for (const [name, o] of Object.entries(specs)) {
    out[name] = o.short === undefined ? { type: o.kind === 'boolean' ? 'boolean' : 'string' } : { type: o.kind === 'boolean' ? 'boolean' : 'string', short: o.short };
  }
  return out;
}

function allOptions(): ParseArgsOptions {
  const merged: Record<string, OptionSpec> = { ...GLOBAL_OPTIONS };
  for (const c of COMMANDS) Object.assign(merged, c.options);
  return toParseArgs(merged);
}

function convert(flag: string, spec: OptionSpec, raw: string | boolean, command: string): string | number | boolean {
  if (spec.kind === 'boolean' || typeof raw === 'boolean') return raw;
  switch (spec.kind) {
    case 'string':
      return raw;
    case 'duration':
      try {
        return parseDuration(raw);
      } catch (err) {
        throw new UsageError(`--${flag}: ${(err as Error).message}`, command);
      }
    case 'int': {
      if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(Number(raw))) {
        throw new UsageError(`--${flag}: '${raw}' is not a non-negative integer`, command);
      }
      return Number(raw);
    }
    case 'endpoint':
      try {
        const [one] = parseEndpoints([raw]);
        return one ?? raw;
      } catch (err) {
        throw new UsageError(`--${flag}: ${(err as Error).message}`, command);
      }
  }
}

/** Message of a parseArgs error, reworded to name the flag and the command. */
function parseArgsMessage(err: unknown, command: string | undefined): string {
  const e = err as { code?: string; message?: string };
  const where = command === undefined ? '' : ` for 'lockctl ${command}'`;
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const m = /'([^']+)'/.exec(e.message ?? '');
    return `unknown flag ${m?.[1] ?? ''}${where}`.replace('  ', ' ');
  }
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return `${(e.message ?? 'invalid flag value').split('\n')[0]}${where}`;
  return `${e.message ?? String(err)}${where}`;
}

/**
 * Parses lockctl's arguments (without `node` and the script). `env` supplies QUORUMLOCK_ENDPOINTS.
 * Throws UsageError.
 */
export function parseCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParsedCli {
  const dashDash = argv.indexOf('--');
  const before = dashDash < 0 ? [...argv] : argv.slice(0, dashDash);
  const trailing = dashDash < 0 ? [] : argv.slice(dashDash + 1);

  // Pass 1 (lenient, knowing every flag's type): find the command.
  let loose: ReturnType<typeof parseArgs>;
  try {
    loose = parseArgs({ args: before, options: allOptions(), strict: false, allowPositionals: true });
  } catch (err) {
    throw new UsageError(parseArgsMessage(err, undefined));
  }
  const positionals = [...loose.positionals];
  let word = positionals.shift();
  if (word === 'help') {
    const topic = positionals.join(' ');
    return { kind: 'help', text: topic === '' ? overallHelp() : commandHelp(COMMANDS.some((c) => c.name === topic) ? topic : (positionals[0] ?? '')) };
  }
  if (word === undefined) {
    if (loose.values['help'] === true) return { kind: 'help', text: overallHelp() };
    throw new UsageError('no command given');
  }
  if (SUBCOMMAND_GROUPS.has(word) && positionals[0] !== undefined && COMMANDS.some((c) => c.name === `${word} ${positionals[0]}`)) {
    word = `${word} ${positionals.shift() ?? ''}`;
  }
  const spec = COMMANDS.find((c) => c.name === word);
  if (spec === undefined) {
    const group = word.split(' ')[0] ?? word;
    if (SUBCOMMAND_GROUPS.has(group)) throw new UsageError(`unknown subcommand '${positionals[0] ?? ''}' of '${group}' (expected list, add or remove)`, group);
    throw new UsageError(`unknown command '${word}'`);
  }
  if (loose.values['help'] === true) return { kind: 'help', text: commandHelp(spec.name) };

  // Pass 2 (strict): only this command's flags and the global ones.
  const optionSpecs: Record<string, OptionSpec> = { ...GLOBAL_OPTIONS, ...spec.options };
  let strict: ReturnType<typeof parseArgs>;
  try {
    strict = parseArgs({ args: before, options: toParseArgs(optionSpecs), strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError(parseArgsMessage(err, spec.name), spec.name);
  }
  const words = spec.name.split(' ').length;
  const given = strict.positionals.slice(words);
  const required = spec.args.length - (spec.optionalArgs ?? 0);
  if (given.length < required) throw new UsageError(`'lockctl ${spec.name}' needs ${spec.args.slice(given.length, required).join(' ')}`, spec.name);
  if (given.length > spec.args.length) throw new UsageError(`unexpected argument '${given[spec.args.length] ?? ''}' for 'lockctl ${spec.name}'`, spec.name);
  const args: Record<string, string> = {};
  spec.args.forEach((a, i) => {
    const v = given[i];
    if (v !== undefined) {
      if (v === '') throw new UsageError(`${a} must not be empty`, spec.name);
      args[a] = v;
    }
  });
  if (spec.trailing === true) {
    if (dashDash < 0 || trailing.length === 0) throw new UsageError(`'lockctl ${spec.name}' needs '-- COMMAND [ARG...]' after its flags`, spec.name);
  } else if (dashDash >= 0) {
    throw new UsageError(`'lockctl ${spec.name}' takes no '-- ...' arguments`, spec.name);
  }

  const options: Record<string, string | number | boolean | undefined> = {};
  for (const [name, o] of Object.entries(optionSpecs)) {
    const raw = strict.values[name];
    if (raw === undefined || Array.isArray(raw)) continue;
    options[name] = convert(name, o, raw, spec.name);
  }

  const endpointsRaw = typeof options['endpoints'] === 'string' ? options['endpoints'] : env[ENDPOINTS_ENV] !== undefined && env[ENDPOINTS_ENV] !== '' ? env[ENDPOINTS_ENV] : DEFAULT_ENDPOINTS;
  let endpoints: string[];
  try {
    endpoints = parseEndpoints(endpointsRaw ?? DEFAULT_ENDPOINTS);
  } catch (err) {
    const source = typeof options['endpoints'] === 'string' ? '--endpoints' : ENDPOINTS_ENV;
    throw new UsageError(`${source}: ${(err as Error).message}`, spec.name);
  }
  if (spec.name === 'members add') {
    for (const f of ['peer', 'client']) if (options[f] === undefined) throw new UsageError(`'lockctl members add' needs --${f} HOST:PORT`, spec.name);
  }
  const retryFor = options['retry-for'];
  const authToken = typeof options['auth-token'] === 'string' ? options['auth-token'] : env[AUTH_TOKEN_ENV] !== undefined && env[AUTH_TOKEN_ENV] !== '' ? env[AUTH_TOKEN_ENV] : undefined;
  if (authToken !== undefined && (authToken === '' || /\s/.test(authToken))) {
    throw new UsageError(`${typeof options['auth-token'] === 'string' ? '--auth-token' : AUTH_TOKEN_ENV} must be a token without spaces`, spec.name);
  }
  return {
    kind: 'command',
    command: spec.name === 'members list' ? 'members' : spec.name,
    args,
    options,
    global: {
      endpoints,
      authToken,
      json: options['json'] === true,
      retryForMs: typeof retryFor === 'number' ? retryFor : DEFAULT_RETRY_FOR_MS,
      tls: tlsFromFlags(options, env, (m) => new UsageError(m, spec.name)),
    },
    trailing,
  };
}
