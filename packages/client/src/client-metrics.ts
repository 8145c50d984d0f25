import type * as PromClient from 'prom-client';
import {
  ClientClosedError,
  ClusterUnavailableError,
  DeadlockError,
  InvalidArgumentError,
  LockCancelledError,
  LockTimeoutError,
  SessionExpiredError,
  type LockLostReason,
} from './errors';

/**
 * What the SDK needs of a prom-client `Registry`, structurally, so that this package's types do
 * not require prom-client when metrics are not used. A prom-client Registry satisfies it.
 */
export interface MetricsRegistry {
  getSingleMetric(name: string): unknown;
  registerMetric(metric: never): void;
}

export interface ClientMetricsOptions {
  /** The worker's prom-client registry; the SDK registers its metrics there. */
  readonly registry: MetricsRegistry;
}

/** How an acquire ended, as the `outcome` label of quorumlock_client_acquire_seconds. */
export type ClientAcquireOutcome = 'granted' | 'busy' | 'timeout' | 'cancelled' | 'deadlock' | 'session_expired' | 'unavailable' | 'closed' | 'error';

export function acquireOutcomeOf(err: unknown): ClientAcquireOutcome {
  if (err instanceof LockTimeoutError) return 'timeout';
  if (err instanceof LockCancelledError) return 'cancelled';
  if (err instanceof DeadlockError) return 'deadlock';
  if (err instanceof SessionExpiredError) return 'session_expired';
  if (err instanceof ClusterUnavailableError) return 'unavailable';
  if (err instanceof ClientClosedError) return 'closed';
  return 'error';
}

/** Loaded on first use only: a client without `metrics` never touches prom-client. */
function loadPromClient(): typeof PromClient {
  try {
     
    return require('prom-client') as typeof PromClient;
  } catch (err) {
    throw new InvalidArgumentError(`LockClient option \`metrics\` needs the prom-client package (an optional peer dependency of @quorumlock/client): ${(err as Error).message}`);
  }
}

/**
 * The SDK's metrics in the worker's registry: its own view of acquire latency, lost leases
 * (the worker-side face of expirations) and reconnects. Several LockClients of one process may
 * share a registry: they then share these metrics (registered once).
 */
export class ClientMetrics {
  private readonly acquireSeconds: PromClient.Histogram<'outcome'>;
  private readonly leaseLostTotal: PromClient.Counter<'reason'>;
  private readonly reconnectsTotal: PromClient.Counter;
  private readonly sessionsExpiredTotal: PromClient.Counter;

  constructor(options: ClientMetricsOptions) {
    const prom = loadPromClient();
    const registry = options.registry as unknown as PromClient.Registry;
    if (typeof options.registry?.getSingleMetric !== 'function') {
      throw new InvalidArgumentError('LockClient option `metrics.registry` must be a prom-client Registry');
    }
    const reuse = <M>(name: string, make: () => M): M => (registry.getSingleMetric(name) as M | undefined) ?? make();
    const registers = [registry];
    this.acquireSeconds = reuse('quorumlock_client_acquire_seconds', () => new prom.Histogram({
      name: 'quorumlock_client_acquire_seconds',
      help: 'acquire()/tryAcquire() calls of this worker, from the call to the lease or the error, by outcome',
      labelNames: ['outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }));
    this.leaseLostTotal = reuse('quorumlock_client_lease_lost_total', () => new prom.Counter({
      name: 'quorumlock_client_lease_lost_total',
      help: 'Leases this worker lost against its will, by reason (deadline, revoked, session expired)',
      labelNames: ['reason'],
      registers,
    }));
    this.reconnectsTotal = reuse('quorumlock_client_reconnects_total', () => new prom.Counter({
      name: 'quorumlock_client_reconnects_total',
      help: 'Times this worker re-opened its session stream after the first (failover, network)',
      registers,
    }));
    this.sessionsExpiredTotal = reuse('quorumlock_client_sessions_expired_total', () => new prom.Counter({
      name: 'quorumlock_client_sessions_expired_total',
      help: 'Sessions of this worker the cluster expired',
      registers,
    }));
  }

  acquired(outcome: ClientAcquireOutcome, seconds: number): void {
    this.acquireSeconds.observe({ outcome }, seconds);
  }

  leaseLost(reason: LockLostReason): void {
    this.leaseLostTotal.inc({ reason: reason.replace(/ /g, '_') });
  }

  reconnected(): void {
    this.reconnectsTotal.inc();
  }

  sessionExpired(): void {
    this.sessionsExpiredTotal.inc();
  }
}
