import type * as grpc from '@grpc/grpc-js';

/**
 * Where a caller's identity comes from (issue 11 §3): a bearer token (`authorization: Bearer
 * <token>`, looked up in the token file), or the verified client certificate of a TLS connection.
 */
export type Credential =
  | { readonly kind: 'none' }
  | { readonly kind: 'bearer'; readonly token: string }
  | { readonly kind: 'malformed'; readonly reason: string }
  | { readonly kind: 'certificate'; readonly identity: string };

/** The subset of Node's tls.PeerCertificate this module reads. */
export interface PeerCertificateLike {
  readonly subject?: Readonly<Record<string, string | readonly string[] | undefined>> | undefined;
  readonly subjectaltname?: string | undefined;
}

/**
 * The identity a verified client certificate names: its subject CN (as etcd does), or, for a
 * certificate without one, its first subjectAltName of type URI, DNS or email, in that order of
 * preference. Undefined when the certificate names nothing (or there is none: Node reports an
 * absent certificate as an empty object).
 */
export function identityFromPeerCertificate(cert: PeerCertificateLike | undefined | null): string | undefined {
  if (cert === undefined || cert === null) return undefined;
  const cn = cert.subject?.['CN'];
  const first = typeof cn === 'string' ? cn : cn?.[0];
  if (first !== undefined && first.trim() !== '') return first.trim();
  const sans = parseSubjectAltName(cert.subjectaltname ?? '');
  for (const type of ['URI', 'DNS', 'email']) {
    const san = sans.find((s) => s.type === type && s.value !== '');
    if (san !== undefined) return san.value;
  }
  return undefined;
}

/**
 * Node's `subjectaltname` string: `DNS:a.example, URI:quorumlock://x, IP Address:10.0.0.1`. A
 * value with a comma or quote in it is written as a JSON string (`DNS:"a, b"`), so the split
 * respects quotes.
 */
export function parseSubjectAltName(text: string): Array<{ type: string; value: string }> {
  const out: Array<{ type: string; value: string }> = [];
  let i = 0;
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === ',') i++;
    const colon = text.indexOf(':', i);
    if (colon < 0) break;
    const type = text.slice(i, colon);
    let j = colon + 1;
    let value: string;
    if (text[j] === '"') {
      let k = j + 1;
      while (k < text.length && text[k] !== '"') k += text[k] === '\\' ? 2 : 1;
      try {
        value = JSON.parse(text.slice(j, k + 1)) as string;
      } catch {
        value = text.slice(j + 1, k);
      }
      j = k + 1;
    } else {
      const end = text.indexOf(', ', j);
      value = text.slice(j, end < 0 ? text.length : end);
      j = end < 0 ? text.length : end;
    }
    out.push({ type, value });
    i = j;
  }
  return out;
}

/** The `authorization` metadata of a call, read as a bearer token. */
export function bearerCredential(metadata: grpc.Metadata): Credential {
  const values = metadata.get('authorization');
  if (values.length === 0) return { kind: 'none' };
  if (values.length > 1) return { kind: 'malformed', reason: 'more than one authorization header' };
  const v = values[0];
  const text = typeof v === 'string' ? v : v instanceof Buffer ? v.toString('utf8') : '';
  const m = /^Bearer\s+(\S+)\s*$/i.exec(text);
  if (m?.[1] === undefined) return { kind: 'malformed', reason: 'the authorization header is not `Bearer <token>`' };
  return { kind: 'bearer', token: m[1] };
}

/** The parts of a grpc-js server call (unary or stream) that identify its caller. */
export interface CallerCall {
  readonly metadata: grpc.Metadata;
  getAuthContext(): { readonly sslPeerCertificate?: PeerCertificateLike | undefined };
  getPeer(): string;
}

/** What a call offers to identify itself; a bearer token, when sent, is what names the caller. */
export type CredentialSource = (call: CallerCall) => Credential;

/**
 * Bearer tokens, then the verified client certificate (`getAuthContext().sslPeerCertificate`,
 * set by grpc-js only on TLS connections whose client certificate was verified).
 */
export const callCredential: CredentialSource = (call) => {
  const bearer = bearerCredential(call.metadata);
  if (bearer.kind !== 'none') return bearer;
  const identity = identityFromPeerCertificate(call.getAuthContext().sslPeerCertificate);
  return identity === undefined ? { kind: 'none' } : { kind: 'certificate', identity };
};
