/**
 * lockctl's command line: commander (program.ts) parses it against the command table
 * (command-table.ts); here the result becomes a typed, validated command: positionals by name,
 * `run`'s `-- COMMAND`, and the global settings resolved from flags, then the environment, then
 * the defaults. Every problem is a UsageError naming the offending flag and value (exit code 2).
 */
import { parseEndpoints, type TlsOptions } from '../channels';
import { AUTH_TOKEN_ENV, COMMANDS, DEFAULT_ENDPOINTS, DEFAULT_RETRY_FOR_MS, ENDPOINTS_ENV, LOCAL_COMMANDS } from './command-table';
import { helpOf, parseProgram, UsageError, type HelpOrVersion, type OptionValue } from './program';
import { tlsFromFlags } from './tls-flags';

export { AUTH_TOKEN_ENV, COMMANDS, DEFAULT_ENDPOINTS, DEFAULT_RETRY_FOR_MS, ENDPOINTS_ENV, UsageError };

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
  | HelpOrVersion
  | {
      readonly kind: 'command';
      readonly command: string;
      readonly args: Readonly<Record<string, string>>;
      readonly options: Readonly<Record<string, OptionValue>>;
      readonly global: GlobalOptions;
      /** `run`: the command after `--`. */
      readonly trailing: readonly string[];
    };

/** The overall help. */
export function overallHelp(): string {
  return helpOf();
}

/** The help of one command (the overall help for a name that is none). */
export function commandHelp(name: string): string {
  return COMMANDS.some((c) => c.name === name) ? helpOf(name) : overallHelp();
}

/** `help [COMMAND...]`: the help of the command the words name, else of their first word. */
function helpTopic(words: readonly string[]): string {
  const topic = words.join(' ');
  if (topic === '') return overallHelp();
  return commandHelp(COMMANDS.some((c) => c.name === topic) ? topic : (words[0] ?? ''));
}

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);

/** Endpoints, token, retry budget and TLS: each flag, else its variable, else the default. */
function resolveGlobal(options: Readonly<Record<string, OptionValue>>, env: Readonly<Record<string, string | undefined>>, command: string): GlobalOptions {
  const flag = (name: string): string | undefined => (typeof options[name] === 'string' ? options[name] : undefined);
  let endpoints: string[];
  try {
    endpoints = parseEndpoints(flag('endpoints') ?? nonEmpty(env[ENDPOINTS_ENV]) ?? DEFAULT_ENDPOINTS);
  } catch (err) {
    throw new UsageError(`${flag('endpoints') === undefined ? ENDPOINTS_ENV : '--endpoints'}: ${(err as Error).message}`, command);
  }
  const authToken = flag('auth-token') ?? nonEmpty(env[AUTH_TOKEN_ENV]);
  if (authToken !== undefined && (authToken === '' || /\s/.test(authToken))) {
    throw new UsageError(`${flag('auth-token') === undefined ? AUTH_TOKEN_ENV : '--auth-token'} must be a token without spaces`, command);
  }
  const retryFor = options['retry-for'];
  return {
    endpoints,
    authToken,
    json: options['json'] === true,
    retryForMs: typeof retryFor === 'number' ? retryFor : DEFAULT_RETRY_FOR_MS,
    tls: tlsFromFlags(options, env, (m) => new UsageError(m, command)),
  };
}

/**
 * Parses lockctl's arguments (without `node` and the script). `env` supplies QUORUMLOCK_ENDPOINTS,
 * QUORUMLOCK_AUTH_TOKEN and the TLS files. Throws UsageError.
 */
export function parseCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParsedCli {
  // Everything after the first `--` is `run`'s COMMAND, verbatim: commander never sees it.
  const dashDash = argv.indexOf('--');
  const before = dashDash < 0 ? [...argv] : argv.slice(0, dashDash);
  const trailing = dashDash < 0 ? [] : argv.slice(dashDash + 1);

  const parsed = parseProgram(before);
  if (parsed.kind !== 'command') return parsed;
  const { spec, positionals, options } = parsed;
  if (spec.name === 'help') return { kind: 'help', text: helpTopic(positionals) };
  if (spec.trailing === true) {
    if (dashDash < 0 || trailing.length === 0) throw new UsageError(`'lockctl ${spec.name}' needs '-- COMMAND [ARG...]' after its flags`, spec.name);
  } else if (dashDash >= 0) {
    throw new UsageError(`'lockctl ${spec.name}' takes no '-- ...' arguments`, spec.name);
  }
  const args: Record<string, string> = {};
  spec.args.forEach((a, i) => {
    const v = positionals[i];
    if (v !== undefined) args[a] = v;
  });
  const global: GlobalOptions = LOCAL_COMMANDS.has(spec.name)
    ? { endpoints: [], authToken: undefined, json: options['json'] === true, retryForMs: DEFAULT_RETRY_FOR_MS, tls: undefined }
    : resolveGlobal(options, env, spec.name);
  return { kind: 'command', command: spec.name === 'members list' ? 'members' : spec.name, args, options, global, trailing };
}
