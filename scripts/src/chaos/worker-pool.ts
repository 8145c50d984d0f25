/**
 * The chaos run's worker processes: each a forked worker.js with its own client proxies in front
 * of every node, started, killed by the nemesis (and replaced), stopped at the end.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { type CoordinatorCluster, FaultProxy } from '@quorumlock/coordinator/testing';
import type { PemTls } from './chaos-tls';
import { now, RESOURCES, TTL_MS } from './run-settings';
import type { WorkerConfig } from './worker';

export interface WorkerProc {
  readonly id: string;
  readonly child: ChildProcess;
  readonly proxies: FaultProxy[];
  killedAt: number;
  exit?: { code: number | null; signal: string | null };
}

export interface WorkerPoolOptions {
  readonly cluster: CoordinatorCluster;
  readonly seed: number;
  readonly storeUrl: string;
  /** Each worker writes its history to `<historyDir>/<id>.jsonl`. */
  readonly historyDir: string;
  readonly tls: PemTls | undefined;
}

export class WorkerPool {
  /** Running workers by id. */
  readonly workers = new Map<string, WorkerProc>();
  /** Workers killed or stopped, in that order: what the history is judged with. */
  readonly finished: WorkerProc[] = [];
  private seq = 0;

  constructor(private readonly options: WorkerPoolOptions) {}

  async start(): Promise<void> {
    const { cluster, seed, storeUrl, historyDir, tls } = this.options;
    const id = `w${++this.seq}`;
    const proxies: FaultProxy[] = [];
    const dialMap: Record<string, string> = {};
    for (const n of cluster.ids) {
      const a = cluster.address(n);
      const p = new FaultProxy(a);
      await p.start();
      proxies.push(p);
      dialMap[a] = p.address;
    }
    const cfg: WorkerConfig = {
      id,
      seed: seed * 1000 + this.seq,
      endpoints: cluster.endpoints(),
      dialMap,
      storeUrl,
      historyFile: path.join(historyDir, `${id}.jsonl`),
      ttlMs: TTL_MS,
      resources: RESOURCES,
      waitTimeoutMs: 8000,
      longHoldRate: 0.15,
      tls,
    };
    const child = fork(path.join(__dirname, 'worker.js'), [JSON.stringify(cfg)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const wp: WorkerProc = { id, child, proxies, killedAt: 0 };
    child.once('exit', (code, signal) => (wp.exit = { code, signal }));
    this.workers.set(id, wp);
  }

  /** SIGKILLs worker `id` (the nemesis's crash) and starts a new one in its place. */
  async kill(id: string): Promise<void> {
    const wp = this.workers.get(id);
    if (wp === undefined) return;
    this.workers.delete(id);
    wp.killedAt = now();
    wp.child.kill('SIGKILL');
    this.finished.push(wp);
    await this.start();
  }

  /** SIGTERMs every running worker and waits for it to exit (SIGKILL after 15 s). */
  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.workers.values()].map(async (w) => {
        const exited = new Promise<void>((resolve) => w.child.once('exit', () => resolve()));
        w.child.kill('SIGTERM');
        const t = setTimeout(() => w.child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(t);
        this.finished.push(w);
      }),
    );
  }

  /** SIGKILLs every worker still in the running list. */
  killAll(): void {
    for (const w of this.workers.values()) w.child.kill('SIGKILL');
  }

  async closeProxies(): Promise<void> {
    for (const w of [...this.workers.values(), ...this.finished]) for (const p of w.proxies) await p.close();
  }
}
