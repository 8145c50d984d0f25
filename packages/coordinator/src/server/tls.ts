/**
 * TLS for a node: the client port's server credentials, the peer port's mutual TLS (raft's
 * peer-tls.ts, with the rejection counter wired to metrics), the one start-up warning of a node
 * that runs without it, and the verified client-certificate identity of a call for authorization.
 */
import * as grpc from '@grpc/grpc-js';
import { createPeerTls, ReloadingCertificateProvider, type Logger, type PeerSecurity } from '@quorumlock/raft';
import type { Metrics } from '../metrics';
import type { ClientTlsConfig, TlsConfig } from './tls-config';

/** Credentials of the client port: plaintext with `null`, else TLS re-reading its files. */
export function clientServerCredentials(tls: ClientTlsConfig | null, reloadMs: number, logger: Logger): grpc.ServerCredentials {
  if (tls === null) return grpc.ServerCredentials.createInsecure();
  const provider = new ReloadingCertificateProvider(
    { certFile: tls.certFile, keyFile: tls.keyFile, caFile: tls.trustedCaFile },
    { intervalMs: reloadMs, logger, label: 'client' },
  );
  // grpc-js 1.14.7 hands its first argument on as the identity provider and its second as the CA
  // provider (the parameter names say the opposite); a null CA provider requests no client
  // certificate. One provider serves both.
  return grpc.experimental.createCertificateProviderServerCredentials(provider, tls.trustedCaFile === undefined ? null : provider, tls.clientCertAuth);
}

/** Mutual TLS on the peer port, or undefined (plaintext). Rejected senders count in metrics. */
export function peerSecurity(tls: TlsConfig, logger: Logger, metrics?: Metrics): PeerSecurity | undefined {
  if (tls.peer === null) return undefined;
  return createPeerTls({
    certFile: tls.peer.certFile,
    keyFile: tls.peer.keyFile,
    caFile: tls.peer.trustedCaFile,
    reloadIntervalMs: tls.reloadMs,
    logger,
    onRejected: () => metrics?.peerIdentityRejected.inc(),
  });
}

/**
 * Logs one warning at start naming what is open: ports without TLS (anyone who reaches them is
 * trusted) and, without --auth-policy-file, authorization. Nothing when both are closed.
 */
export function warnIfUnauthenticated(tls: TlsConfig, authOn: boolean, ports: { client: string; peer: string }, logger: Logger): void {
  const open: string[] = [];
  if (tls.client === null) open.push(`client port ${ports.client} (no --cert-file)`);
  else if (!tls.client.clientCertAuth) open.push(`client port ${ports.client} (TLS without --client-cert-auth: clients are not authenticated)`);
  if (tls.peer === null) open.push(`peer port ${ports.peer} (no --peer-cert-file)`);
  const parts: string[] = [];
  if (open.length > 0) {
    parts.push(`unauthenticated: ${open.join('; ')}. Anyone who can reach these ports can act as a client or a member`);
  }
  if (!authOn) {
    parts.push('authorization is off (no --auth-policy-file): any caller that reaches the client port may lock, revoke, expire sessions and change members');
  }
  if (parts.length === 0) return;
  const fields = { ...(open.length > 0 ? { unauthenticated: open } : {}), ...(authOn ? {} : { auth: 'off' }) };
  logger.warn(fields, `${parts.join('. ')}; see "Securing a cluster" in the README`);
}
