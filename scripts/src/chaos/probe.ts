/** The chaos run's availability probe, apart from the workload. */
import { LockClient } from '@quorumlock/client';
import type { PemTls } from './chaos-tls';
import { now, PROBE_CLIENT, sleep, TTL_MS } from './run-settings';

export interface Probe {
  readonly successes: number[];
  stop(): Promise<void>;
}

/**
 * Availability, measured apart from the workload (whose own grants may wait behind long holds):
 * a client in this process acquires and releases a private lock every 100 ms and records when
 * each round trip succeeded.
 */
export function startProbe(endpoints: readonly string[], tls: PemTls | undefined): Probe {
  const client = new LockClient({ endpoints: [...endpoints], ttlMs: TTL_MS, clientName: PROBE_CLIENT, backoff: { initialMs: 20, maxMs: 200, budgetMs: 600_000 }, tls });
  const successes: number[] = [];
  let stopped = false;
  // Aborts the call in flight at stop: against a dead cluster the client would retry for minutes.
  const stop = new AbortController();
  const loop = (async (): Promise<void> => {
    while (!stopped) {
      try {
        const lease = await client.acquire('probe/availability', { waitTimeoutMs: 1000, signal: stop.signal });
        await lease.release();
        successes.push(now());
      } catch {
        // unavailable right now: the gap is what is measured
      }
      await sleep(100);
    }
  })();
  return {
    successes,
    async stop() {
      stopped = true;
      stop.abort();
      await loop;
      await client.close().catch(() => undefined);
    },
  };
}
