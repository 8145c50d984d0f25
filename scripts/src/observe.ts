#!/usr/bin/env node
/**
 * `pnpm observe [-- --port 9090 --duration S]`: the metrics, alerts and dashboard queries with one
 * command. Starts the local 3-node cluster (client ports 6001-6003, metrics on 8001-8003), a
 * real Prometheus (Debian's `prometheus` package) on 127.0.0.1:9090 scraping it every second with
 * deploy/monitoring/prometheus/alerts.yaml loaded, and a small demo workload: four workers contend
 * for two locks, one asks with try-only, and every 20 s a short-lived worker's session is expired
 * by an administrator. Prints the URLs; Ctrl-C (or --duration) stops everything it started.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { CoordinatorCluster, PrometheusServer } from '@quorumlock/coordinator/testing';
import { AdminClient, LockClient } from '@quorumlock/client';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function parse(): { port: number; durationS: number } {
  const argv = process.argv.slice(2);
  if (argv[0] === '--') argv.shift(); // `pnpm observe -- --port 9091` passes the separator on
  const { values } = parseArgs({ args: argv, options: { port: { type: 'string', default: '9090' }, duration: { type: 'string', default: '0' } } });
  const port = Number(values.port);
  const durationS = Number(values.duration);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port '${values.port}' is not a port number (0: a free one)`);
  if (!Number.isFinite(durationS) || durationS < 0) throw new Error(`--duration '${values.duration}' is not a number of seconds (0: until Ctrl-C)`);
  return { port, durationS };
}

async function main(): Promise<void> {
  const { port, durationS } = parse();
  const baseDir = path.resolve(__dirname, '..', '..', '.data', 'observe');
  fs.mkdirSync(baseDir, { recursive: true });
  const cluster = await CoordinatorCluster.create({ size: 3, baseDir, basePort: 6001, metrics: true });
  let prom: PrometheusServer | null = null;
  let stopping = false;
  const workers: LockClient[] = [];
  let admin: AdminClient | null = null;
  const stop = async (code: number): Promise<never> => {
    stopping = true;
    process.stdout.write('\nstopping the workload, Prometheus and the cluster...\n');
    await Promise.all(workers.map((w) => w.close().catch(() => undefined)));
    admin?.close();
    await prom?.stop().catch(() => undefined);
    await Promise.all(cluster.ids.map((id) => cluster.kill(id, 'SIGTERM')));
    process.stdout.write('stopped\n');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  try {
    await cluster.startAll();
    prom = await PrometheusServer.start({
      targets: cluster.ids.map((id) => cluster.metricsAddress(id)),
      port,
      dir: path.join(baseDir, 'prometheus'),
      interval: '1s',
    });
  } catch (e) {
    process.stderr.write(`observe: ${e instanceof Error ? e.message : String(e)}\n`);
    return stop(1);
  }
  admin = new AdminClient({ endpoints: cluster.endpoints() });
  const url = prom.url;
  const graph = (expr: string): string => `${url}/graph?g0.expr=${encodeURIComponent(expr)}&g0.tab=0&g0.range_input=15m`;
  process.stdout.write(
    [
      `quorumlock: 3 nodes, client endpoints ${cluster.endpoints().join(',')}, metrics ${cluster.ids.map((id) => cluster.metricsAddress(id)).join(',')}`,
      `Prometheus: ${url}   (alerts: ${url}/alerts, rules: ${url}/rules, targets: ${url}/targets)`,
      `  grants/s:         ${graph('sum(rate(quorumlock_acquire_wait_seconds_count{outcome="granted"}[1m]))')}`,
      `  contention rate:  ${graph('sum(rate(quorumlock_lock_requests_total{result="queued"}[1m])) / sum(rate(quorumlock_lock_requests_total[1m]))')}`,
      `  acquire wait p99: ${graph('histogram_quantile(0.99, sum by (le) (rate(quorumlock_acquire_wait_seconds_bucket{outcome="granted"}[1m])))')}`,
      `  expirations:      ${graph('sum(increase(quorumlock_session_expirations_total[1m]))')}`,
      `data and logs in ${baseDir}; try: pnpm lockctl top   (Ctrl-C stops everything)`,
      '',
    ].join('\n'),
  );
  if (durationS > 0) setTimeout(() => void stop(0), durationS * 1000).unref();

  const endpoints = cluster.endpoints();
  const worker = (name: string): LockClient => {
    const c = new LockClient({ endpoints, clientName: name, ttlMs: 5000 });
    workers.push(c);
    return c;
  };
  const loop = async (c: LockClient, i: number): Promise<void> => {
    while (!stopping) {
      try {
        const name = Math.random() < 0.7 ? 'demo/orders' : 'demo/billing';
        if (i === 3 && Math.random() < 0.5) {
          const l = await c.tryAcquire(name);
          if (l !== null) await l.release();
        } else {
          await c.withLock(name, () => sleep(20 + Math.random() * 150), { waitTimeoutMs: 5000 });
        }
      } catch {
        // timeouts and failovers are part of the demo
      }
      await sleep(Math.random() * 200);
    }
  };
  for (let i = 0; i < 4; i++) void loop(worker(`demo-worker-${i + 1}`), i);
  // A short-lived worker whose session an administrator expires: expirations and freed holds.
  for (let n = 1; !stopping; n++) {
    await sleep(20_000);
    if (stopping) break;
    const c = new LockClient({ endpoints, clientName: `demo-ephemeral-${n}`, ttlMs: 5000 });
    try {
      await c.acquire('demo/ephemeral');
      await admin.expireSession(c.sessionId);
    } catch {
      // a failover in the middle: try again next round
    } finally {
      await c.close().catch(() => undefined);
    }
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`observe: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
