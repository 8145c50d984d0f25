/**
 * The static token file (`--auth-token-file`), like Kubernetes' (without its uid and group
 * columns): one `token,identity` per line; blank lines and lines starting with `#` are skipped.
 */

/** A file that cannot be used; the message names the file, the line and the value. */
export class AuthFileError extends Error {
  override readonly name = 'AuthFileError';
}

/** Shorter tokens are guessable; 16 characters of base64 are 96 bits. */
export const MIN_TOKEN_LENGTH = 16;

/** token -> identity */
export type TokenTable = ReadonlyMap<string, string>;

export function parseTokenFile(text: string, path: string): TokenTable {
  const out = new Map<string, string>();
  const lineOf = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `${path}:${i + 1}`;
    const cols = line.split(',').map((c) => c.trim());
    if (cols.length !== 2) {
      throw new AuthFileError(`${where}: expected \`token,identity\` (2 columns), got ${cols.length} columns`);
    }
    const [token, identity] = cols as [string, string];
    if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
      // The token itself is a secret: the message names its line and length, not its value.
      throw new AuthFileError(`${where}: the token (of ${token.length} characters) must be at least ${MIN_TOKEN_LENGTH} characters without spaces`);
    }
    if (identity === '') throw new AuthFileError(`${where}: the identity is empty`);
    const first = lineOf.get(token);
    if (first !== undefined) throw new AuthFileError(`${where}: the same token as line ${first} (identity '${identity}')`);
    lineOf.set(token, i + 1);
    out.set(token, identity);
  }
  return out;
}
