/**
 * Where `pnpm start` and `pnpm observe` put their local cluster: the port base (client ports
 * base..base+2, peer ports +1000, metrics ports +2000, as CoordinatorCluster's `basePort`), the
 * data dir, and a clean stop. A second copy (another terminal, or a test) picks another base,
 * or 0 for free ports, which the scripts print.
 */
import * as net from 'node:net';
import type { CoordinatorCluster } from '@quorumlock/coordinator/testing';

export const DEFAULT_PORT_BASE = 6001;
export const PORT_BASE_ENV = 'QUORUMLOCK_PORT_BASE';
const NODES = 3;
const HIGHEST_OFFSET = 2000 + NODES - 1;

/** `--port-base` (or $QUORUMLOCK_PORT_BASE, or 6001): 0 means free ports. Names a bad value. */
export function parsePortBase(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): number {
  const fromEnv = env[PORT_BASE_ENV];
  const raw = flag ?? (fromEnv === undefined || fromEnv === '' ? undefined : fromEnv);
  if (raw === undefined) return DEFAULT_PORT_BASE;
  const where = flag !== undefined ? '--port-base' : PORT_BASE_ENV;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < 0 || (n > 0 && (n < 1024 || n + HIGHEST_OFFSET > 65535))) {
    throw new Error(`${where} '${raw}' is not a port base: use 0 (free ports) or 1024..${65535 - HIGHEST_OFFSET} (ports base..base+${NODES - 1}, +1000, +2000 are used)`);
  }
  return n;
}

/** The ports a cluster on `base` binds (with `metrics`, the metrics ports too), by role. */
export function portsOf(base: number, metrics: boolean): { port: number; what: string }[] {
  const out: { port: number; what: string }[] = [];
  for (let i = 0; i < NODES; i++) {
    out.push({ port: base + i, what: `n${i + 1}'s client port` }, { port: base + 1000 + i, what: `n${i + 1}'s peer port` });
    if (metrics) out.push({ port: base + 2000 + i, what: `n${i + 1}'s metrics port` });
  }
  return out;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * Fails, naming the port and what it is for, when one of `ports` is taken on 127.0.0.1: a
 * server that cannot bind would otherwise only say so in its log file.
 */
export async function requireFree(ports: readonly { port: number; what: string }[], hint: string): Promise<void> {
  for (const p of ports) {
    if (!(await isFree(p.port))) throw new Error(`127.0.0.1:${p.port} (${p.what}) is in use: ${hint}`);
  }
}

/**
 * SIGTERM every node (a leader hands leadership over first), SIGKILL whatever is still running
 * after `graceMs`, and forget them. Resolves once every process has exited, with the ids that
 * had to be SIGKILLed (the caller says so: a clean stop kills none).
 */
export async function stopCluster(cluster: CoordinatorCluster, graceMs = 10_000): Promise<string[]> {
  const killed: string[] = [];
  const timer = setTimeout(() => {
    killed.push(...cluster.ids.filter((id) => cluster.isRunning(id)));
    void cluster.destroy();
  }, graceMs);
  try {
    await Promise.all(cluster.ids.map((id) => cluster.kill(id, 'SIGTERM')));
  } finally {
    clearTimeout(timer);
  }
  await cluster.destroy(); // closes admin channels; kills nothing that has exited
  return killed;
}

/** The line a script prints after `stopCluster`. */
export const stoppedLine = (killed: readonly string[]): string =>
  killed.length === 0 ? 'stopped\n' : `stopped (${killed.join(', ')} did not stop within the grace period: SIGKILLed)\n`;
