/**
 * gRPC plumbing shared by LockClient and AdminClient: endpoint parsing, the leader hint carried
 * by UNAVAILABLE answers, and one channel per address (reused across reconnects and redirects).
 */
import * as grpc from '@grpc/grpc-js';
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { ERROR_CODE_METADATA_KEY } from '@quorumlock/proto';
import { InvalidArgumentError } from './errors';

export { authInterceptors, type CallAuthOptions } from './call-auth';

/** The trailer a follower sets on UNAVAILABLE: the leader's client address. */
export const LEADER_METADATA_KEY = 'quorumlock-leader';
/** The trailer with the error code of the wire catalogue (`x-lock-error-code`), when the server sends it. */
export { ERROR_CODE_METADATA_KEY };

/** PEM text, as a Buffer (e.g. `fs.readFileSync(...)`) or a string. */
export type Pem = Buffer | string;

/**
 * TLS settings (`tls: true` instead uses the system roots and no client certificate). The same
 * settings serve every node, so redirects to the leader stay on TLS.
 */
export interface TlsOptions {
  /** CA bundle the servers' certificates are verified against (default: the system roots). */
  readonly ca?: Pem | undefined;
  /** Client certificate (chain), for a server started with --client-cert-auth; needs `key`. */
  readonly cert?: Pem | undefined;
  /** Private key of `cert`. */
  readonly key?: Pem | undefined;
  /** Name the servers' certificates must carry, instead of the host of the address dialled. */
  readonly serverName?: string | undefined;
  /** Older names of `ca`, `key` and `cert`. */
  readonly rootCerts?: Buffer | undefined;
  readonly privateKey?: Buffer | undefined;
  readonly certChain?: Buffer | undefined;
}

/** `host:port`, `[v6]:port`: the shape every endpoint must have. */
const ENDPOINT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/;

/** Checks one `host:port`; returns the reason it is not one, or undefined. */
export function endpointProblem(endpoint: string): string | undefined {
  const m = ENDPOINT.exec(endpoint);
  if (m === null) return `'${endpoint}' is not host:port`;
  const port = Number(m[2]);
  if (!(port >= 1 && port <= 65535)) return `'${endpoint}' has port ${m[2]}, outside 1..65535`;
  return undefined;
}

/**
 * Normalizes a list of endpoints (an array, or a comma-separated string): trims, drops empty
 * items and duplicates. Throws InvalidArgumentError naming the first bad one.
 */
export function parseEndpoints(input: string | readonly string[]): string[] {
  const items = (typeof input === 'string' ? input.split(',') : [...input]).map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new InvalidArgumentError('no endpoints given: pass at least one host:port of a coordinator');
  for (const e of items) {
    const problem = endpointProblem(e);
    if (problem !== undefined) throw new InvalidArgumentError(`endpoint ${problem} (expected e.g. 127.0.0.1:6001)`);
  }
  return [...new Set(items)];
}

/** The leader hint in trailers, or undefined when absent or malformed. */
export function leaderHint(metadata: grpc.Metadata | undefined): string | undefined {
  const v = metadata?.get(LEADER_METADATA_KEY)[0];
  const s = typeof v === 'string' ? v.trim() : v instanceof Buffer ? v.toString('utf8').trim() : '';
  return s !== '' && endpointProblem(s) === undefined ? s : undefined;
}

/** Trailer of a busy node's RESOURCE_EXHAUSTED refusal of an open: milliseconds to wait before retrying. */
export const RETRY_AFTER_METADATA_KEY = 'quorumlock-retry-after-ms';

/** The retry hint of a refused open (0..60 s), or undefined when absent or malformed. */
export function retryAfterHint(metadata: grpc.Metadata | undefined): number | undefined {
  const v = metadata?.get(RETRY_AFTER_METADATA_KEY)[0];
  const n = Number(typeof v === 'string' ? v.trim() : v instanceof Buffer ? v.toString('utf8').trim() : NaN);
  return Number.isSafeInteger(n) && n >= 0 && n <= 60_000 ? n : undefined;
}

