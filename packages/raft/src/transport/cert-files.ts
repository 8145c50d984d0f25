/**
 * PEM files of one TLS identity (certificate, key, trusted CA), read at start and re-read while in
 * use so a rotated certificate (cert-manager, a renewed CA) is served to new connections without
 * a restart. grpc-js's experimental certificate-provider credentials take it on both the server
 * and the channel side.
 *
 * Unlike grpc-js's own FileWatcherCertificateProvider, a set of files that does not form a usable
 * identity (a half-written rotation: the new certificate with the old key, a truncated file) is
 * not published: the last good one stays in service, a warning names the file, and the next poll
 * tries again. Publishing it would make grpc-js drop every new connection until the files agree.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';

import type * as grpc from '@grpc/grpc-js';

import type { Logger } from '../core/logger';
import { silentLogger } from '../core/logger';

type CaListener = grpc.experimental.CaCertificateUpdateListener;
type IdentityListener = grpc.experimental.IdentityCertificateUpdateListener;

/** Where the PEM files are. `certFile` and `keyFile` go together; `caFile` alone is a trust store. */
export interface CertFiles {
  readonly certFile?: string | undefined;
  readonly keyFile?: string | undefined;
  readonly caFile?: string | undefined;
}

/** A file that cannot be read or a set of files that is not a usable identity; names the file. */
export class CertFilesError extends Error {
  override readonly name = 'CertFilesError';
}

interface Loaded {
  readonly cert: Buffer | undefined;
  readonly key: Buffer | undefined;
  readonly ca: Buffer | undefined;
  readonly digest: string;
}

/** Default poll interval: Kubernetes updates a mounted Secret within about a minute anyway. */
export const DEFAULT_CERT_RELOAD_MS = 5_000;

function readPem(what: string, file: string | undefined): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (e) {
    throw new CertFilesError(`cannot read the ${what} file '${file}': ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Reads and checks the files; throws CertFilesError naming the file that is wrong. */
export function loadCertFiles(files: CertFiles): Loaded {
  if ((files.certFile === undefined) !== (files.keyFile === undefined)) {
    throw new CertFilesError(files.certFile === undefined ? `key file '${files.keyFile}' given without a certificate file` : `certificate file '${files.certFile}' given without a key file`);
  }
  const cert = readPem('certificate', files.certFile);
  const key = readPem('key', files.keyFile);
  const ca = readPem('trusted CA', files.caFile);
  try {
    // Node's TLS silently ignores a CA bundle it cannot parse; every certificate in it must parse.
    if (ca !== undefined) {
      const blocks = ca.toString('latin1').match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
      if (blocks.length === 0) throw new Error('no -----BEGIN CERTIFICATE----- block');
      for (const b of blocks) new X509Certificate(b);
    }
  } catch (e) {
    throw new CertFilesError(`trusted CA file '${files.caFile}' holds no usable PEM certificate: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    if (cert !== undefined && key !== undefined) createSecureContext({ cert, key });
  } catch (e) {
    throw new CertFilesError(
      `certificate file '${files.certFile}' and key file '${files.keyFile}' are not a usable pair: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const digest = createHash('sha256')
    .update(cert ?? '')
    .update('\0')
    .update(key ?? '')
    .update('\0')
    .update(ca ?? '')
    .digest('hex');
  return { cert, key, ca, digest };
}

/**
 * A grpc-js CertificateProvider over files, polled every `intervalMs` while anything listens.
 * Construction reads the files once and throws {@link CertFilesError} if they are unusable, so a
 * node refuses to start on bad files instead of serving nothing.
 */
export class ReloadingCertificateProvider implements grpc.experimental.CertificateProvider {
  private current: Loaded;
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();
  private timer: NodeJS.Timeout | null = null;
  private failing = false;
  private readonly logger: Logger;

  constructor(
    private readonly files: CertFiles,
    private readonly options: { readonly intervalMs?: number; readonly logger?: Logger; readonly label?: string } = {},
  ) {
    this.current = loadCertFiles(files);
    this.logger = options.logger ?? silentLogger;
  }

  /** Re-reads the files now; publishes them if they changed and are usable. */
  reload(): void {
    let next: Loaded;
    try {
      next = loadCertFiles(this.files);
    } catch (e) {
      if (!this.failing) {
        this.failing = true;
        const err = e instanceof Error ? e.message : String(e);
        this.logger.warn({ tls: this.options.label, err }, `keeping the previous ${this.options.label ?? 'server'} TLS certificates: ${err}`);
      }
      return;
    }
    this.failing = false;
    if (next.digest === this.current.digest) return;
    this.current = next;
    this.logger.info({ tls: this.options.label, certFile: this.files.certFile, caFile: this.files.caFile }, `reloaded the ${this.options.label ?? 'server'} TLS certificates`);
    for (const l of this.identityListeners) l(this.identityUpdate());
    for (const l of this.caListeners) l(this.caUpdate());
  }

  /** Stops polling; listeners keep the last certificates they were given. */
  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private identityUpdate(): grpc.experimental.IdentityCertificateUpdate | null {
    const { cert, key } = this.current;
    return cert === undefined || key === undefined ? null : { certificate: cert, privateKey: key };
  }

  private caUpdate(): grpc.experimental.CaCertificateUpdate | null {
    return this.current.ca === undefined ? null : { caCertificate: this.current.ca };
  }

  private watch(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.reload(), this.options.intervalMs ?? DEFAULT_CERT_RELOAD_MS);
    // Polling must never be what keeps a stopping process alive.
    this.timer.unref();
  }

  private unwatchIfIdle(): void {
    if (this.caListeners.size === 0 && this.identityListeners.size === 0) this.close();
  }

  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    this.watch();
    process.nextTick(listener, this.caUpdate());
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
    this.unwatchIfIdle();
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    this.watch();
    process.nextTick(listener, this.identityUpdate());
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
    this.unwatchIfIdle();
  }
}
