import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ProcessGroup, freePort } from '@quorumlock/raft/testing';
import type { AdminServiceClient, StatusResponse__Output } from '@quorumlock/proto';
import { v1 } from '../server/proto';
import { OFFSET_FILE_ENV } from './test-wall-clock-offset-env';
import type { CertPair, TestCa, TlsMaterial } from './test-pki';

/** TLS on every node, certificates from `ca` (test-pki.ts). */
export interface ClusterTlsOptions {
  readonly ca: TestCa;
  /** TLS on the client port (default true). */
  readonly client?: boolean;
  /** With `client`: --client-cert-auth (default true). */
  readonly clientCertAuth?: boolean;
  /** Mutual TLS on the peer port (default true). */
  readonly peer?: boolean;
  /** --tls-reload-ms. */
  readonly reloadMs?: number;
}

export interface CoordinatorClusterOptions {
  readonly size: number;
  /** Extra flags for every server, e.g. ['--tick-ms', '50']. */
  readonly args?: readonly string[];
  /** Where data dirs and logs go; a fresh temp dir by default (removed by `destroy`). */
  readonly baseDir?: string;
  /** Fixed ports: client ports start here, peer ports at +1000 (default: free ports). */
  readonly basePort?: number;
  readonly logLevel?: string;
  /**
   * The address node `from` dials to reach node `to`'s peer port (default: `to`'s own). The
   * chaos suite puts a proxy on every directed link this way.
   */
  readonly peerRoute?: (from: string, to: string) => string;
  /** Node flags for the server processes, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof']. */
  readonly execArgv?: readonly string[];
  /**
   * Test only: preload test-wall-clock-offset into every server, so `stepClock` can step its
   * wall clock (Date) at runtime.
   */
  readonly steppableClocks?: boolean;
  /**
   * Start each server in a process group of its own, so a terminal's Ctrl-C (SIGINT to the
   * foreground group) reaches only the parent, which can then stop them in order (the leader
   * first). Each server also stops itself (SIGTERM) when the parent's process ends without
   * stopping it (exit-with-parent.ts), so none is left behind.
   */
  readonly detached?: boolean;
  /** Give every node a --metrics-listen HTTP server (/metrics, /livez, /readyz) on a free port. */
  readonly metrics?: boolean;
  /**
   * Authorization on every node: the contents of the policy and token files (written to
   * `policyFile` and `tokenFile` in baseDir, which a test may rewrite to see them reloaded), and
   * the bearer token the harness's own Status calls send (a reader's or an admin's).
   */
  readonly auth?: { readonly policy: string; readonly tokens: string; readonly harnessToken: string } | undefined;
  /** TLS on the nodes' ports; the cluster's own Status calls then use a client certificate. */
  readonly tls?: ClusterTlsOptions | undefined;
}

/** AdminService.Status as a node answers it. */
export type StatusView = StatusResponse__Output;

/**
 * Real quorumlock-server processes on 127.0.0.1, each with its own LevelDB directory and log
 * file (`<baseDir>/<id>.log`). They are tracked by pid and killed for real.
 */
export class CoordinatorCluster {
  readonly ids: string[];
  readonly clientPorts = new Map<string, number>();
  readonly peerPorts = new Map<string, number>();
  /** With `metrics`: each node's HTTP port for /metrics, /livez and /readyz. */
  readonly metricsPorts = new Map<string, number>();
  readonly baseDir: string;
  private readonly procs = new ProcessGroup();
  private readonly admins = new Map<string, AdminServiceClient>();
  private readonly ownsDir: boolean;
  /** With `tls`: each member's client-port and peer certificates, and the harness's client certificate. */
  readonly serverCerts = new Map<string, CertPair>();
  readonly peerCerts = new Map<string, CertPair>();
  private adminCert: CertPair | undefined;
  /** Servers that have said `started` (the preload's SIGUSR2 handler is in place) and not exited. */
  private readonly serving = new Set<string>();

  private constructor(readonly opts: CoordinatorClusterOptions, baseDir: string, ownsDir: boolean) {
    this.ids = Array.from({ length: opts.size }, (_, i) => `n${i + 1}`);
    this.baseDir = baseDir;
    this.ownsDir = ownsDir;
  }