/** The `x-lock-error-code` trailer, if any. */
export function errorCodeHint(metadata: grpc.Metadata | undefined): string | undefined {
  const v = metadata?.get(ERROR_CODE_METADATA_KEY)[0];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The endpoint after `current` in `endpoints` (the first when `current` is not listed). */
export function nextEndpoint(endpoints: readonly string[], current: string | undefined): string {
  const i = current === undefined ? -1 : endpoints.indexOf(current);
  const next = endpoints[(i + 1) % endpoints.length];
  if (next === undefined) throw new Error('invariant: the endpoint list is empty');
  return next;
}

function pem(name: string, v: Pem | undefined): Buffer | null {
  if (v === undefined) return null;
  const b = typeof v === 'string' ? Buffer.from(v) : v;
  if (!b.includes('-----BEGIN ')) throw new InvalidArgumentError(`tls.${name} is not PEM text (no '-----BEGIN' line); pass the file's contents, not its path`);
  return b;
}

/** Credentials and extra channel options for dialling one `host:port`. */
export type ChannelSetup = (target: string) => { readonly credentials: grpc.ChannelCredentials; readonly options: grpc.ChannelOptions };

/** The host of `host:port` or `[v6]:port`. */
function hostOf(target: string): string {
  const host = target.slice(0, target.lastIndexOf(':'));
  return host.startsWith('[') ? host.slice(1, -1) : host;
}

/**
 * How to dial each address under `tls`; throws InvalidArgumentError naming a bad setting. The
 * same settings serve every address, so a redirect to the leader stays on TLS.
 */
export function credentialsFor(tls: boolean | TlsOptions | undefined): ChannelSetup {
  const plain = (credentials: grpc.ChannelCredentials): ChannelSetup => () => ({ credentials, options: {} });
  if (tls === undefined || tls === false) return plain(grpc.credentials.createInsecure());
  if (tls === true) return plain(grpc.credentials.createSsl());
  const ca = pem('ca', tls.ca) ?? tls.rootCerts ?? null;
  const cert = pem('cert', tls.cert) ?? tls.certChain ?? null;
  const key = pem('key', tls.key) ?? tls.privateKey ?? null;
  if ((cert === null) !== (key === null)) throw new InvalidArgumentError(cert === null ? 'tls.key given without tls.cert' : 'tls.cert given without tls.key');
  const ssl = (checkAs?: string): grpc.ChannelCredentials => {
    try {
      return grpc.credentials.createSsl(ca, key, cert, checkAs === undefined ? {} : { checkServerIdentity: (_host: string, c: PeerCertificate) => checkServerIdentity(checkAs, c) });
    } catch (e) {
      throw new InvalidArgumentError(`tls: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const serverName = tls.serverName;
  if (serverName !== undefined) {
    const credentials = ssl(serverName);
    return () => ({ credentials, options: { 'grpc.ssl_target_name_override': serverName } });
  }
  const byName = ssl();
  return (target) => {
    const host = hostOf(target);
    if (isIP(host) === 0) return { credentials: byName, options: {} };
    // TLS's server name indication may not carry an IP address (RFC 6066; Node warns when asked
    // to): send a placeholder name and check the certificate against the IP itself.
    return { credentials: ssl(host), options: { 'grpc.ssl_target_name_override': 'quorumlock-server' } };
  };
}

/**
 * Channel options: grpc-js's own reconnect backoff is kept short (100 ms .. 2 s) because the SDK
 * runs its own jittered backoff on top, and a channel stuck in a long TRANSIENT_FAILURE backoff
 * would fail every call to a node that has already come back.
 */
const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 2000,
  'grpc.enable_retries': 0,
};

/**
 * One grpc.Client per address. The owner closes it. `dialMap` sends a node's advertised address
 * (an endpoint, or a leader named in a redirect) to another address to dial, for clients that
 * reach the cluster through NAT, a sidecar or a proxy.
 */
export class ChannelPool {
  private readonly clients = new Map<string, grpc.Client>();
  private closed = false;

  constructor(
    private readonly security: grpc.ChannelCredentials | ChannelSetup,
    private readonly dialMap: Readonly<Record<string, string>> = {},
    /** Client interceptors of every call, e.g. the bearer token (call-auth.ts). */
    private readonly interceptors: grpc.Interceptor[] = [],
  ) {}

  get(address: string): grpc.Client {
    if (this.closed) throw new Error('invariant: channel pool used after close');
    let c = this.clients.get(address);
    if (c === undefined) {
      const target = this.dialMap[address] ?? address;
      const { credentials, options } = typeof this.security === 'function' ? this.security(target) : { credentials: this.security, options: {} };
      c = new grpc.Client(target, credentials, { ...CHANNEL_OPTIONS, ...options, interceptors: this.interceptors });
      this.clients.set(address, c);
    }
    return c;
  }

  close(): void {
    this.closed = true;
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

/** grpc-js details without their empty trailing "Resolution note:" (noise in messages for people). */
export function cleanDetails(details: string): string {
  return details.replace(/\s*Resolution note:\s*$/, '').trim();
}
