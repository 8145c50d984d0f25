import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '@quorumlock/raft/testing';

/** The repository's alert rules (deploy/monitoring/prometheus/alerts.yaml). */
export const ALERT_RULES_FILE = path.join(__dirname, '..', '..', '..', '..', 'deploy', 'monitoring', 'prometheus', 'alerts.yaml');
/** The repository's Grafana dashboard. */
export const DASHBOARD_FILE = path.join(__dirname, '..', '..', '..', '..', 'deploy', 'monitoring', 'grafana', 'quorumlock.json');

export interface PrometheusServerOptions {
  /** host:port of each quorumlock --metrics-listen server (scraped as job="quorumlock"). */
  readonly targets: readonly string[];
  /** Scrape and rule evaluation interval. Default '1s'. */
  readonly interval?: string;
  /** Port on 127.0.0.1; default (or 0) a free one. */
  readonly port?: number;
  /** Config and TSDB go here; default a fresh temp dir (removed by `stop`). */
  readonly dir?: string;
  readonly ruleFiles?: readonly string[];
  /** Where Prometheus's own log goes (default `<dir>/prometheus.log`). */
  readonly logFile?: string;
}

/** A sample of an instant query result. */
export interface PromSample {
  readonly metric: Record<string, string>;
  readonly value: number;
}

/** Fails with a clear message when the `prometheus` binary is missing. */
export function requirePrometheusBinary(name: 'prometheus' | 'promtool' = 'prometheus'): void {
  const r = spawnSync(name, ['--version'], { encoding: 'utf8' });
  if (r.error !== undefined) {
    throw new Error(`cannot run ${name} (${r.error.message}): install Debian's prometheus package (apt-get install -y prometheus), as .ci/run does`);
  }
}

/**
 * A real Prometheus server on 127.0.0.1 scraping a quorumlock cluster, with the repository's
 * alert rules loaded: for end-to-end tests of the metrics, the dashboard and the alerts, and for
 * `pnpm observe`. Tracked by pid; `stop` ends it (SIGTERM, then SIGKILL).
 */
export class PrometheusServer {
  private child: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly ownsDir: boolean,
    readonly logFile: string,
  ) {}

  static async start(opts: PrometheusServerOptions): Promise<PrometheusServer> {
    requirePrometheusBinary();
    const owns = opts.dir === undefined;
    const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'quorumlock-prom-'));
    fs.mkdirSync(dir, { recursive: true });
    const port = opts.port !== undefined && opts.port !== 0 ? opts.port : await freePort();
    const interval = opts.interval ?? '1s';
    const rules = opts.ruleFiles ?? [ALERT_RULES_FILE];
    // JSON is YAML: no YAML writer needed.
    const config = {
      global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
      rule_files: rules.map((f) => path.resolve(f)),
      scrape_configs: [{ job_name: 'quorumlock', static_configs: [{ targets: [...opts.targets] }] }],
    };
    const configFile = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
    const logFile = opts.logFile ?? path.join(dir, 'prometheus.log');
    const server = new PrometheusServer(port, dir, owns, logFile);
    const log = fs.openSync(logFile, 'a');
    const child = spawn(
      'prometheus',
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=1d',
        '--log.level=warn',
      ],
      { stdio: ['ignore', log, log] },
    );
    fs.closeSync(log);
    server.child = child;
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) => reject(new Error(`prometheus exited (${String(code ?? signal)}) before it was ready; see ${logFile}`))),
    );
    const ready = (async () => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          if ((await server.get('/-/ready')).status === 200) return;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) throw new Error(`prometheus on 127.0.0.1:${port} not ready within 30 s; see ${logFile}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      await Promise.race([ready, exited]);
    } catch (e) {
      await server.stop();
      throw e;
    }
    exited.catch(() => undefined);
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get(pathAndQuery: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.get(`${this.url}${pathAndQuery}`, { timeout: 10_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('timeout', () => req.destroy(new Error(`GET ${pathAndQuery} timed out`)));
      req.on('error', reject);
    });
  }

  /** GET an /api/v1 endpoint; rejects with Prometheus's error (e.g. a parse error) unless status is success. */
  async api<T>(pathAndQuery: string): Promise<T> {
    const r = await this.get(`/api/v1/${pathAndQuery}`);
    const body = JSON.parse(r.body) as { status: string; data: T; error?: string; errorType?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${pathAndQuery}: ${body.errorType ?? ''} ${body.error ?? r.body}`);
    return body.data;
  }

  /** An instant query: its samples (vector or scalar results), NaN values kept. */
  async query(expr: string): Promise<PromSample[]> {
    const data = await this.api<{ resultType: string; result: unknown }>(`query?query=${encodeURIComponent(expr)}`);
    if (data.resultType === 'vector') {
      return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map((s) => ({ metric: s.metric, value: Number(s.value[1]) }));
    }
    if (data.resultType === 'scalar') {
      const [, v] = data.result as [number, string];
      return [{ metric: {}, value: Number(v) }];
    }
    throw new Error(`prometheus query ${expr}: unexpected result type ${data.resultType}`);
  }

  /** The single value of a query that must return exactly one sample. */
  async value(expr: string): Promise<number> {
    const s = await this.query(expr);
    if (s.length !== 1) throw new Error(`prometheus query ${expr}: expected one sample, got ${JSON.stringify(s)}`);
    return s[0]!.value;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child !== null && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (this.ownsDir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
