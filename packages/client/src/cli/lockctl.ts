#!/usr/bin/env node
/**
 * lockctl: the operator CLI of quorumlock. `lockctl --help` lists the commands.
 *
 * Exit codes: 0 ok · 1 operational error (cluster unreachable, not found, refused) · 2 usage
 * error · 3 lock held (`run --try`) · for `run`, otherwise the command's own status.
 */
import { AdminClient } from '../admin-client';
import { realClock } from '../clock';
import { isLockError } from '../errors';
import { commandHelp, overallHelp, parseCli, UsageError } from './args';
import { runAdminCommand } from './commands';
import { completionScript } from './completion';
import { runCommand } from './run';
import { runTop } from './top';

export const EXIT_OK = 0;
export const EXIT_OPERATIONAL = 1;
export const EXIT_USAGE = 2;

export interface CliIo {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly isTTY: boolean;
}

/** Runs lockctl with `argv` (no `node`, no script path) and returns the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseCli(argv, io.env);
  } catch (err) {
    if (err instanceof UsageError) {
      const hint = err.command === undefined ? "Run 'lockctl --help' for usage." : `Run 'lockctl ${err.command} --help' for usage.`;
      io.stderr(`lockctl: ${err.message}\n${hint}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
  if (parsed.kind === 'help' || parsed.kind === 'version') {
    io.stdout(parsed.text);
    return EXIT_OK;
  }
  const { command, args, options, global } = parsed;
  if (command === 'completion') {
    io.stdout(completionScript(args['SHELL'] === 'zsh' ? 'zsh' : 'bash'));
    return EXIT_OK;
  }
  const print = (json: unknown, text: string): void => io.stdout(global.json ? `${JSON.stringify(json, null, 2)}\n` : text);
  const backoff = { initialMs: 50, maxMs: 1000, budgetMs: global.retryForMs };
  try {
    if (command === 'run') {
      const num = (k: string): number | undefined => (typeof options[k] === 'number' ? (options[k] as number) : undefined);
      return await runCommand(
        {
          endpoints: global.endpoints,
          authToken: global.authToken,
          name: args['NAME'] ?? '',
          command: parsed.trailing,
          waitTimeoutMs: num('wait-timeout'),
          ttlMs: num('ttl'),
          graceMs: num('grace') ?? 5000,
          tryOnly: options['try'] === true,
          capacity: num('capacity'),
          shared: options['shared'] === true,
          retryForMs: global.retryForMs,
          json: global.json,
          tls: global.tls,
        },
        { stdout: io.stdout, stderr: io.stderr, env: io.env },
      );
    }
    const admin = new AdminClient({ endpoints: global.endpoints, authToken: global.authToken, backoff, tls: global.tls });
    try {
      if (command === 'top') {
        const stop = new AbortController();
        const onSigint = (): void => stop.abort();
        process.once('SIGINT', onSigint);
        try {
          await runTop(
            admin,
            {
              intervalMs: typeof options['interval-ms'] === 'number' ? options['interval-ms'] : 1000,
              iterations: typeof options['iterations'] === 'number' ? options['iterations'] : undefined,
              prefix: typeof options['prefix'] === 'string' ? options['prefix'] : undefined,
              rows: typeof options['rows'] === 'number' ? options['rows'] : 20,
              json: global.json,
              tty: io.isTTY && !global.json,
            },
            io.stdout,
            realClock,
            stop.signal,
          );
        } finally {
          process.off('SIGINT', onSigint);
        }
        return EXIT_OK;
      }
      const out = await runAdminCommand(admin, command, args, options);
      print(out.json, out.text);
      return EXIT_OK;
    } finally {
      admin.close();
    }
  } catch (err) {
    if (isLockError(err)) {
      io.stderr(`lockctl: ${command}: ${err.message} [${err.code}]\n`);
      return EXIT_OPERATIONAL;
    }
    io.stderr(`lockctl: ${command}: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT_OPERATIONAL;
  }
}

// Exported for tests and for `lockctl help`.
export { overallHelp, commandHelp };

/** Runs lockctl as a process: the bin launcher (bin/lockctl.js) calls this. */
export function runCli(): void {
  main(process.argv.slice(2), {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    env: process.env,
    isTTY: process.stdout.isTTY === true,
  }).then(
    (code) => {
      // Exit explicitly: a gRPC channel or a timer must not keep a finished command alive.
      process.stdout.write('', () => process.exit(code));
    },
    (err: unknown) => {
      process.stderr.write(`lockctl: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(EXIT_OPERATIONAL);
    },
  );
}

if (require.main === module) runCli();