  static async create(opts: CoordinatorClusterOptions): Promise<CoordinatorCluster> {
    const owns = opts.baseDir === undefined;
    const dir = opts.baseDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'quorumlock-'));
    fs.mkdirSync(dir, { recursive: true });
    const c = new CoordinatorCluster(opts, dir, owns);
    if (opts.auth !== undefined) {
      fs.writeFileSync(c.policyFile, opts.auth.policy);
      fs.writeFileSync(c.tokenFile, opts.auth.tokens);
    }
    for (const [i, id] of c.ids.entries()) {
      c.clientPorts.set(id, opts.basePort !== undefined ? opts.basePort + i : await freePort());
      c.peerPorts.set(id, opts.basePort !== undefined ? opts.basePort + 1000 + i : await freePort());
      if (opts.metrics === true) c.metricsPorts.set(id, opts.basePort !== undefined ? opts.basePort + 2000 + i : await freePort());
    }
    if (opts.tls !== undefined) {
      for (const id of c.ids) {
        c.serverCerts.set(id, opts.tls.ca.server(id));
        c.peerCerts.set(id, opts.tls.ca.peer(id));
      }
      c.adminCert = opts.tls.ca.client('test-harness');
    }
    return c;
  }

  address(id: string): string {
    return `127.0.0.1:${this.clientPorts.get(id) ?? 0}`;
  }

  endpoints(): string[] {
    return this.ids.map((id) => this.address(id));
  }

  /** host:port of a node's metrics and health HTTP server ('' without `metrics`). */
  metricsAddress(id: string): string {
    const port = this.metricsPorts.get(id);
    return port === undefined ? '' : `127.0.0.1:${port}`;
  }

  peerAddress(id: string): string {
    return `127.0.0.1:${this.peerPorts.get(id) ?? 0}`;
  }

  /** The founding members as node `from` is told to reach them. */
  initialCluster(from?: string): string {
    const route = this.opts.peerRoute;
    return this.ids
      .map((id) => `${id}=${from !== undefined && route !== undefined && id !== from ? route(from, id) : this.peerAddress(id)}/${this.address(id)}`)
      .join(',');
  }

  logFile(id: string): string {
    return path.join(this.baseDir, `${id}.log`);
  }

  /** With `auth`: the policy file every node reads (--auth-policy-file). */
  get policyFile(): string {
    return path.join(this.baseDir, 'auth-policy.yaml');
  }

  /** With `auth`: the token file every node reads (--auth-token-file). */
  get tokenFile(): string {
    return path.join(this.baseDir, 'auth-tokens.csv');
  }

  /** Start (or restart) a node and wait until it serves. */
  async start(id: string, extra: readonly string[] = []): Promise<void> {
    const script = path.join(__dirname, '..', 'main.js');
    const args = [
      '--id', id,
      '--data-dir', path.join(this.baseDir, id),
      '--listen-client', this.address(id),
      '--listen-peer', `127.0.0.1:${this.peerPorts.get(id) ?? 0}`,
      '--initial-cluster', this.initialCluster(id),
      '--log-level', this.opts.logLevel ?? 'info',
      ...(this.metricsPorts.has(id) ? ['--metrics-listen', this.metricsAddress(id)] : []),
      ...(this.opts.auth === undefined ? [] : ['--auth-policy-file', this.policyFile, '--auth-token-file', this.tokenFile]),
      ...this.tlsArgs(id),
      ...(this.opts.args ?? []),
      ...extra,
    ];
    const log = fs.openSync(this.logFile(id), 'a');
    const clockArgs = this.opts.steppableClocks === true ? ['--require', path.join(__dirname, 'test-wall-clock-offset.js')] : [];
    const detached = this.opts.detached === true;
    const parentArgs = detached ? ['--require', path.join(__dirname, 'exit-with-parent.js')] : [];
    const env = this.opts.steppableClocks === true ? { ...process.env, [OFFSET_FILE_ENV]: this.clockOffsetFile(id) } : process.env;
    const child = fork(script, args, { stdio: ['ignore', log, log, 'ipc'], execArgv: [...(this.opts.execArgv ?? []), ...clockArgs, ...parentArgs], env, detached });
    fs.closeSync(log);
    this.procs.add(id, child);
    this.serving.delete(id);
    child.once('exit', () => {
      if (this.procs.get(id) === child) this.serving.delete(id);
    });
    await new Promise<void>((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`server ${id} exited with ${String(code)} before serving; see ${this.logFile(id)}`));
      child.once('exit', onExit);
      child.on('message', (m: unknown) => {
        if (typeof m === 'object' && m !== null && (m as { type?: string }).type === 'started') {
          child.off('exit', onExit);
          this.serving.add(id);
          resolve();
        }
      });
    });
  }

  /**
   * Start every node of a new cluster. A free port is only free until someone binds it (another
   * test process may take it first), so when a node dies before serving, everything is stopped
   * and started again on fresh ports with empty data directories.
   */
  async startAll(attempts = 3): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await Promise.all(this.ids.map((id) => this.start(id)));
        await this.waitAllVoters();
        return;
      } catch (e) {
        if (attempt >= attempts || this.opts.basePort !== undefined) throw e;
        await this.procs.killAll('SIGKILL');
        for (const id of this.ids) {
          fs.rmSync(path.join(this.baseDir, id), { recursive: true, force: true });
          this.clientPorts.set(id, await freePort());
          this.peerPorts.set(id, await freePort());
          if (this.metricsPorts.has(id)) this.metricsPorts.set(id, await freePort());
        }
      }
    }
  }

  /**
   * A founder that started late may find its peers already leading and rejoin as a learner
   * (founder-check.ts): a new cluster is whole once the leader lists every node as a voter.
   */
  async waitAllVoters(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      const leader = await this.waitLeader(Math.max(1000, deadline - Date.now())).catch(() => '');
      const st = leader === '' ? null : await this.status(leader, 1000).catch(() => null);
      if (st !== null) {
        last = st.members.map((m) => `${m.id}:${m.role}`).join(' ');
        if (this.ids.every((id) => st.members.some((m) => m.id === id && m.role !== 'learner'))) return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`not every node is a voter within ${timeoutMs} ms: ${last}`);
  }

  isRunning(id: string): boolean {
    return this.procs.isRunning(id);
  }

  pid(id: string): number | undefined {
    return this.procs.pid(id);
  }

  kill(id: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    return this.procs.kill(id, signal);
  }

  /** SIGSTOP/SIGCONT: freeze a process as a long GC pause or a stalled VM would. */
  pause(id: string): void {
    this.procs.get(id)?.kill('SIGSTOP');
  }

  resume(id: string): void {
    this.procs.get(id)?.kill('SIGCONT');
  }

  private clockOffsetFile(id: string): string {
    return path.join(this.baseDir, `${id}.wall-clock-offset`);
  }

  /**
   * Test only (needs `steppableClocks`): set node `id`'s wall clock to the real time + `offsetMs`
   * (absolute, not cumulative: 0 steps it back to true time), as an NTP step or `date -s` would.
   * Resolves once the running server applied it; a stopped one starts with it. The offset stays
   * across restarts, as a host's clock would.
   */
  async stepClock(id: string, offsetMs: number, timeoutMs = 5000): Promise<void> {
    if (this.opts.steppableClocks !== true) throw new Error('stepClock needs CoordinatorCluster.create({ steppableClocks: true })');
    if (!this.ids.includes(id)) throw new Error(`stepClock: unknown node '${id}' (nodes: ${this.ids.join(', ')})`);
    if (!Number.isSafeInteger(offsetMs)) throw new Error(`stepClock: offset ${offsetMs} is not an integer number of ms`);
    const file = this.clockOffsetFile(id);
    fs.writeFileSync(`${file}.tmp`, String(offsetMs));
    fs.renameSync(`${file}.tmp`, file);
    fs.rmSync(`${file}.applied`, { force: true });
    const child = this.procs.get(id);
    if (!this.serving.has(id) || child === undefined) return;
    child.kill('SIGUSR2');
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      let applied = '';
      try {
        applied = fs.readFileSync(`${file}.applied`, 'utf8');
      } catch {
        // not yet
      }
      if (applied === String(offsetMs)) return;
      if (!this.serving.has(id)) return; // it died meanwhile; it starts with the new offset
      if (performance.now() > deadline) throw new Error(`stepClock: ${id} did not apply offset ${offsetMs} ms within ${timeoutMs} ms (paused?)`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** The TLS flags of node `id` (none without `tls`). */
  tlsArgs(id: string): string[] {
    const tls = this.opts.tls;
    if (tls === undefined) return [];
    const server = this.serverCerts.get(id);
    const peer = this.peerCerts.get(id);
    const args: string[] = [];
    if (tls.client !== false && server !== undefined) {
      args.push('--cert-file', server.cert, '--key-file', server.key, '--trusted-ca-file', tls.ca.caFile);
      if (tls.clientCertAuth !== false) args.push('--client-cert-auth');
    }
    if (tls.peer !== false && peer !== undefined) args.push('--peer-cert-file', peer.cert, '--peer-key-file', peer.key, '--peer-trusted-ca-file', tls.ca.caFile);
    if (tls.reloadMs !== undefined) args.push('--tls-reload-ms', String(tls.reloadMs));
    return args;
  }

  /**
   * PEM for an SDK's `tls` option against this cluster: the CA and a client certificate (CN
   * `name`, made on first use); undefined when the client port is plaintext.
   */
  clientTls(name = 'test-harness'): TlsMaterial | undefined {
    const tls = this.opts.tls;
    if (tls === undefined || tls.client === false) return undefined;
    const pair = name === 'test-harness' && this.adminCert !== undefined ? this.adminCert : tls.ca.client(name);
    return tls.ca.material(pair);
  }

  private admin(id: string): AdminServiceClient {
    let c = this.admins.get(id);
    if (c === undefined) {
      const m = this.clientTls();
      const creds = m === undefined ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(m.ca, m.key ?? null, m.cert ?? null);
      // The test server certificates name localhost too: SNI may not carry an IP address (RFC 6066).
      c = new v1.AdminService(this.address(id), creds, m === undefined ? {} : { 'grpc.ssl_target_name_override': 'localhost' });
      this.admins.set(id, c);
    }
    return c;
  }

  /** AdminService.Status as answered by `id` itself (`resetLoopStall` starts a new stall window). */
  status(id: string, timeoutMs = 2000, req: { resetLoopStall?: boolean } = {}): Promise<StatusView> {
    const c = this.admin(id);
    const md = new grpc.Metadata();
    if (this.opts.auth !== undefined) md.set('authorization', `Bearer ${this.opts.auth.harnessToken}`);
    return new Promise((resolve, reject) => {
      c.status(req, md, { deadline: Date.now() + timeoutMs }, (err, res) => (err || res === undefined ? reject(err ?? new Error('empty status')) : resolve(res)));
    });
  }

  /** Wait until the running nodes agree on one leader; returns its id. */
  async waitLeader(timeoutMs = 15_000, among: readonly string[] = this.ids): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      const live = among.filter((id) => this.isRunning(id));
      const sts = await Promise.all(live.map((id) => this.status(id, 1000).catch(() => null)));
      const leaders = new Set(sts.map((s) => s?.leaderId ?? '?'));
      last = sts.map((s, i) => `${live[i]}:${s ? `leader=${s.leaderId}/t${s.term}` : 'no answer'}`).join(' ');
      const [only] = [...leaders];
      if (leaders.size === 1 && only !== undefined && only !== '' && only !== '?' && live.includes(only)) {
        const self = sts.find((s) => s?.answeredBy === only);
        if (self?.members.find((m) => m.id === only)?.role === 'leader') return only;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no agreed leader within ${timeoutMs} ms: ${last}`);
  }

  async destroy(): Promise<void> {
    for (const c of this.admins.values()) c.close();
    this.admins.clear();
    await this.procs.killAll('SIGKILL');
    if (this.ownsDir) fs.rmSync(this.baseDir, { recursive: true, force: true });
  }
}
