import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { AdminClient, type ClusterStatus } from '@quorumlock/client';
import { expandEnv, type PodSpec } from './manifest';

export const NAMESPACE = 'default';

export interface SimOptions {
  readonly spec: PodSpec;
  /** Where PVC folders and pod logs go. */
  readonly baseDir: string;
  /** The repository root: the image's /app/server is packages/coordinator here. */
  readonly repoRoot: string;
  /** First three octets of the pods' loopback addresses, e.g. '127.31.7': pod i is .(10 + i). */
  readonly subnet: string;
  /** Environment set on top of the manifest's (the simulator's shorter timeouts); reported. */
  readonly envOverrides: Readonly<Record<string, string>>;
}

interface Pod {
  readonly ordinal: number;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A StatefulSet run with processes: pod `<set>-<i>` is `node` with the container's command and
 * environment from the rendered manifest, HOSTNAME and POD_NAME its name, its IP 127.x.y.(10+i)
 * (so every pod listens on the same ports, as in a cluster), its data dir a "PVC" folder kept
 * across pod deletions. Deleting a pod is what the kubelet does: SIGTERM, then SIGKILL after
 * terminationGracePeriodSeconds. The headless Service's names resolve through a hosts file the
 * pods' resolver reads (hosts-shim.ts); a pod's name resolves only while the pod exists.
 */
export class SimStatefulSet {
  private readonly pods = new Map<number, Pod>();
  private readonly hostsFile: string;
  readonly admin: AdminClient;

  constructor(readonly o: SimOptions) {
    fs.mkdirSync(path.join(o.baseDir, 'pvc'), { recursive: true });
    fs.mkdirSync(path.join(o.baseDir, 'logs'), { recursive: true });
    this.hostsFile = path.join(o.baseDir, 'hosts.json');
    this.writeHosts();
    this.admin = new AdminClient({ endpoints: this.clientEndpoints(7), dialMap: this.dialMap(7), callDeadlineMs: 2000, backoff: { budgetMs: 3000, maxMs: 200 } });
  }

  podName(i: number): string {
    return `${this.o.spec.setName}-${i}`;
  }

  podIp(i: number): string {
    return `${this.o.subnet}.${10 + i}`;
  }

  dnsName(i: number): string {
    return `${this.podName(i)}.${this.o.spec.serviceName}.${NAMESPACE}.svc.cluster.local`;
  }

  port(name: string): number {
    const p = this.o.spec.ports[name];
    if (p === undefined) throw new Error(`the manifest's container has no port '${name}' (has ${Object.keys(this.o.spec.ports).join(', ')})`);
    return p;
  }

  /** How clients name the members (their advertised addresses) for `n` ordinals. */
  clientEndpoints(n: number): string[] {
    return Array.from({ length: n }, (_, i) => `${this.dnsName(i)}:${this.port('grpc-client')}`);
  }

  /** Advertised client address -> the pod's address, for SDK clients outside the "cluster". */
  dialMap(n: number): Record<string, string> {
    return Object.fromEntries(Array.from({ length: n }, (_, i) => [`${this.dnsName(i)}:${this.port('grpc-client')}`, `${this.podIp(i)}:${this.port('grpc-client')}`]));
  }

  pvcDir(i: number): string {
    return path.join(this.o.baseDir, 'pvc', `data-${this.podName(i)}`);
  }

  logFile(i: number): string {
    return path.join(this.o.baseDir, 'logs', `${this.podName(i)}.log`);
  }

  running(): number[] {
    return [...this.pods.keys()].sort((a, b) => a - b);
  }

  isRunning(i: number): boolean {
    return this.pods.has(i);
  }

  private writeHosts(): void {
    const hosts: Record<string, string> = {};
    for (const i of this.pods.keys()) hosts[this.dnsName(i)] = this.podIp(i);
    fs.writeFileSync(`${this.hostsFile}.tmp`, JSON.stringify(hosts));
    fs.renameSync(`${this.hostsFile}.tmp`, this.hostsFile);
  }

