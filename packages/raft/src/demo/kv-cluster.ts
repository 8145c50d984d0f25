import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KvNodeRequest, KvNodeStatus } from './kv-node';
import { ProcessGroup } from './process-group';

type Reply = { rid: number; ok: true; result: unknown } | { rid: number; ok: false; error: string; leader: string };
type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;
export type KvCall = DistributiveOmit<KvNodeRequest, 'rid'>;

/** A free TCP port on 127.0.0.1 (bound and released; good enough for tests on one machine). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr !== null ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface KvClusterOptions {
  readonly size: number;
  readonly tickMs?: number;
  readonly snapshotEntries?: number;
  readonly keepEntries?: number;
  /** Where data dirs go; a fresh temp dir by default (removed by `destroy`). */
  readonly baseDir?: string;
  readonly quiet?: boolean;
  /** Inherit the children's stderr (logs) instead of discarding it. */
  readonly showLogs?: boolean;
}

/**
 * Real kv-node processes on 127.0.0.1 with LevelDB in their own directories, controlled over IPC.
 * Processes are tracked by pid and killed for real (SIGKILL) by `kill`.
 */
export class KvCluster {
  readonly ids: string[];
  readonly ports = new Map<string, number>();
  readonly baseDir: string;
  private readonly procs = new ProcessGroup();
  private readonly waiters = new Map<number, (r: Reply) => void>();
  private rid = 1;
  private readonly ownsDir: boolean;

  private constructor(readonly opts: KvClusterOptions, baseDir: string, ownsDir: boolean) {
    this.ids = Array.from({ length: opts.size }, (_, i) => `n${i + 1}`);
    this.baseDir = baseDir;
    this.ownsDir = ownsDir;
  }

  static async create(opts: KvClusterOptions): Promise<KvCluster> {
    const owns = opts.baseDir === undefined;
    const dir = opts.baseDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'quorumlock-raft-'));
    const c = new KvCluster(opts, dir, owns);
    for (const id of c.ids) c.ports.set(id, await freePort());
    return c;
  }

  peersArg(ids: readonly string[] = this.ids): string {
    return ids.map((id) => `${id}=127.0.0.1:${this.ports.get(id) ?? 0}`).join(',');
  }

  /** Start (or restart) a node; resolves once it reports started. */
  async start(id: string, extra: { join?: boolean } = {}): Promise<void> {
    if (!this.ports.has(id)) this.ports.set(id, await freePort());
    const script = path.join(__dirname, 'kv-node.js');
    const args = [
      '--id', id,
      '--dir', path.join(this.baseDir, id),
      '--listen', `127.0.0.1:${this.ports.get(id) ?? 0}`,
      '--peers', this.peersArg(extra.join ? [...this.ids, id] : this.ids),
      '--tick-ms', String(this.opts.tickMs ?? 50),
      '--snapshot-entries', String(this.opts.snapshotEntries ?? 10_000),
      '--keep-entries', String(this.opts.keepEntries ?? 1_000),
    ];
    if (extra.join) args.push('--join');
    if (this.opts.quiet ?? true) args.push('--quiet');
    const child = fork(script, args, { stdio: ['ignore', 'ignore', this.opts.showLogs ? 'inherit' : 'ignore', 'ipc'] });
    this.procs.add(id, child);
    const started = new Promise<void>((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`node ${id} exited with ${String(code)} before starting`));
      child.once('exit', onExit);
      child.on('message', (raw: unknown) => {
        const m = raw as Reply;
        if (m.rid === 0) {
          child.off('exit', onExit);
          resolve();
          return;
        }
        const w = this.waiters.get(m.rid);
        if (w !== undefined) {
          this.waiters.delete(m.rid);
          w(m);
        }
      });
    });
    await started;
  }

  async startAll(): Promise<void> {
    await Promise.all(this.ids.map((id) => this.start(id)));
  }

  isRunning(id: string): boolean {
    return this.procs.isRunning(id);
  }

  pid(id: string): number | undefined {
    return this.procs.pid(id);
  }

  /** SIGKILL: no shutdown code runs, unsynced writes are lost as in a power cut of the process. */
  kill(id: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    return this.procs.kill(id, signal);
  }

  call<T = unknown>(id: string, req: KvCall, timeoutMs = 10_000): Promise<T> {
    const p = this.procs.get(id);
    if (p === undefined || !this.isRunning(id)) return Promise.reject(new Error(`node ${id} is not running`));
    const rid = this.rid++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(rid);
        reject(new Error(`node ${id}: ${req.op} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(rid, (r) => {
        clearTimeout(timer);
        if (r.ok) resolve(r.result as T);
        else reject(new Error(`node ${id}: ${r.error}`));
      });
      p.send({ ...req, rid });
    });
  }

  status(id: string): Promise<KvNodeStatus> {
    return this.call<KvNodeStatus>(id, { op: 'status' });
  }

  /** Wait until exactly one running node is leader and the others agree; returns its id. */
  async waitLeader(timeoutMs = 10_000, among: readonly string[] = this.ids): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      const live = among.filter((id) => this.isRunning(id));
      const sts = await Promise.all(live.map((id) => this.status(id).catch(() => null)));
      const leaders = sts.filter((s) => s?.role === 'leader');
      last = sts.map((s) => (s ? `${s.id}:${s.role}/t${s.term}` : '?')).join(' ');
      const l = leaders[0];
      if (leaders.length === 1 && l && sts.every((s) => s?.leader === l.id)) return l.id;
      await sleep(50);
    }
    throw new Error(`no single leader within ${timeoutMs} ms: ${last}`);
  }

  /** Wait until every running node applied at least `index` and all digests agree. */
  async waitConverged(index: number, timeoutMs = 15_000): Promise<KvNodeStatus[]> {
    const deadline = Date.now() + timeoutMs;
    let sts: KvNodeStatus[] = [];
    while (Date.now() < deadline) {
      sts = await Promise.all(this.ids.filter((id) => this.isRunning(id)).map((id) => this.status(id)));
      if (sts.every((s) => s.applied >= index) && new Set(sts.map((s) => s.digest)).size === 1) return sts;
      await sleep(100);
    }
    throw new Error(`not converged on ${index} within ${timeoutMs} ms: ${JSON.stringify(sts.map((s) => [s.id, s.applied, s.digest]))}`);
  }

  async destroy(): Promise<void> {
    await this.procs.killAll('SIGKILL');
    if (this.ownsDir) fs.rmSync(this.baseDir, { recursive: true, force: true });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
