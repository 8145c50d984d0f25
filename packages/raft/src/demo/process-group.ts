import type { ChildProcess } from 'node:child_process';

/**
 * Child processes of a test or benchmark harness by name: whether each still runs, its pid,
 * and killing it for real (the promise resolves once it has exited).
 */
export class ProcessGroup {
  private readonly procs = new Map<string, ChildProcess>();

  add(id: string, child: ChildProcess): void {
    this.procs.set(id, child);
  }

  get(id: string): ChildProcess | undefined {
    return this.procs.get(id);
  }

  ids(): string[] {
    return [...this.procs.keys()];
  }

  isRunning(id: string): boolean {
    const p = this.procs.get(id);
    return p !== undefined && p.exitCode === null && p.signalCode === null;
  }

  pid(id: string): number | undefined {
    return this.procs.get(id)?.pid;
  }

  /** Send `signal` (SIGKILL: no shutdown code runs, as in a power cut) and wait for the exit. */
  async kill(id: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.procs.get(id);
    if (p === undefined || !this.isRunning(id)) return;
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill(signal);
    await exited;
  }

  async killAll(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await Promise.all(this.ids().map((id) => this.kill(id, signal)));
  }
}
