/**
 * Small helpers shared by the multi-process tests.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';

/**
 * Polls `probe` until it returns something other than undefined/false, or fails after
 * `timeoutMs` (a bound against hangs, not a timing assertion). Errors thrown by `probe` count as
 * "not yet" and the last one is reported.
 */
export async function waitUntil<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000, what = 'condition', everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms${last === undefined ? '' : `; last error: ${String(last)}`}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The compiled lockctl binary of @quorumlock/client. */
export const LOCKCTL = path.join(path.dirname(require.resolve('@quorumlock/client/package.json')), 'bin', 'lockctl.js');

/** A running lockctl process: its output so far, and its end. */
export interface CliRun {
  readonly pid: number;
  readonly done: Promise<CliResult>;
  stdout(): string;
  stderr(): string;
}

const running = new Set<import('node:child_process').ChildProcess>();

/** SIGKILLs every lockctl process a test left running (afterEach). */
export function killStrayLockctl(): void {
  for (const c of running) c.kill('SIGKILL');
  running.clear();
}

/** Starts `node lockctl.js ...args` (asynchronously: the test's own clients keep running). */
export function startLockctl(args: readonly string[], env: NodeJS.ProcessEnv = {}): CliRun {
  const child = spawn(process.execPath, [LOCKCTL, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, QUORUMLOCK_ENDPOINTS: '', ...env },
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<CliResult>((resolve) => {
    child.once('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stdout: out, stderr: err });
    });
  });
  return { pid: child.pid ?? 0, done, stdout: () => out, stderr: () => err };
}

/** Runs lockctl to completion. */
export function lockctl(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return startLockctl(args, env).done;
}

/** quorumlock-server's entry point, as a test runs it directly. */
export const SERVER = path.join(path.dirname(require.resolve('@quorumlock/coordinator/package.json')), 'dist', 'main.js');

/** Runs quorumlock-server to its exit (a refusal happens before it listens), at most 20 s. */
export function runServerToExit(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SERVER, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('close', (code) => {
      clearTimeout(t);
      resolve({ code, stderr });
    });
  });
}
