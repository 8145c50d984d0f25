/**
 * The test's side of sdk-agent.ts: forks an agent process (the compiled dist/helpers/sdk-agent.js),
 * sends it commands and awaits their answers, and collects the events it reports. Agents are
 * real processes, so they can be SIGKILLed, SIGSTOPped and SIGCONTed.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { AgentCommand, AgentEvent, AgentReply } from './sdk-agent';

/** An error an agent's command failed with (its `code` is the SDK error code, if any). */
export class AgentError extends Error {
  constructor(
    readonly code: string,
    readonly errorName: string,
    message: string,
  ) {
    super(`${errorName} [${code}]: ${message}`);
  }
}

const all = new Set<Agent>();

export class Agent {
  readonly events: AgentEvent[] = [];
  /** Lines the agent wrote on stdout. */
  readonly lines: string[] = [];
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly wakers = new Set<() => void>();
  private exited: string | undefined;

  constructor(readonly label = 'agent') {
    const script = path.join(__dirname, '..', '..', 'dist', 'helpers', 'sdk-agent.js');
    this.child = fork(script, [], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    all.add(this);
    let buf = '';
    this.child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        this.lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
      this.wake();
    });
    this.child.on('message', (m: AgentReply | AgentEvent) => {
      if ('id' in m) {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.ok) p?.resolve(m.result);
        else p?.reject(new AgentError(m.error?.code ?? '', m.error?.name ?? 'Error', m.error?.message ?? ''));
      } else {
        this.events.push(m);
      }
      this.wake();
    });
    this.child.once('exit', (code, signal) => {
      this.exited = `${label} exited (code ${String(code)}, signal ${String(signal)})`;
      all.delete(this);
      for (const p of this.pending.values()) p.reject(new Error(this.exited));
      this.pending.clear();
      this.wake();
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get alive(): boolean {
    return this.exited === undefined;
  }

  /** Sends a command; resolves with its result or rejects with an AgentError. */
  call<T = Record<string, unknown>>(cmd: AgentCommand): Promise<T> {
    if (this.exited !== undefined) return Promise.reject(new Error(this.exited));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, cmd });
    });
  }

  /** The first event (already received or future) that matches; bounded so a hang fails the test instead of the run. */
  async waitEvent<E extends AgentEvent>(pred: (e: AgentEvent) => e is E, timeoutMs?: number): Promise<E>;
  async waitEvent(pred: (e: AgentEvent) => boolean, timeoutMs?: number): Promise<AgentEvent>;
  async waitEvent(pred: (e: AgentEvent) => boolean, timeoutMs = 20_000): Promise<AgentEvent> {
    return this.waitFor(() => this.events.find(pred), timeoutMs, 'event');
  }

  /** Resolves once the agent printed `line` on stdout. */
  async waitLine(line: string, timeoutMs = 20_000): Promise<void> {
    await this.waitFor(() => (this.lines.includes(line) ? true : undefined), timeoutMs, `line '${line}'`);
  }

  /** The first stdout line starting with `prefix`. */
  waitLinePrefix(prefix: string, timeoutMs = 20_000): Promise<string> {
    return this.waitFor(() => this.lines.find((l) => l.startsWith(prefix)), timeoutMs, `line starting '${prefix}'`);
  }

  private async waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = probe();
      if (v !== undefined) return v;
      if (this.exited !== undefined) throw new Error(`${this.exited} while waiting for an ${what}; events ${JSON.stringify(this.events)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.label}: no matching ${what} within ${timeoutMs} ms; events ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, left);
        function done(): void {
          clearTimeout(t);
          resolve();
        }
        this.wakers.add(done);
      });
    }
  }

  private wake(): void {
    const ws = [...this.wakers];
    this.wakers.clear();
    for (const w of ws) w();
  }

  signal(sig: NodeJS.Signals): void {
    if (this.exited === undefined) this.child.kill(sig);
  }

  /** SIGKILL and wait for the exit. */
  async kill(): Promise<void> {
    if (this.exited !== undefined) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL'); // a stopped process dies on SIGKILL too
    await gone;
  }

  /** Kills every agent still running (afterEach / afterAll). */
  static async killAll(): Promise<void> {
    await Promise.all([...all].map((a) => a.kill()));
  }
}
