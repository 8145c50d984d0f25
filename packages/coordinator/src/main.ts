#!/usr/bin/env node
/**
 * quorumlock-server: one coordinator node. Configuration from flags and QUORUMLOCK_* variables
 * (`--help` lists them), pino JSON logs on stderr, Prometheus metrics on HTTP /metrics, gRPC
 * health and reflection. SIGTERM/SIGINT: hand leadership to another node first, then stop.
 */
import * as http from 'node:http';
import pino from 'pino';
import { ConfigError, helpText, loadConfig, type ServerConfig } from './config';
import { StorageError } from '@quorumlock/raft';
import { DeadMembers } from './dead-members';
import { MemberKeeper } from './member-keeper';
import { createMetrics } from './metrics';
import { Replica } from './replica';
import { forceNewCluster, RecoveryError, restoreFromSnapshotFile } from './recovery';
import { VERSION } from './version';
import { attachAuditLog } from './server/audit-log';
import { Authorizer } from './server/auth/authorizer';
import { AuthFileError } from './server/auth/token-file';
import { startClientServer } from './server/grpc-server';
import { processLoopMonitor } from './server/loop-monitor';
import { healthHandler } from './server/health-http';
import { attachLockMetrics } from './server/lock-metrics';
import { probeReplica } from './server/metrics-probe';
import { clientServerCredentials, peerSecurity, warnIfUnauthenticated } from './server/tls';

async function run(cfg: ServerConfig): Promise<void> {
  const logger = pino({ level: cfg.logLevel, base: { node: cfg.id } }, pino.destination(2));
  // Measure event-loop stalls from the start: they are what costs a busy leader its term.
  processLoopMonitor();
  const metrics = createMetrics(cfg.id);
  // Before the replica opens: a bad policy or token file stops the start with its file and line.
  const auth = cfg.authPolicyFile === '' ? undefined : Authorizer.fromFiles({ policyFile: cfg.authPolicyFile, tokenFile: cfg.authTokenFile || undefined }, logger);
  // The operator's disaster procedures (docs/operations.md), on the data dir before it opens.
  const owner = { dataDir: cfg.dataDir, id: cfg.id, clusterId: cfg.clusterId, logger };
  if (cfg.restore !== '') await restoreFromSnapshotFile({ ...owner, file: cfg.restore, initialCluster: cfg.initialCluster });
  if (cfg.forceNewCluster) await forceNewCluster(owner);
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
    autoJoin: cfg.discovery !== undefined,
    tickMs: cfg.tickMs,
    electionTicks: cfg.electionTicks,
    maxClockSkewMs: cfg.maxClockSkewMs,
    renewIntervalMs: cfg.renewIntervalMs,
    snapshotEntries: cfg.snapshotEntries,
    snapshotBytes: cfg.snapshotBytes,
    keepEntries: cfg.keepEntries,
    limits: cfg.limits,
    consistencyCheckMs: cfg.consistencyCheckMs,
    logger,
    metrics,
    peerSecurity: peerSecurity(cfg.tls, logger, metrics),
  });
  // First thing: the log replays right after open, and an entry that cannot be applied (a corrupt
  // one, say) must stop the process then, not leave it serving with a stopped Raft node.
  replica.on('fatal', (e) => {
    logger.fatal({ err: e.message }, 'replica failed; exiting');
    process.exit(70);
  });
  attachAuditLog(replica, logger);
  attachLockMetrics(replica, metrics);
  metrics.setProbe(() => probeReplica(replica));
  const client = await startClientServer(
    replica,
    cfg.listenClient,
    {
      defaultTtlMs: cfg.defaultTtlMs, minTtlMs: cfg.minTtlMs, maxTtlMs: cfg.maxTtlMs, maxInFlightPerStream: cfg.maxInFlightPerStream,
      admission: { maxPendingOpens: cfg.maxPendingOpens, maxLoopLagMs: cfg.maxLoopLagMs, retryAfterMs: cfg.openRetryAfterMs },
    },
    logger,
    metrics,
    { maxStreamsPerConnection: cfg.maxStreamsPerConnection, authorizer: auth?.authorizer, credentials: clientServerCredentials(cfg.tls.client, cfg.tls.reloadMs, logger) },
  );
  let metricsServer: http.Server | null = null;
  if (cfg.metricsListen !== '') {
    const [host, port] = [cfg.metricsListen.slice(0, cfg.metricsListen.lastIndexOf(':')), Number(cfg.metricsListen.slice(cfg.metricsListen.lastIndexOf(':') + 1))];
    const health = healthHandler(replica, { maxApplyLag: cfg.readyMaxApplyLag });
    metricsServer = http.createServer((req, res) => {
      if (health(req, res)) return;
      if (req.url !== '/metrics') {
        res.writeHead(404).end('not found; try /metrics, /livez or /readyz\n');
        return;
      }
      metrics.registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body),
        (e: unknown) => res.writeHead(500).end(String(e)),
      );
    });
    await new Promise<void>((resolve) => metricsServer?.listen(port, host, resolve));
  }
  // With discovery (or after an empty founder found its cluster running) the node adds itself,
  // and the leader removes members past the founders that stay silent (a scale-down).
  const keeper =
    cfg.discovery !== undefined || replica.rejoined
      ? new MemberKeeper({
          self: cfg.id, clusterId: cfg.clusterId, peerAddress: cfg.advertisePeer, clientAddress: cfg.advertiseClient, logger,
          contacts: () => [replica.peerRef(replica.node.leaderId()), ...Object.entries(cfg.initialCluster).map(([id, a]) => ({ id, address: a.peer }))],
          dialing: replica.peerDialing,
          leading: () => replica.isLeader(),
        })
      : null;
  const deadMembers =
    cfg.discovery === undefined
      ? null
      : new DeadMembers(replica, { timeoutMs: cfg.deadMemberTimeoutMs, removable: cfg.discovery.removable, minVoters: cfg.discovery.bootstrapExpect, logger });
  deadMembers?.start();
  logger.info({ client: cfg.listenClient, peer: cfg.listenPeer, metrics: cfg.metricsListen || 'off', join: cfg.join || replica.rejoined }, 'quorumlock-server started');
  warnIfUnauthenticated(cfg.tls, auth !== undefined, { client: cfg.listenClient, peer: cfg.listenPeer }, logger);
  process.send?.({ type: 'started', clientPort: client.port });

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    keeper?.stop();
    deadMembers?.stop();
    void (async () => {
      if (replica.isLeader()) {
        try {
          const to = await replica.node.transferLeadership(undefined, 3000);
          // '' means it stepped down but heard of no successor before the deadline: say so,
          // rather than claim a handover nobody confirmed.
          if (to === '') logger.warn('stepped down before stopping; no new leader was confirmed within 3 s');
          else logger.info({ to }, 'leadership transferred before stopping');
        } catch (e) {
          logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'could not transfer leadership before stopping');
        }
      }
      await client.shutdown();
      auth?.stop();
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
    // A refusal to start (damaged or foreign data dir, a bad policy or token file) is the
    // operator's to fix: its message says what to do, a stack trace would only bury it.
    const refusal = e instanceof StorageError || e instanceof AuthFileError || e instanceof RecoveryError;
    const text = e instanceof Error ? (refusal ? e.message : e.stack ?? e.message) : String(e);
    process.stderr.write(`quorumlock-server: ${refusal ? 'refusing to start: ' : ''}${text}\n`);
    // A bad policy or token file is bad input, like a bad flag.
    process.exit(e instanceof AuthFileError ? 2 : 1);
  });
}

main();
