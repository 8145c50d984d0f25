#!/usr/bin/env node
/**
 * `pnpm observe [-- --port 9090 --duration S --port-base N --data-dir DIR]`: the metrics, alerts
 * and dashboard queries with one command. Starts the local 3-node cluster (client ports
 * 6001-6003, metrics on 8001-8003; --port-base or $QUORUMLOCK_PORT_BASE moves them, 0 picks free
 * ones), a real Prometheus (Debian's `prometheus` package) on 127.0.0.1:9090 scraping it every
 * second with deploy/monitoring/prometheus/alerts.yaml loaded, and a small demo workload: four
 * workers contend for two locks, one asks with try-only, and after 5 s and then every 20 s a
 * short-lived worker's session is expired by an administrator. Prints the URLs and pids; Ctrl-C,
 * SIGTERM or --duration stops everything it started (SIGKILL for what hangs).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { CoordinatorCluster, PrometheusServer } from '@quorumlock/coordinator/testing';
import { AdminClient, LockClient } from '@quorumlock/client';
import { parsePortBase, portsOf, requireFree, stopCluster, stoppedLine } from './local-ports';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** The first administrator expiry comes soon, so the expirations panel has data at once. */
const FIRST_EXPIRY_MS = 5000;
const EXPIRY_EVERY_MS = 20_000;

interface Options {
  port: number;
  durationS: number;
  portBase: number;
  dataDir: string;
}

