/**
 * quorumlock-server's command line with commander 14: the flags of config.ts's table, each
 * also read from its QUORUMLOCK_* variable by config.ts (a flag wins), and the help commander
 * makes from the same table. Nothing is printed here; a bad command line is a ConfigError.
 */
import { Command, CommanderError, Option } from 'commander';
import { VERSION } from './version';

/** One flag of the table: `int` and `string` take a value, `bool` none. */
export interface FlagSpec {
  readonly flag: string;
  readonly kind: 'string' | 'int' | 'bool';
  /** The default, as its text (shown in help; applied by config.ts after the variable). */
  readonly dflt?: string;
  readonly help: string;
}

/** A bad flag or environment value; the message names the option and the value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function envName(flag: string): string {
  return `QUORUMLOCK_${flag.toUpperCase().replace(/-/g, '_')}`;
}

const USAGE = '--id ID --data-dir DIR --initial-cluster ID=PEER/CLIENT,... [options]';
const DESCRIPTION = 'One quorumlock coordinator node. Every option can also be set by its environment variable; a flag wins over the variable.';

/** The help line of a flag: what it does, its default, its variable (one line each, never wrapped: greppable). */
function describe(o: FlagSpec): string {
  const d = o.dflt !== undefined && o.dflt !== '' ? ` (default ${o.dflt})` : '';
  return `${o.help}${d}  [${envName(o.flag)}]`;
}

function program(flags: readonly FlagSpec[]): Command {
  const cmd = new Command('quorumlock-server')
    .usage(USAGE)
    .description(DESCRIPTION)
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined })
    .configureHelp({ helpWidth: Number.MAX_SAFE_INTEGER })
    .exitOverride()
    .showSuggestionAfterError(false)
    .helpOption('-h, --help', 'print this help');
  for (const o of flags) {
    cmd.addOption(new Option(`--${o.flag}${o.kind === 'bool' ? '' : o.kind === 'int' ? ' <N>' : ' <VALUE>'}`, describe(o)));
  }
  return cmd.version(VERSION, '-V, --version', 'print the version (alone)').action(() => undefined);
}

/** The --help text. */
export function flagsHelp(flags: readonly FlagSpec[]): string {
  return program(flags).helpInformation();
}

/** Commander's complaint reworded to name the flag or value, and to point at --help. */
function reword(err: CommanderError, cmd: Command): ConfigError {
  const quoted = /'([^']*)'/.exec(err.message)?.[1] ?? '';
  switch (err.code) {
    case 'commander.unknownOption':
      return new ConfigError(`unknown flag '${quoted}'; see --help`);
    case 'commander.optionMissingArgument':
      return new ConfigError(`${quoted.split(' ')[0] ?? quoted} needs a value; see --help`);
    case 'commander.excessArguments':
      return new ConfigError(`unexpected argument '${cmd.args[0] ?? ''}': every setting is a flag; see --help`);
    case 'commander.version':
      return new ConfigError('--version takes no other flags: run quorumlock-server --version');
    default:
      return new ConfigError(`${err.message.replace(/^error: /, '')}; see --help`);
  }
}

/** The flags given on the command line (flag name -> its text, or true for a bool), or 'help'. */
export function parseFlags(flags: readonly FlagSpec[], argv: readonly string[]): Record<string, string | boolean | undefined> | 'help' {
  const cmd = program(flags);
  try {
    cmd.parse([...argv], { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (e.code === 'commander.helpDisplayed') return 'help';
    throw reword(e, cmd);
  }
  const values = cmd.opts<Record<string, string | boolean | undefined>>();
  const out: Record<string, string | boolean | undefined> = {};
  for (const option of cmd.options) {
    const v = values[option.attributeName()];
    if (v !== undefined && option.long !== undefined) out[option.long.slice(2)] = v;
  }
  return out;
}
