/**
 * lockctl's TLS flags, etcdctl's names: --cacert, --cert, --key, or QUORUMLOCK_CACERT,
 * QUORUMLOCK_CERT, QUORUMLOCK_KEY. Any of them turns TLS on; the files are read here so that a
 * missing one is a usage error naming the flag, not a connection failure later.
 */
import { readFileSync } from 'node:fs';
import type { TlsOptions } from '../channels';

export const TLS_FLAG_ENV: Readonly<Record<'cacert' | 'cert' | 'key', string>> = {
  cacert: 'QUORUMLOCK_CACERT',
  cert: 'QUORUMLOCK_CERT',
  key: 'QUORUMLOCK_KEY',
};

/** The TLS settings of the flags (which win) and the variables; undefined: plaintext. */
export function tlsFromFlags(
  options: Readonly<Record<string, string | number | boolean | undefined>>,
  env: Readonly<Record<string, string | undefined>>,
  fail: (message: string) => Error,
): TlsOptions | undefined {
  const read = (flag: 'cacert' | 'cert' | 'key'): Buffer | undefined => {
    const fromFlag = options[flag];
    const file = typeof fromFlag === 'string' ? fromFlag : env[TLS_FLAG_ENV[flag]];
    if (file === undefined || file === '') return undefined;
    const source = typeof fromFlag === 'string' ? `--${flag}` : TLS_FLAG_ENV[flag];
    try {
      return readFileSync(file);
    } catch (e) {
      throw fail(`${source} '${file}' cannot be read: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const ca = read('cacert');
  const cert = read('cert');
  const key = read('key');
  if ((cert === undefined) !== (key === undefined)) throw fail(cert === undefined ? '--key needs --cert (the client certificate)' : '--cert needs --key (its private key)');
  if (ca === undefined && cert === undefined) return undefined;
  return { ca, cert, key };
}
