/**
 * Mutual TLS on the Raft peer port, and the rule that ties a member id to a certificate.
 *
 * A peer certificate names member `<id>` with the subject alternative name URI `quorumlock://<id>`
 * (exactly one such URI). On this node's server, every envelope's `from` must be the id its
 * sender's verified certificate names, and a known peer; otherwise the stream is refused, logged
 * and counted, and nothing in it reaches Raft: a forged heartbeat changes no term. On this node's
 * outgoing streams, the peer's server certificate must name the member we meant to reach (this
 * replaces the host name check: members are reached by whatever address they advertise, the id
 * is what matters).
 */
import type { PeerCertificate } from 'node:tls';

import * as grpc from '@grpc/grpc-js';

import type { Logger } from '../core/logger';
import { silentLogger } from '../core/logger';
import type { NodeId } from '../core/types';
import { ReloadingCertificateProvider, type CertFiles } from './cert-files';

/** The SAN URI scheme of a member's peer certificate: `quorumlock://<id>`. */
export const MEMBER_URI_PREFIX = 'quorumlock://';

/** The part of a grpc-js server call that carries the TLS peer (every call kind has it). */
export interface TlsCall {
  getAuthContext(): { readonly sslPeerCertificate?: PeerCertificate | undefined };
  getPeer(): string;
}

/** What the transport needs to run its peer link over TLS (see {@link createPeerTls}). */
export interface PeerSecurity {
  readonly serverCredentials: grpc.ServerCredentials;
  /** Credentials of the outgoing stream to `peer`: our peer certificate, and theirs must name `peer`. */
  channelCredentials(peer: NodeId): grpc.ChannelCredentials;
  /** Added to the outgoing channels' options. */
  readonly channelOptions: grpc.ChannelOptions;
  /**
   * Why an envelope claiming to come from `from` must be refused on this inbound call, or null.
   * `known`: `from` is a member this node has an address for.
   */
  checkSender(call: TlsCall, from: NodeId, known: boolean): string | null;
  /** Stops re-reading the certificate files. */
  close(): void;
}

/** One rejected sender, for a counter (quorumlock_peer_identity_rejected_total). */
export interface PeerIdentityRejection {
  readonly claimed: NodeId;
  /** Member ids the certificate names (empty: none). */
  readonly certified: readonly string[];
  readonly remote: string;
}

/** Splits Node's `subjectaltname` ("DNS:a, URI:quorumlock://n1, IP Address:1.2.3.4") into entries. */
function subjectAltNames(cert: PeerCertificate): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  // Node quotes a value that contains a comma or a quote as a JSON string.
  const re = /(?:^|, )([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)/g;
  for (const m of (cert.subjectaltname ?? '').matchAll(re)) {
    const [, kind, raw] = m;
    if (kind === undefined || raw === undefined) continue;
    let value = raw;
    if (raw.startsWith('"')) {
      try {
        value = JSON.parse(raw) as string;
      } catch {
        continue;
      }
    }
    out.push([kind, value]);
  }
  return out;
}

/** The member ids a certificate names: its SAN URIs `quorumlock://<id>`. */
export function memberIdsOf(cert: PeerCertificate): string[] {
  return subjectAltNames(cert)
    .filter(([kind, value]) => kind === 'URI' && value.startsWith(MEMBER_URI_PREFIX) && value.length > MEMBER_URI_PREFIX.length)
    .map(([, value]) => value.slice(MEMBER_URI_PREFIX.length));
}

/** The verified client certificate of a call (only set when TLS verified it against the trusted CA). */
export function verifiedCertificate(call: Pick<TlsCall, 'getAuthContext'>): PeerCertificate | undefined {
  return call.getAuthContext().sslPeerCertificate;
}

/** The ids a verified certificate names; empty when there is none (the only member is unique). */
function certifiedIds(call: TlsCall): string[] {
  const cert = verifiedCertificate(call);
  return cert === undefined ? [] : memberIdsOf(cert);
}

export interface PeerTlsOptions extends CertFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
  /** How often the files are re-read (default 5 s). */
  readonly reloadIntervalMs?: number;
  readonly logger?: Logger;
  readonly onRejected?: (rejection: PeerIdentityRejection) => void;
}

/**
 * Peer TLS from PEM files: throws CertFilesError when a file cannot be read or the certificate
 * and key do not match. The link is always mutual: a peer without a certificate from `caFile`
 * fails the handshake and never reaches the transport.
 */
export function createPeerTls(options: PeerTlsOptions): PeerSecurity {
  const logger = options.logger ?? silentLogger;
  const provider = new ReloadingCertificateProvider(options, {
    ...(options.reloadIntervalMs === undefined ? {} : { intervalMs: options.reloadIntervalMs }),
    logger,
    label: 'peer',
  });
  // grpc-js 1.14.7 passes this function's first argument on as the identity provider and the
  // second as the CA provider (its parameter names say the opposite); one provider serves both.
  const serverCredentials = grpc.experimental.createCertificateProviderServerCredentials(provider, provider, true);
  const channels = new Map<NodeId, grpc.ChannelCredentials>();
  const ids = new WeakMap<TlsCall, string[]>();
  return {
    serverCredentials,
    // The TLS server name (SNI) would otherwise be the peer's address, often an IP, which Node
    // warns about; the certificate check below looks at the member id, not at this name.
    channelOptions: { 'grpc.ssl_target_name_override': 'quorumlock-peer' },
    channelCredentials(peer: NodeId): grpc.ChannelCredentials {
      let c = channels.get(peer);
      if (c === undefined) {
        c = grpc.experimental.createCertificateProviderChannelCredentials(provider, provider, {
          checkServerIdentity: (_host, cert) => {
            const named = memberIdsOf(cert);
            if (named.length === 1 && named[0] === peer) return undefined;
            return new Error(`the peer presented a certificate naming ${named.length === 0 ? 'no member' : named.join(', ')}, not member ${peer} (${MEMBER_URI_PREFIX}${peer})`);
          },
        });
        channels.set(peer, c);
      }
      return c;
    },
    checkSender(call, from, known) {
      let named = ids.get(call);
      if (named === undefined) {
        named = certifiedIds(call);
        ids.set(call, named);
      }
      if (named.length === 1 && named[0] === from && known) return null;
      const remote = call.getPeer();
      options.onRejected?.({ claimed: from, certified: named, remote });
      const what = named.length === 0 ? 'names no member' : named.length > 1 ? `names several members (${named.join(', ')})` : `names member "${named[0]}"`;
      const reason = named.length === 1 && named[0] === from ? `"${from}" is not a member this node knows` : `the sender's certificate ${what}, not "${from}"`;
      logger.warn({ peer: from, certified: named, remote }, `refusing raft stream from ${remote} claiming to be "${from}": ${reason}`);
      return `rejected: ${reason}`;
    },
    close: () => provider.close(),
  };
}
