/**
 * Runs one of the repository's commands (`pnpm start`, `pnpm observe`, `pnpm demo`, ...) as a
 * user would, in a process group of its own, so a test can press Ctrl-C (SIGINT to the whole
 * group, as a terminal does), send a supervisor's SIGTERM to the command alone, and see whether
 * any process of the group is left. `killAllScripts` (afterEach) SIGKILLs every group a test
 * started, also when it failed half way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The repository root (tests/src/helpers -> ../../..). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

export interface ScriptRun {
  /** The command's pid, which is also its process group id. */
  readonly pid: number;
  readonly child: ChildProcess;
  /** stdout and stderr so far, interleaved. */
  output(): string;
  /** Resolves with the first match of `re` in the output; rejects when the command ends first or after `timeoutMs`. */
  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** Resolves when the command itself has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const groups = new Set<number>();

/** Pids of the live processes in process group `pgid` (zombies excluded), from /proc. */
export function processesInGroup(pgid: number): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== pgid || fields[0] === 'Z') continue;
    let cmd = '';
    try {
      cmd = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch {
      // gone meanwhile
    }
    out.push({ pid: Number(name), cmd });
  }
  return out;
}

/** The process group of live process `pid`, or undefined when it is gone (a zombie counts as gone). */
export function processGroupOf(pid: number): number | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[0] === 'Z' ? undefined : Number(fields[2]);
}

/** Waits (polling /proc, bounded by `timeoutMs`) until none of `pids` is alive; returns those still alive. */
export async function waitPidsGone(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = pids.filter((p) => processGroupOf(p) !== undefined);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Processes a command started outside its own group (e.g. servers it detached) that
 * `killAllScripts` must SIGKILL too, if they are still running the same command line.
 */
const strays = new Map<number, string>();
export function alsoKillAfterTest(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      strays.set(pid, fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
    } catch {
      // already gone
    }
  }
}

/** Waits (polling /proc, bounded by `timeoutMs`) until group `pgid` has no live process; returns what is left. */
export async function waitGroupEmpty(pgid: number, timeoutMs: number): Promise<{ pid: number; cmd: string }[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = processesInGroup(pgid);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts `cmd args` in `cwd` (default the repository root) as the leader of a new process group. */
export function startScript(cmd: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ScriptRun {
  const child = spawn(cmd, args, {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid === undefined) throw new Error(`could not start ${cmd} ${args.join(' ')}`);
  const pid = child.pid;
  groups.add(pid);
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer): void => {
    out += d.toString();
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let ended = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => {
      ended = true;
      for (const l of listeners) l();
      resolve({ code, signal });
    });
  });
  const waitFor = (re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const m = re.exec(out);
        if (m !== null) finish(() => resolve(m));
        else if (ended) finish(() => reject(new Error(`${cmd} ${args.join(' ')} ended before printing ${String(re)}; output:\n${out}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`${cmd} ${args.join(' ')} did not print ${String(re)} within ${timeoutMs} ms; output:\n${out}`))), timeoutMs);
      const finish = (f: () => void): void => {
        clearTimeout(timer);
        listeners.delete(check);
        f();
      };
      listeners.add(check);
      check();
    });
  return { pid, child, output: () => out, waitFor, exited };
}

/** SIGKILLs every process group started by `startScript` that still has a process. */
export function killAllScripts(): void {
  for (const pgid of groups) {
    if (processesInGroup(pgid).length > 0) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  groups.clear();
  for (const [pid, cmdline] of strays) {
    let now = '';
    try {
      now = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue; // gone
    }
    if (now === cmdline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
  strays.clear();
}
