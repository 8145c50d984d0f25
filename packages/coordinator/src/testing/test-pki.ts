/**
 * Test only: a throwaway PKI made per run with Debian's `openssl` (/usr/bin/openssl, package
 * `openssl`): a CA, and for each member a server certificate (client port) and a peer certificate
 * (SAN URI quorumlock://<id>), and client certificates by CN. The same shape as the README's
 * "Securing a cluster" commands; EC P-256 keys, so a whole PKI takes well under a second.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A certificate and its key, as files. */
export interface CertPair {
  readonly cert: string;
  readonly key: string;
}

/** PEM contents for an SDK `tls` option: `{ ca, cert, key }`. */
export interface TlsMaterial {
  readonly ca: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

export const OPENSSL = fs.existsSync('/usr/bin/openssl') ? '/usr/bin/openssl' : 'openssl';

const VALID_DAYS = '2';

function openssl(args: readonly string[], cwd: string): void {
  try {
    execFileSync(OPENSSL, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`openssl ${args.join(' ')} failed in ${cwd}: ${stderr || String(e)} (is Debian's openssl installed? apt-get install -y openssl)`);
  }
}

/** A CA that signs leaf certificates in `dir`. */
export class TestCa {
  readonly caFile: string;
  private readonly caKey: string;

  /** Makes a new CA named `name` in `dir` (created if missing). */
  constructor(
    readonly dir: string,
    readonly name = 'quorumlock-test-ca',
  ) {
    fs.mkdirSync(dir, { recursive: true });
    this.caFile = path.join(dir, `${name}.crt`);
    this.caKey = path.join(dir, `${name}.key`);
    openssl(
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', this.caKey, '-out', this.caFile, '-days', VALID_DAYS, '-subj', `/CN=${name}`,
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      ],
      dir,
    );
  }

  /**
   * A leaf certificate `<file>.crt`/`<file>.key` with subject CN `cn` and the given SANs
   * (`DNS:x`, `IP:1.2.3.4`, `URI:quorumlock://n1`), usable as server and client.
   */
  issue(file: string, cn: string, sans: readonly string[]): CertPair {
    const key = path.join(this.dir, `${file}.key`);
    const cert = path.join(this.dir, `${file}.crt`);
    const csr = path.join(this.dir, `${file}.csr`);
    const ext = path.join(this.dir, `${file}.ext`);
    openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`], this.dir);
    const lines = ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth,clientAuth'];
    if (sans.length > 0) lines.push(`subjectAltName=${sans.join(',')}`);
    fs.writeFileSync(ext, `${lines.join('\n')}\n`);
    openssl(['x509', '-req', '-in', csr, '-CA', this.caFile, '-CAkey', this.caKey, '-CAcreateserial', '-out', cert, '-days', VALID_DAYS, '-extfile', ext], this.dir);
    fs.rmSync(csr);
    fs.rmSync(ext);
    return { cert, key };
  }

  /** A member's client-port certificate: 127.0.0.1 and localhost. */
  server(id: string, file = `${id}-server`): CertPair {
    return this.issue(file, id, ['IP:127.0.0.1', 'DNS:localhost']);
  }

  /** A member's peer certificate: it names member `id` (quorumlock://id). */
  peer(id: string, file = `${id}-peer`): CertPair {
    return this.issue(file, id, [`URI:quorumlock://${id}`, 'IP:127.0.0.1']);
  }

  /** A client certificate whose identity is `cn`. */
  client(cn: string, file = `client-${cn}`): CertPair {
    return this.issue(file, cn, []);
  }

  /** PEM contents of the CA and, with `pair`, a client certificate. */
  material(pair?: CertPair): TlsMaterial {
    const ca = fs.readFileSync(this.caFile);
    return pair === undefined ? { ca } : { ca, cert: fs.readFileSync(pair.cert), key: fs.readFileSync(pair.key) };
  }
}