  /** The container as the kubelet starts it: command, environment, volume. */
  createPod(i: number): void {
    if (this.pods.has(i)) throw new Error(`pod ${this.podName(i)} already exists`);
    const s = this.o.spec;
    const name = this.podName(i);
    const ip = this.podIp(i);
    const env = expandEnv(s.env, { 'metadata.name': name, 'metadata.namespace': NAMESPACE, 'status.podIP': ip }, this.o.envOverrides);
    // In a pod, 0.0.0.0 and 127.0.0.1 are the pod's own interfaces; here, its own loopback address.
    for (const [k, v] of Object.entries(env)) env[k] = v.replace(/^0\.0\.0\.0:/, `${ip}:`).replace(/^127\.0\.0\.1:/, `${ip}:`);
    // The data volume is mounted at the data dir: the PVC folder stands in for it.
    for (const [k, v] of Object.entries(env)) if (v === s.dataMountPath || v.startsWith(`${s.dataMountPath}/`)) env[k] = this.pvcDir(i) + v.slice(s.dataMountPath.length);
    fs.mkdirSync(this.pvcDir(i), { recursive: true });
    const shim = path.join(__dirname, 'hosts-shim.js');
    const [cmd, ...args] = s.command.map((a) => a.replace(/^\/app\/server\//, `${path.join(this.o.repoRoot, 'packages', 'coordinator')}/`));
    if (cmd === undefined) throw new Error('the manifest\'s container has no command');
    const log = fs.openSync(this.logFile(i), 'a');
    const child = spawn(cmd === 'node' ? process.execPath : cmd, args, {
      stdio: ['ignore', log, log],
      env: { PATH: process.env['PATH'] ?? '', ...env, HOSTNAME: name, QUORUMLOCK_SIM_HOSTS: this.hostsFile, NODE_OPTIONS: `${env['NODE_OPTIONS'] ?? ''} --require ${shim}`.trim() },
    });
    fs.closeSync(log);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    this.pods.set(i, { ordinal: i, child, exited });
    this.writeHosts();
  }

  /**
   * Delete a pod as the kubelet does: SIGTERM, then SIGKILL once terminationGracePeriodSeconds
   * passed. Resolves with how long it took to stop and whether it had to be killed.
   */
  async deletePod(i: number): Promise<{ ms: number; killed: boolean }> {
    const pod = this.pods.get(i);
    if (pod === undefined) throw new Error(`pod ${this.podName(i)} does not exist`);
    const t0 = performance.now();
    pod.child.kill('SIGTERM');
    let killed = false;
    const grace = sleep(this.o.spec.terminationGracePeriodSeconds * 1000).then(() => 'grace' as const);
    if ((await Promise.race([pod.exited.then(() => 'exited' as const), grace])) === 'grace') {
      killed = true;
      pod.child.kill('SIGKILL');
      await pod.exited;
    }
    this.pods.delete(i);
    this.writeHosts();
    return { ms: Math.round(performance.now() - t0), killed };
  }

  deletePvc(i: number): void {
    if (this.pods.has(i)) throw new Error(`PVC of ${this.podName(i)} is in use`);
    fs.rmSync(this.pvcDir(i), { recursive: true, force: true });
  }

  /** GET the readiness probe's path on the pod's IP and port. */
  probeReady(i: number): Promise<boolean> {
    return new Promise((resolve) => {
      const req = http.get({ host: this.podIp(i), port: this.o.spec.readinessPort, path: this.o.spec.readinessPath, timeout: 2000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
    });
  }

  async waitReady(ordinals: readonly number[], timeoutMs: number): Promise<number> {
    const t0 = performance.now();
    for (;;) {
      const ready = await Promise.all(ordinals.map((i) => this.probeReady(i)));
      if (ready.every(Boolean)) return Math.round(performance.now() - t0);
      const dead = ordinals.filter((i) => !this.pods.has(i));
      if (dead.length > 0) throw new Error(`pods ${dead.map((i) => this.podName(i)).join(', ')} do not exist`);
      if (performance.now() - t0 > timeoutMs) {
        throw new Error(`pods not ready within ${timeoutMs} ms: ${ordinals.filter((_, k) => !ready[k]).map((i) => this.podName(i)).join(', ')}`);
      }
      await sleep(100);
    }
  }

  async leaderStatus(): Promise<ClusterStatus | null> {
    return this.admin.leaderStatus({ deadlineMs: 1500, signal: AbortSignal.timeout(3000) }).catch(() => null);
  }

  /** Voters and learners as the leader's configuration lists them. */
  async configuration(): Promise<{ voters: string[]; learners: string[]; leader: string } | null> {
    const st = await this.leaderStatus();
    if (st === null) return null;
    return {
      voters: st.members.filter((m) => m.voter).map((m) => m.id).sort(),
      learners: st.members.filter((m) => !m.voter).map((m) => m.id).sort(),
      leader: st.leaderId,
    };
  }

  async destroy(): Promise<void> {
    this.admin.close();
    for (const pod of this.pods.values()) pod.child.kill('SIGKILL');
    await Promise.all([...this.pods.values()].map((p) => p.exited));
    this.pods.clear();
  }
}
