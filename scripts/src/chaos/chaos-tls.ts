/**
 * `pnpm chaos -- --tls`: mutual TLS on both ports of every node, with a CA and certificates made
 * for the run by openssl (TestCa), and authorization on. The nemesis (and the harness's own
 * Status calls) connect as `test-harness`, an admin; the workers and the probe as `chaos-worker`,
 * a `client` that may only lock. The peer links run through the fault proxies as TLS byte streams
 * (a peer's identity is its certificate, not the address it is dialled at).
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { TestCa, type ClusterTlsOptions, type CoordinatorCluster } from '@quorumlock/coordinator/testing';

/** A client's `tls` option as PEM strings (they travel to the workers in their JSON config). */
export interface PemTls {
  readonly ca: string;
  readonly cert?: string;
  readonly key?: string;
}

/** The identity of the workers' and the probe's certificate. */
export const WORKER_IDENTITY = 'chaos-worker';

/** The cluster's TLS options for a run in `dir`, or undefined without --tls. */
export function chaosClusterTls(enabled: boolean, dir: string): ClusterTlsOptions | undefined {
  return enabled ? { ca: new TestCa(path.join(dir, 'pki')) } : undefined;
}

/** Authorization for a --tls run (undefined without it): the nemesis is admin, the workers clients. */
export function chaosClusterAuth(enabled: boolean): { policy: string; tokens: string; harnessToken: string } | undefined {
  if (!enabled) return undefined;
  const harnessToken = randomBytes(24).toString('base64url');
  const policy = ['bindings:', '  - identity: test-harness', '    roles: [admin]', `  - identity: ${WORKER_IDENTITY}`, '    roles: [client]', ''].join('\n');
  return { policy, tokens: `${harnessToken},test-harness\n`, harnessToken };
}

/**
 * A client certificate of the cluster (`test-harness` is made with the cluster, before any node
 * started; call this for other names before the nodes start too), as PEM strings; undefined
 * without TLS. Certificates are made once per name: openssl runs synchronously in the runner,
 * whose event loop also carries every peer link's proxy.
 */
export function chaosClientTls(cluster: CoordinatorCluster, name = 'test-harness'): PemTls | undefined {
  const key = `${name}@${cluster.baseDir}`;
  const cached = made.get(key);
  if (cached !== undefined) return cached;
  const m = cluster.clientTls(name);
  if (m === undefined) return undefined;
  const pem = { ca: m.ca.toString(), ...(m.cert === undefined ? {} : { cert: m.cert.toString() }), ...(m.key === undefined ? {} : { key: m.key.toString() }) };
  made.set(key, pem);
  return pem;
}

const made = new Map<string, PemTls>();
