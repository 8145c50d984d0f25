import type { Logger } from '@quorumlock/raft';
import { statusError, type StatusError } from '../errors';
import { callCredential, type CallerCall, type CredentialSource } from './identity';
import { deniedReason, parsePolicy, type Permission, type Policy } from './policy';
import { ReloadingFile } from './reloading-file';
import { parseTokenFile, type TokenTable } from './token-file';

export const ANONYMOUS = 'anonymous';

export interface AuthFiles {
  /** `--auth-policy-file`: its presence turns authorization on. */
  readonly policyFile: string;
  /** `--auth-token-file`: bearer tokens (optional: client certificates may name callers instead). */
  readonly tokenFile?: string | undefined;
}

export type Authentication = { readonly ok: true; readonly identity: string } | { readonly ok: false; readonly error: StatusError; readonly reason: string };

/**
 * Authorization on (issue 11 §3): who a caller is (token file or client certificate) and whether
 * the policy lets it. Both files are reloaded when they change.
 */
export class Authorizer {
  constructor(
    private readonly policy: { readonly current: Policy },
    private readonly tokens: { readonly current: TokenTable } | undefined,
    private readonly credential: CredentialSource = callCredential,
  ) {}

  /** Loads both files (throws AuthFileError naming the file and line) and starts watching them. */
  static fromFiles(files: AuthFiles, logger: Logger): { authorizer: Authorizer; stop: () => void } {
    const policy = new ReloadingFile(files.policyFile, parsePolicy, logger, 'auth policy file', (p) => ({ identities: p.size }));
    const tokens = files.tokenFile === undefined ? undefined : new ReloadingFile(files.tokenFile, parseTokenFile, logger, 'auth token file', (t) => ({ tokens: t.size }));
    policy.start();
    tokens?.start();
    return {
      authorizer: new Authorizer(policy, tokens),
      stop: () => {
        policy.stop();
        tokens?.stop();
      },
    };
  }

  authenticate(call: CallerCall): Authentication {
    const c = this.credential(call);
    const refuse = (reason: string): Authentication => ({
      ok: false, reason, error: statusError('ERR_UNAUTHENTICATED', `${reason}; authorization is on: send \`authorization: Bearer <token>\` or a client certificate`),
    });
    switch (c.kind) {
      case 'none':
        return refuse('no credentials');
      case 'malformed':
        return refuse(c.reason);
      case 'certificate':
        return { ok: true, identity: c.identity };
      case 'bearer': {
        const identity = this.tokens?.current.get(c.token);
        return identity === undefined ? refuse('unknown bearer token') : { ok: true, identity };
      }
    }
  }

  /** PERMISSION_DENIED naming the permission and the resource, or undefined when allowed. */
  authorize(identity: string, p: Permission): { readonly error: StatusError; readonly reason: string } | undefined {
    const reason = deniedReason(this.policy.current, identity, p);
    return reason === undefined ? undefined : { reason, error: statusError('ERR_PERMISSION_DENIED', reason) };
  }
}
