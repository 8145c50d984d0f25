#!/usr/bin/env node
/**
 * quorumlock-server: one coordinator node. Configuration from flags and QUORUMLOCK_* variables
 * (`--help` lists them), pino JSON logs on stderr, Prometheus metrics on HTTP /metrics, gRPC
 * health and reflection. SIGTERM/SIGINT: hand leadership to another node first, then stop.
 */
import * as http from 'node:http';
import pino from 'pino';
import { ConfigError, helpText, loadConfig, type ServerConfig } from './config';
import { createMetrics } from './metrics';
import { Replica } from './replica';
import { VERSION } from './version';
import { attachAuditLog } from './server/audit-log';
import { startClientServer } from './server/grpc-server';

async function run(cfg: ServerConfig): Promise<void> {
  const logger = pino({ level: cfg.logLevel, base: { node: cfg.id } }, pino.destination(2));
  const metrics = createMetrics(cfg.id);
  const replica = await Replica.open({
    id: cfg.id,
    dataDir: cfg.dataDir,
    clusterId: cfg.clusterId,
    peerListen: cfg.listenPeer,
    clientAddress: cfg.advertiseClient,
    // When joining, the listed members are not founders of this log (Raft starts empty), but the
    // transport needs their addresses to answer the leader that adds this node.
    initialCluster: cfg.initialCluster,
    join: cfg.join,
    tickMs: cfg.tickMs,
    electionTicks: cfg.electionTicks,
    maxClockSkewMs: cfg.maxClockSkewMs,
    renewIntervalMs: cfg.renewIntervalMs,
    snapshotEntries: cfg.snapshotEntries,
    keepEntries: cfg.keepEntries,
    logger,
    metrics,
  });
  attachAuditLog(replica, logger);
  metrics.setProbe(() => {
    const st = replica.node.status();
    return {
      term: st.term,
      commitIndex: st.commit,
      appliedIndex: st.applied,
      isLeader: st.role === 'leader',
      sessions: replica.sm.listSessions().length,
      resources: replica.sm.listLocks().length,
    };
  });
  const client = await startClientServer(
    replica,
    cfg.listenClient,
    { defaultTtlMs: cfg.defaultTtlMs, minTtlMs: cfg.minTtlMs, maxTtlMs: cfg.maxTtlMs, maxInFlightPerStream: cfg.maxInFlightPerStream },
    logger,
    metrics,
  );
  let metricsServer: http.Server | null = null;
  if (cfg.metricsListen !== '') {
    const [host, port] = [cfg.metricsListen.slice(0, cfg.metricsListen.lastIndexOf(':')), Number(cfg.metricsListen.slice(cfg.metricsListen.lastIndexOf(':') + 1))];
    metricsServer = http.createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end('not found; try /metrics\n');
        return;
      }
      metrics.registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body),
        (e: unknown) => res.writeHead(500).end(String(e)),
      );
    });
    await new Promise<void>((resolve) => metricsServer?.listen(port, host, resolve));
  }
  replica.on('fatal', (e) => {
    logger.fatal({ err: e.message }, 'replica failed; exiting');
    process.exit(70);
  });
  logger.info({ client: cfg.listenClient, peer: cfg.listenPeer, metrics: cfg.metricsListen || 'off', join: cfg.join }, 'quorumlock-server started');
  process.send?.({ type: 'started', clientPort: client.port });

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    void (async () => {
      if (replica.isLeader()) {
        try {
          const to = await replica.node.transferLeadership(undefined, 3000);
          logger.info({ to }, 'leadership transferred before stopping');
        } catch (e) {
          logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'could not transfer leadership before stopping');
        }
      }
      await client.shutdown();
      await replica.stop();
      metricsServer?.close();
      logger.flush();
      process.exit(0);
    })();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

function main(): void {
  const argv = process.argv.slice(2);
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  let cfg: ServerConfig | 'help';
  try {
    cfg = loadConfig(argv, process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`quorumlock-server: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  if (cfg === 'help') {
    process.stdout.write(helpText());
    return;
  }
  run(cfg).catch((e: unknown) => {
    process.stderr.write(`quorumlock-server: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  });
}

main();
