import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ProcessGroup, freePort } from '@quorumlock/raft/testing';
import { etcdStatus } from './etcd-session';

/** Debian's etcd-server package puts the server here. */
const ETCD_BIN = '/usr/bin/etcd';

/** Install Debian's etcd-server when `etcd` is missing (CI and these machines run as root). */
export function ensureEtcd(log: (s: string) => void): string {
  if (fs.existsSync(ETCD_BIN)) return ETCD_BIN;
  log('etcd not found: installing Debian package etcd-server');
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', 'etcd-server']]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${r.status ?? r.signal}); install etcd-server by hand`);
  }
  if (!fs.existsSync(ETCD_BIN)) throw new Error(`etcd-server installed but ${ETCD_BIN} is missing`);
  return ETCD_BIN;
}

interface Member {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
}

/**
 * A 3-member etcd on 127.0.0.1 with its default settings (fsync on, 100 ms heartbeat, 1 s
 * election timeout), each member with its own data dir under one temporary folder.
 */
export class EtcdCluster {
  private readonly procs = new ProcessGroup();
  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    readonly members: readonly Member[],
  ) {}

  static async create(bin: string, size = 3): Promise<EtcdCluster> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-etcd-'));
    const members: Member[] = [];
    for (let i = 1; i <= size; i++) members.push({ name: `e${i}`, clientPort: await freePort(), peerPort: await freePort() });
    return new EtcdCluster(bin, dir, members);
  }

  endpoints(): string[] {
    return this.members.map((m) => `127.0.0.1:${m.clientPort}`);
  }

  /** The pids of the members still running. */
  pids(): number[] {
    return this.members.filter((m) => this.procs.isRunning(m.name)).map((m) => this.procs.pid(m.name)).filter((p): p is number => p !== undefined);
  }

  async startAll(): Promise<void> {
    const initial = this.members.map((m) => `${m.name}=http://127.0.0.1:${m.peerPort}`).join(',');
    for (const m of this.members) {
      const client = `http://127.0.0.1:${m.clientPort}`;
      const peer = `http://127.0.0.1:${m.peerPort}`;
      const log = fs.openSync(path.join(this.dir, `${m.name}.log`), 'a');
      const child = spawn(
        this.bin,
        [
          '--name', m.name, '--data-dir', path.join(this.dir, m.name),
          '--listen-client-urls', client, '--advertise-client-urls', client,
          '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
          '--initial-cluster', initial, '--initial-cluster-state', 'new', '--initial-cluster-token', path.basename(this.dir),
        ],
        { stdio: ['ignore', log, log] },
      );
      fs.closeSync(log);
      this.procs.add(m.name, child);
    }
    await this.leader(20_000);
  }

  /** The leading member, once one is known to a live member within `timeoutMs`. */
  async leader(timeoutMs = 10_000): Promise<{ name: string; address: string; pid: number }> {
    const until = performance.now() + timeoutMs;
    while (performance.now() < until) {
      const byId = new Map<string, Member>();
      let leaderId = '';
      for (const m of this.members) {
        if (!this.procs.isRunning(m.name)) continue;
        try {
          const st = await etcdStatus(`127.0.0.1:${m.clientPort}`);
          byId.set(st.memberId, m);
          if (st.leader !== '0') leaderId = st.leader;
        } catch {
          // not serving yet
        }
      }
      const lead = byId.get(leaderId);
      const pid = lead !== undefined ? this.procs.pid(lead.name) : undefined;
      if (lead !== undefined && pid !== undefined) return { name: lead.name, address: `127.0.0.1:${lead.clientPort}`, pid };
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`etcd elected no leader within ${timeoutMs} ms (logs in ${this.dir})`);
  }

  kill(name: string): Promise<void> {
    return this.procs.kill(name, 'SIGKILL');
  }

  async destroy(): Promise<void> {
    await this.procs.killAll('SIGKILL');
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
