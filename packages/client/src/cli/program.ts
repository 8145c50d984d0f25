/**
 * lockctl's commander program, built from the command table (command-table.ts): one commander
 * command per entry, its flags with their value parsers, the global flags on every command (so
 * they may come before or after the command's own), and help made by commander. Every problem
 * is a UsageError naming the offending flag or value; nothing is printed here.
 */
import { Argument, Command, CommanderError, Option } from 'commander';
import { parseEndpoints } from '../channels';
import { parseDuration } from '../duration';
import { VERSION } from '../version';
import { COMMANDS, GLOBAL_OPTIONS, type CommandSpec, type OptionSpec } from './command-table';

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

export type OptionValue = string | number | boolean | undefined;

/** What commander found: the command and its raw values (before the global resolution in args.ts). */
/** A run that prints text and does nothing else: --help or --version. */
export type HelpOrVersion = { readonly kind: 'help'; readonly text: string } | { readonly kind: 'version'; readonly text: string };

export type Parsed =
  | HelpOrVersion
  | {
      readonly kind: 'command';
      readonly spec: CommandSpec;
      readonly positionals: readonly string[];
      readonly options: Readonly<Record<string, OptionValue>>;
    };

const OVERALL_HEAD = 'lockctl: inspect and operate a quorumlock cluster\n';
const OVERALL_TAIL =
  '\nDurations are milliseconds (1500) or have a unit: 200ms, 5s, 1m, 1h, 1m30s.\n' +
  'Exit codes: 0 ok, 1 operational error (e.g. cluster unreachable), 2 usage error, 3 lock held (run --try).\n' +
  "Run 'lockctl COMMAND --help' for a command's flags.\n";
const GLOBAL_HEADING = 'Flags for every command:';

/** The value parser of a flag kind; its errors name the flag. */
function converter(flag: string, spec: OptionSpec, command: string | undefined): (raw: string) => string | number {
  const fail = (message: string): UsageError => new UsageError(`--${flag}: ${message}`, command);
  switch (spec.kind) {
    case 'duration':
      return (raw) => {
        try {
          return parseDuration(raw);
        } catch (err) {
          throw fail((err as Error).message);
        }
      };
    case 'int':
      return (raw) => {
        if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(Number(raw))) throw fail(`'${raw}' is not a non-negative integer`);
        return Number(raw);
      };
    case 'endpoint':
      return (raw) => {
        try {
          return parseEndpoints([raw])[0] ?? raw;
        } catch (err) {
          throw fail((err as Error).message);
        }
      };
    default:
      return (raw) => raw;
  }
}

/** The usage line after `lockctl NAME`: positionals and flags as the table gives them. */
export function usageOf(c: CommandSpec): string {
  const args = c.args.map((a, i) => {
    const shown = c.variadic === true && i === c.args.length - 1 ? `${a}...` : a;
    return i >= c.args.length - (c.optionalArgs ?? 0) ? `[${shown}]` : shown;
  });
  const flags = Object.entries(c.options).map(([n, o]) => {
    const f = `--${n}${o.value === undefined ? '' : ` ${o.value}`}`;
    return o.required === true ? f : `[${f}]`;
  });
  return [...args, ...flags, ...(c.trailing === true ? ['--', 'COMMAND', '[ARG...]'] : [])].join(' ');
}

function addOptions(cmd: Command, options: Readonly<Record<string, OptionSpec>>, heading: string, command: string | undefined): void {
  for (const [name, spec] of Object.entries(options)) {
    if (name === 'help') continue; // commander's own help flag, declared by helpOption
    const flags = `${spec.short === undefined ? '' : `-${spec.short}, `}--${name}${spec.kind === 'boolean' ? '' : ` <${spec.value ?? 'VALUE'}>`}`;
    const option = new Option(flags, spec.description).helpGroup(heading);
    if (spec.kind !== 'boolean') option.argParser(converter(name, spec, command));
    cmd.addOption(option);
  }
}

/** Commander's message reworded as ours, naming the flag or value and the command. */
function reword(err: CommanderError, cmd: Command, spec: CommandSpec | undefined): UsageError {
  const name = spec?.name;
  const where = name === undefined ? '' : ` for 'lockctl ${name}'`;
  const quoted = /'([^']*)'/.exec(err.message)?.[1] ?? '';
  switch (err.code) {
    case 'commander.unknownOption':
      return new UsageError(`unknown flag ${quoted}${where}`, name);
    case 'commander.unknownCommand':
      return new UsageError(`unknown command '${quoted}'`);
    case 'commander.missingArgument':
      return new UsageError(`'lockctl ${name ?? ''}' needs ${quoted}`, name);
    case 'commander.excessArguments':
      return new UsageError(`unexpected argument '${cmd.args[spec?.args.length ?? 0] ?? ''}'${where}`, name);
    case 'commander.optionMissingArgument': {
      const flag = /'(-[^' ]+)/.exec(err.message)?.[1] ?? '';
      return new UsageError(`${flag} needs a value${where}`, name);
    }
    case 'commander.missingMandatoryOptionValue': {
      const [flag, value] = quoted.split(' ');
      return new UsageError(`'lockctl ${name ?? ''}' needs ${flag ?? ''} ${(value ?? '').replace(/[<>]/g, '')}`, name);
    }
    case 'commander.help':
      return new UsageError('no command given');
    default:
      return new UsageError(`${err.message.replace(/^error: /, '')}${where}`, name);
  }
}

