/**
 * `pnpm chaos -- --tls`: mutual TLS on both ports of every node, with a CA and certificates made
 * for the run by openssl (TestCa). The workers, the probe and the nemesis's admin client connect
 * with a client certificate; the peer links run through the fault proxies as TLS byte streams
 * (a peer's identity is its certificate, not the address it is dialled at).
 */
import * as path from 'node:path';
import { TestCa, type ClusterTlsOptions, type CoordinatorCluster } from '@quorumlock/coordinator/testing';

/** A client's `tls` option as PEM strings (they travel to the workers in their JSON config). */
export interface PemTls {
  readonly ca: string;
  readonly cert?: string;
  readonly key?: string;
}

/** The cluster's TLS options for a run in `dir`, or undefined without --tls. */
export function chaosClusterTls(enabled: boolean, dir: string): ClusterTlsOptions | undefined {
  return enabled ? { ca: new TestCa(path.join(dir, 'pki')) } : undefined;
}

/**
 * The cluster's client certificate (made with the cluster, before any node started), as PEM
 * strings; undefined without TLS. Every client of the run shares it: making one per worker would
 * run openssl synchronously in the runner, whose event loop also carries every peer link's proxy.
 */
export function chaosClientTls(cluster: CoordinatorCluster): PemTls | undefined {
  const m = cluster.clientTls();
  if (m === undefined) return undefined;
  return { ca: m.ca.toString(), ...(m.cert === undefined ? {} : { cert: m.cert.toString() }), ...(m.key === undefined ? {} : { key: m.key.toString() }) };
}
