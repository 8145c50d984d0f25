/**
 * `lockctl run NAME -- COMMAND ...`: holds NAME while COMMAND runs (like `etcdctl lock` and
 * `consul lock`). COMMAND gets the fencing token in QUORUMLOCK_TOKEN. The moment the lease is
 * lost, COMMAND gets SIGTERM, and SIGKILL after the grace period. lockctl exits with COMMAND's
 * status (128 + N when a signal N ended it).
 */
import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { LockClient } from '../lock-client';
import type { Lease } from '../lease';
import type { TlsOptions } from '../channels';
import { LockCancelledError, type LockLostError } from '../errors';

export const EXIT_LOCK_HELD = 3;
export const EXIT_CANNOT_EXECUTE = 126;
export const EXIT_NOT_FOUND = 127;

export interface RunOptions {
  readonly endpoints: readonly string[];
  readonly authToken: string | undefined;
  readonly name: string;
  readonly command: readonly string[];
  readonly waitTimeoutMs: number | undefined;
  readonly ttlMs: number | undefined;
  readonly graceMs: number;
  readonly tryOnly: boolean;
  readonly capacity: number | undefined;
  readonly shared: boolean;
  readonly retryForMs: number;
  readonly json: boolean;
  readonly tls?: TlsOptions | undefined;
}

export interface RunIo {
  readonly stderr: (s: string) => void;
  readonly stdout: (s: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

/** Exit status for a child that ended with `code` or `signal`. */
export function exitStatusOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  if (signal !== null) return 128 + (osConstants.signals[signal] ?? 0);
  return 1;
}

export async function runCommand(o: RunOptions, io: RunIo): Promise<number> {
  const client = new LockClient({
    endpoints: o.endpoints,
    authToken: o.authToken,
    ...(o.ttlMs === undefined ? {} : { ttlMs: o.ttlMs }),
    clientName: `lockctl run ${o.name} (pid ${process.pid})`,
    tls: o.tls,
    backoff: { initialMs: 50, maxMs: 1000, budgetMs: o.retryForMs },
  });
  const interrupted = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => interrupted.abort(sig);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const note = (s: string): void => io.stderr(`lockctl run: ${s}\n`);
  try {
    const lockOptions = {
      ...(o.capacity === undefined ? {} : { capacity: o.capacity }),
      mode: o.shared ? ('shared' as const) : ('exclusive' as const),
      signal: interrupted.signal,
    };
    let lease: Lease | null;
    try {
      lease = o.tryOnly
        ? await client.tryAcquire(o.name, lockOptions)
        : await client.acquire(o.name, { ...lockOptions, ...(o.waitTimeoutMs === undefined ? {} : { waitTimeoutMs: o.waitTimeoutMs }) });
    } catch (err) {
      if (err instanceof LockCancelledError && interrupted.signal.aborted) {
        note(`interrupted while waiting for '${o.name}'`);
        return 130;
      }
      throw err;
    }
    if (lease === null) {
      note(`'${o.name}' is held; not running the command (--try)`);
      return EXIT_LOCK_HELD;
    }
    if (o.json) io.stdout(`${JSON.stringify({ event: 'acquired', name: o.name, token: lease.token })}\n`);
    try {
      return await supervise(lease, o, io, interrupted.signal);
    } finally {
      await lease.release().catch((err: unknown) => note(`release failed: ${(err as Error).message}`));
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await client.close();
  }
}

function supervise(lease: Lease, o: RunOptions, io: RunIo, interrupted: AbortSignal): Promise<number> {
  const note = (s: string): void => io.stderr(`lockctl run: ${s}\n`);
  return new Promise((resolve) => {
    const [file, ...args] = o.command;
    if (file === undefined) throw new Error('invariant: empty command');
    const child = spawn(file, args, {
      stdio: 'inherit',
      env: { ...io.env, QUORUMLOCK_TOKEN: String(lease.token), QUORUMLOCK_LOCK: o.name },
    });
    let killTimer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (status: number): void => {
      if (done) return;
      done = true;
      if (killTimer !== undefined) clearTimeout(killTimer);
      lease.signal.removeEventListener('abort', onLost);
      interrupted.removeEventListener('abort', onInterrupt);
      resolve(status);
    };
    const onLost = (): void => {
      const err = lease.signal.reason as LockLostError;
      if (err.reason === 'released' || done) return;
      note(`lease on '${o.name}' lost (${err.reason}${err.detail === '' ? '' : `: ${err.detail}`}); sending SIGTERM to pid ${child.pid ?? '?'}`);
      child.kill('SIGTERM');
      killTimer = setTimeout(() => {
        if (done) return;
        note(`command still running after ${o.graceMs} ms; sending SIGKILL`);
        child.kill('SIGKILL');
      }, o.graceMs);
    };
    const onInterrupt = (): void => {
      const sig = interrupted.reason as NodeJS.Signals;
      child.kill(sig);
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      note(`cannot run '${file}': ${err.message}`);
      finish(err.code === 'ENOENT' ? EXIT_NOT_FOUND : EXIT_CANNOT_EXECUTE);
    });
    child.once('exit', (code, signal) => finish(exitStatusOf(code, signal)));
    if (lease.signal.aborted) onLost();
    else lease.signal.addEventListener('abort', onLost, { once: true });
    interrupted.addEventListener('abort', onInterrupt);
  });
}
