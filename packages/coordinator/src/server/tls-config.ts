/**
 * The TLS flags (etcd's names) checked together: which combinations make sense, and whether the
 * files are there and form a usable identity. Every refusal names the flag and the value.
 */
import { readFileSync } from 'node:fs';
import { CertFilesError, loadCertFiles } from '@quorumlock/raft';

/** TLS on the client port. */
export interface ClientTlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  /** Verifies client certificates when given; required with `clientCertAuth`. */
  readonly trustedCaFile: string | undefined;
  /** Refuse a client without a certificate signed by `trustedCaFile`. */
  readonly clientCertAuth: boolean;
}

/** TLS on the peer port; always mutual. */
export interface PeerTlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  readonly trustedCaFile: string;
}

export interface TlsConfig {
  readonly client: ClientTlsConfig | null;
  readonly peer: PeerTlsConfig | null;
  /** How often certificate files are re-read for rotation. */
  readonly reloadMs: number;
}

/** The flags of this module with their help lines, for config.ts's option table. */
export const TLS_OPTIONS = [
  { flag: 'cert-file', kind: 'string', help: 'client port: PEM certificate (chain) this node serves; turns TLS on (with --key-file)' },
  { flag: 'key-file', kind: 'string', help: 'client port: PEM private key of --cert-file' },
  { flag: 'trusted-ca-file', kind: 'string', help: 'client port: PEM CA bundle that client certificates are verified against' },
  { flag: 'client-cert-auth', kind: 'bool', dflt: 'false', help: 'client port: refuse clients without a certificate from --trusted-ca-file' },
  { flag: 'peer-cert-file', kind: 'string', help: 'peer port: PEM certificate of this member (SAN URI quorumlock://ID); turns mutual TLS on' },
  { flag: 'peer-key-file', kind: 'string', help: 'peer port: PEM private key of --peer-cert-file' },
  { flag: 'peer-trusted-ca-file', kind: 'string', help: 'peer port: PEM CA bundle that other members\' certificates are verified against' },
  { flag: 'tls-reload-ms', kind: 'int', dflt: '5000', help: 'how often the certificate and CA files are re-read; changed files serve new connections' },
] as const;

/** A bad TLS flag; config.ts turns it into its ConfigError. */
export class TlsConfigError extends Error {
  override readonly name = 'TlsConfigError';
}

function readable(flag: string, file: string): void {
  try {
    readFileSync(file);
  } catch (e) {
    throw new TlsConfigError(`--${flag} '${file}' cannot be read: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function usable(flags: string, files: { certFile: string; keyFile: string; caFile?: string | undefined }): void {
  try {
    loadCertFiles(files);
  } catch (e) {
    if (e instanceof CertFilesError) throw new TlsConfigError(`${flags}: ${e.message}`);
    throw e;
  }
}

/**
 * Reads the TLS flags through `str` (flag, else variable, else '') and `bool`; checks the
 * combinations and the files.
 */
export function parseTlsConfig(str: (flag: string) => string, bool: (flag: string) => boolean, reloadMs: number): TlsConfig {
  const given = (flag: string): string | undefined => {
    const v = str(flag);
    if (v === '') return undefined;
    readable(flag, v);
    return v;
  };
  const certFile = given('cert-file');
  const keyFile = given('key-file');
  const trustedCaFile = given('trusted-ca-file');
  const clientCertAuth = bool('client-cert-auth');
  let client: ClientTlsConfig | null = null;
  if (certFile === undefined || keyFile === undefined) {
    if (certFile !== undefined) throw new TlsConfigError(`--cert-file '${certFile}' needs --key-file`);
    if (keyFile !== undefined) throw new TlsConfigError(`--key-file '${keyFile}' needs --cert-file`);
    if (trustedCaFile !== undefined) throw new TlsConfigError(`--trusted-ca-file '${trustedCaFile}' needs --cert-file and --key-file (TLS on the client port)`);
    if (clientCertAuth) throw new TlsConfigError('--client-cert-auth needs --cert-file, --key-file and --trusted-ca-file');
  } else {
    if (clientCertAuth && trustedCaFile === undefined) throw new TlsConfigError('--client-cert-auth needs --trusted-ca-file to verify client certificates against');
    usable('--cert-file/--key-file/--trusted-ca-file', { certFile, keyFile, caFile: trustedCaFile });
    client = { certFile, keyFile, trustedCaFile, clientCertAuth };
  }
  const peerCert = given('peer-cert-file');
  const peerKey = given('peer-key-file');
  const peerCa = given('peer-trusted-ca-file');
  let peer: PeerTlsConfig | null = null;
  if (peerCert !== undefined || peerKey !== undefined || peerCa !== undefined) {
    const missing = [
      ['peer-cert-file', peerCert],
      ['peer-key-file', peerKey],
      ['peer-trusted-ca-file', peerCa],
    ].filter(([, v]) => v === undefined);
    if (peerCert === undefined || peerKey === undefined || peerCa === undefined) {
      throw new TlsConfigError(`peer TLS is always mutual: ${missing.map(([f]) => `--${f}`).join(' and ')} must be given too`);
    }
    usable('--peer-cert-file/--peer-key-file/--peer-trusted-ca-file', { certFile: peerCert, keyFile: peerKey, caFile: peerCa });
    peer = { certFile: peerCert, keyFile: peerKey, trustedCaFile: peerCa };
  }
  return { client, peer, reloadMs };
}