function parse(): Options {
  const argv = process.argv.slice(2);
  if (argv[0] === '--') argv.shift(); // `pnpm observe -- --port 9091` passes the separator on
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '9090' },
      duration: { type: 'string', default: '0' },
      'port-base': { type: 'string' },
      'data-dir': { type: 'string' },
    },
  });
  const port = Number(values.port);
  const durationS = Number(values.duration);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port '${values.port}' is not a port number (0: a free one)`);
  if (!Number.isFinite(durationS) || durationS < 0) throw new Error(`--duration '${values.duration}' is not a number of seconds (0: until Ctrl-C)`);
  const portBase = parsePortBase(values['port-base']);
  const dataDir = path.resolve(values['data-dir'] ?? path.join(__dirname, '..', '..', '.data', 'observe'));
  return { port, durationS, portBase, dataDir };
}

/** `p`, or undefined once `ms` passed: a worker or Prometheus that hangs does not hold up the stop. */
const within = <T>(p: Promise<T>, ms: number): Promise<T | undefined> =>
  Promise.race([p.catch(() => undefined), new Promise<undefined>((r) => setTimeout(() => r(undefined), ms).unref())]);

/**
 * Where the Prometheus UI's pages are: Debian's package has only the classic UI, under /classic
 * (its /graph redirects there and drops the query, and /alerts is a 404); upstream builds serve
 * the new UI at the root.
 */
async function uiBase(prom: PrometheusServer): Promise<string> {
  const at = async (p: string): Promise<boolean> => (await prom.get(p).catch(() => ({ status: 0 }))).status === 200;
  if (!(await at('/alerts')) && (await at('/classic/alerts'))) return `${prom.url}/classic`;
  return prom.url;
}

async function main(): Promise<void> {
  const { port, durationS, portBase, dataDir: baseDir } = parse();
  fs.mkdirSync(baseDir, { recursive: true });
  const hint = 'is another `pnpm observe` or `pnpm start` running? Stop it, or pass --port-base and --port';
  if (portBase !== 0) await requireFree(portsOf(portBase, true), hint);
  if (port !== 0) await requireFree([{ port, what: "Prometheus's port" }], hint);
  const cluster = await CoordinatorCluster.create({ size: 3, baseDir, metrics: true, ...(portBase === 0 ? {} : { basePort: portBase }) });
  let prom: PrometheusServer | null = null;
  let stopping = false;
  let starting: Promise<unknown> = Promise.resolve();
  const workers: LockClient[] = [];
  let admin: AdminClient | null = null;
  const stop = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      process.stdout.write('\nstopping the workload, Prometheus and the cluster...\n');
      // A signal during start-up waits for what is being started, so nothing is left behind.
      await starting.catch(() => undefined);
      await within(Promise.all(workers.map((w) => w.close())), 5000);
      admin?.close();
      await within(prom?.stop() ?? Promise.resolve(), 10_000);
      process.stdout.write(stoppedLine(await stopCluster(cluster)));
      process.exit(code);
    }
    return new Promise<never>(() => undefined); // the first stop exits the process
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  const startup = (async (): Promise<PrometheusServer> => {
    await cluster.startAll();
    prom = await PrometheusServer.start({
      targets: cluster.ids.map((id) => cluster.metricsAddress(id)),
      port,
      dir: path.join(baseDir, 'prometheus'),
      interval: '1s',
    });
    return prom;
  })();
  starting = startup;
  try {
    prom = await startup;
  } catch (e) {
    process.stderr.write(`observe: ${e instanceof Error ? e.message : String(e)}\n`);
    return stop(1);
  }
  if (stopping) return;
  admin = new AdminClient({ endpoints: cluster.endpoints() });
  await printBanner(cluster, prom, baseDir);
  if (durationS > 0) setTimeout(() => void stop(0), durationS * 1000).unref();

  const endpoints = cluster.endpoints();
  const isStopping = (): boolean => stopping;
  for (let i = 0; i < 4; i++) {
    const c = new LockClient({ endpoints, clientName: `demo-worker-${i + 1}`, ttlMs: 5000 });
    workers.push(c);
    void workerLoop(c, i, isStopping);
  }
  await expireLoop(endpoints, admin, isStopping);
}

/** The URLs of the cluster, Prometheus and the dashboard queries, and the pids. */
async function printBanner(cluster: CoordinatorCluster, prom: PrometheusServer, baseDir: string): Promise<void> {
  const url = prom.url;
  const ui = await uiBase(prom);
  const graph = (expr: string): string => `${ui}/graph?g0.expr=${encodeURIComponent(expr)}&g0.tab=0&g0.range_input=15m`;
  process.stdout.write(
    [
      `quorumlock: 3 nodes, client endpoints ${cluster.endpoints().join(',')}, metrics ${cluster.ids.map((id) => cluster.metricsAddress(id)).join(',')}`,
      `Prometheus: ${url}   (alerts: ${ui}/alerts, rules: ${ui}/rules, targets: ${ui}/targets)`,
      `  grants/s:         ${graph('sum(rate(quorumlock_acquire_wait_seconds_count{outcome="granted"}[1m]))')}`,
      `  contention rate:  ${graph('sum(rate(quorumlock_lock_requests_total{result="queued"}[1m])) / sum(rate(quorumlock_lock_requests_total[1m]))')}`,
      `  acquire wait p99: ${graph('histogram_quantile(0.99, sum by (le) (rate(quorumlock_acquire_wait_seconds_bucket{outcome="granted"}[1m])))')}`,
      `  expirations:      ${graph('sum(increase(quorumlock_session_expirations_total[1m]))')}`,
      `pids: ${cluster.ids.map((id) => `${id} ${cluster.pid(id) ?? '?'}`).join(', ')}, prometheus ${prom.pid ?? '?'}`,
      `data and logs in ${baseDir}; try: QUORUMLOCK_ENDPOINTS=${cluster.endpoints().join(',')} pnpm lockctl top   (Ctrl-C stops everything)`,
      '',
    ].join('\n'),
  );
}

/** One demo worker: contends for the two locks (worker 3 half the time with try-only) until the stop. */
async function workerLoop(c: LockClient, i: number, isStopping: () => boolean): Promise<void> {
  while (!isStopping()) {
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
}

/** A short-lived worker whose session an administrator expires: expirations and freed holds. */
async function expireLoop(endpoints: string[], admin: AdminClient, isStopping: () => boolean): Promise<void> {
  for (let n = 1; !isStopping(); n++) {
    await sleep(n === 1 ? FIRST_EXPIRY_MS : EXPIRY_EVERY_MS);
    if (isStopping()) break;
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