/**
 * Builds the program. `sink` receives what commander would print (help, version); `found` is
 * called by the action of the command that matched.
 */
function build(sink: { text: string }, found: (spec: CommandSpec, cmd: Command) => void): Command {
  const program = new Command('lockctl');
  const quiet = (cmd: Command, spec: CommandSpec | undefined): Command =>
    cmd
      .configureOutput({ writeOut: (s) => (sink.text += s), writeErr: () => undefined, outputError: () => undefined })
      .exitOverride((err) => {
        if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') throw err;
        throw reword(err, cmd, spec);
      })
      .showSuggestionAfterError(false)
      // Before the help flag is made, so that it is listed with the flags of every command.
      .optionsGroup(GLOBAL_HEADING)
      .helpOption('-h, --help', 'show help');
  quiet(program, undefined)
    .usage('[--endpoints HOST:PORT,...] [--cacert FILE [--cert FILE --key FILE]] [--json] COMMAND [ARGS] [FLAGS]')
    .helpCommand(false)
    .addHelpText('before', OVERALL_HEAD)
    .addHelpText('after', OVERALL_TAIL);
  addOptions(program, GLOBAL_OPTIONS, GLOBAL_HEADING, undefined);
  program.version(VERSION, '-V, --version', 'print the version');
  const byName = new Map<string, Command>();
  for (const spec of COMMANDS) {
    const words = spec.name.split(' ');
    const parent = words.length === 1 ? program : byName.get(words[0] ?? '');
    if (parent === undefined) throw new Error(`invariant: group of '${spec.name}' is declared after it`);
    const cmd = quiet(parent.command(words[words.length - 1] ?? spec.name), spec)
      .summary(spec.summary)
      .description(spec.summary)
      .usage(usageOf(spec))
      .helpCommand(false)
      .optionsGroup('Flags:');
    spec.args.forEach((a, i) => {
      const optional = i >= spec.args.length - (spec.optionalArgs ?? 0);
      const variadic = spec.variadic === true && i === spec.args.length - 1;
      const arg = new Argument(optional ? `[${a}${variadic ? '...' : ''}]` : `<${a}${variadic ? '...' : ''}>`);
      const choices = spec.choices?.[a];
      if (!variadic) {
        arg.argParser((v: string) => {
          if (v === '') throw new UsageError(`${a} must not be empty`, spec.name);
          if (choices !== undefined && !choices.includes(v)) throw new UsageError(`${a} '${v}' is not one of ${choices.join(', ')}`, spec.name);
          return v;
        });
      }
      cmd.addArgument(arg);
    });
    addOptions(cmd, spec.options, 'Flags:', spec.name);
    addOptions(cmd, GLOBAL_OPTIONS, GLOBAL_HEADING, spec.name);
    for (const [n, o] of Object.entries(spec.options)) {
      if (o.required === true) cmd.options.find((x) => x.long === `--${n}`)?.makeOptionMandatory();
    }
    if (spec.details !== undefined) cmd.addHelpText('after', `\n${spec.details}\n`);
    cmd.action(() => found(spec, cmd));
    byName.set(spec.name, cmd);
  }
  return program;
}

/** Flag name -> value, for the flags `spec` takes and the global ones (the command's last value wins). */
function valuesOf(cmd: Command, spec: CommandSpec): Record<string, OptionValue> {
  const merged = cmd.optsWithGlobals<Record<string, OptionValue>>();
  const out: Record<string, OptionValue> = {};
  for (const name of [...Object.keys(GLOBAL_OPTIONS), ...Object.keys(spec.options)]) {
    const option = cmd.options.find((o) => o.long === `--${name}`);
    const v = option === undefined ? undefined : merged[option.attributeName()];
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** Parses `argv` (everything before a `--`) with commander. Throws UsageError. */
export function parseProgram(argv: readonly string[]): Parsed {
  const sink = { text: '' };
  let result: Parsed | undefined;
  const program = build(sink, (spec, cmd) => {
    // A variadic positional arrives as an array, a missing optional one as undefined.
    const positionals = (cmd.processedArgs as unknown[]).flat().filter((v): v is string => typeof v === 'string');
    result = { kind: 'command', spec, positionals, options: valuesOf(cmd, spec) };
  });
  try {
    program.parse([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError && err.code === 'commander.helpDisplayed') return { kind: 'help', text: sink.text };
    if (err instanceof CommanderError && err.code === 'commander.version') return { kind: 'version', text: sink.text };
    throw err;
  }
  if (result === undefined) throw new UsageError('no command given');
  return result;
}

/** The help commander makes for `name` (a command of the table), or the overall help. */
export function helpOf(name?: string): string {
  const sink = { text: '' };
  let cmd: Command = build(sink, () => undefined);
  for (const word of name === undefined ? [] : name.split(' ')) {
    const sub = cmd.commands.find((c) => c.name() === word);
    if (sub === undefined) break;
    cmd = sub;
  }
  cmd.outputHelp();
  return sink.text;
}
