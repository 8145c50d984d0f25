import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { AuthFileError } from './token-file';

/**
 * The authorization policy (`--auth-policy-file`, YAML or JSON, which is YAML too): which roles
 * each identity has.
 *
 *   bindings:
 *     - identity: alice
 *       roles: [admin]
 *     - identity: orders-service
 *       roles: [client]
 *       prefixes: [orders/]      # client role only: the lock names it may use (default: all)
 */

export const ROLES = ['admin', 'reader', 'client'] as const;
export type Role = (typeof ROLES)[number];

/** What an identity may do. */
export interface Grant {
  readonly roles: ReadonlySet<Role>;
  /** Lock names the client role is limited to (empty: every name). */
  readonly prefixes: readonly string[];
}

export type Policy = ReadonlyMap<string, Grant>;

/**
 * What a call needs: an admin action (Revoke, ExpireSession, ... by RPC name), a read (Status,
 * ListLocks, DescribeLock, ListSessions), or locking (LockService) with the lock name when there
 * is one.
 */
export type Permission =
  | { readonly kind: 'admin'; readonly action: string; readonly resource: string }
  | { readonly kind: 'read'; readonly action: string; readonly resource: string }
  | { readonly kind: 'lock'; readonly action: string; readonly lockName?: string };

/** Undefined when allowed; else why not (for PERMISSION_DENIED). */
export function deniedReason(policy: Policy, identity: string, p: Permission): string | undefined {
  const g = policy.get(identity);
  const roles = g === undefined ? 'no role' : `role ${[...g.roles].join(', ')}`;
  const resource = p.kind === 'lock' ? (p.lockName === undefined ? 'LockService' : `'${p.lockName.slice(0, 128)}'`) : p.resource;
  const refuse = (needs: string): string => `'${identity}' (${roles}) may not ${p.action} ${resource}: permission '${permissionName(p)}' needs ${needs}`;
  if (g === undefined) return refuse(p.kind === 'admin' ? 'role admin' : p.kind === 'read' ? 'role reader or admin' : 'role client or admin');
  if (g.roles.has('admin')) return undefined;
  if (p.kind === 'admin') return refuse('role admin');
  if (p.kind === 'read') return g.roles.has('reader') ? undefined : refuse('role reader or admin');
  if (!g.roles.has('client')) return refuse('role client or admin');
  if (p.lockName === undefined || g.prefixes.length === 0 || g.prefixes.some((x) => p.lockName?.startsWith(x) === true)) return undefined;
  return refuse(`a name under ${g.prefixes.map((x) => `'${x}'`).join(', ')}`);
}

export function permissionName(p: Permission): string {
  return `${p.kind}:${p.action}`;
}

/** Parses a policy file's text; errors name the file, the line and the value. */
export function parsePolicy(text: string, path: string): Policy {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (node: Node | null | undefined): string => {
    const offset = node?.range?.[0];
    return offset === undefined ? path : `${path}:${lines.linePos(offset).line}`;
  };
  const first = doc.errors[0];
  if (first !== undefined) throw new AuthFileError(`${path}:${lines.linePos(first.pos[0]).line}: not valid YAML or JSON: ${first.message.split('\n')[0] ?? ''}`);
  const root = doc.contents;
  if (!isMap(root)) throw new AuthFileError(`${at(root)}: the policy must be a map with a \`bindings\` list`);
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (key !== 'bindings') throw new AuthFileError(`${at(pair.key as Node)}: unknown key '${key}' (expected \`bindings\`)`);
  }
  const bindings = root.get('bindings', true);
  if (!isSeq(bindings)) throw new AuthFileError(`${at((bindings ?? root) as Node)}: \`bindings\` must be a list of {identity, roles, prefixes}`);
  const out = new Map<string, Grant>();
  for (const item of bindings.items) {
    const where = at(item as Node);
    if (!isMap(item)) throw new AuthFileError(`${where}: a binding must be a map {identity, roles, prefixes}`);
    const fields = new Map<string, Node>();
    for (const pair of item.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!['identity', 'roles', 'prefixes'].includes(key)) throw new AuthFileError(`${at(pair.key as Node)}: unknown key '${key}' (expected identity, roles, prefixes)`);
      fields.set(key, pair.value as Node);
    }
    const idNode = fields.get('identity');
    const identity = isScalar(idNode) && typeof idNode.value === 'string' ? idNode.value.trim() : '';
    if (identity === '') throw new AuthFileError(`${at(idNode) === path ? where : at(idNode)}: \`identity\` must be a non-empty string`);
    if (out.has(identity)) throw new AuthFileError(`${where}: identity '${identity}' is bound twice`);
    const roles = new Set<Role>();
    for (const r of stringList(fields.get('roles'), 'roles', where, at)) {
      if (!(ROLES as readonly string[]).includes(r)) throw new AuthFileError(`${where}: role '${r}' of '${identity}' is not one of ${ROLES.join(', ')}`);
      roles.add(r as Role);
    }
    if (roles.size === 0) throw new AuthFileError(`${where}: '${identity}' has no roles`);
    const prefixes = fields.has('prefixes') ? stringList(fields.get('prefixes'), 'prefixes', where, at) : [];
    if (prefixes.length > 0 && !roles.has('client')) throw new AuthFileError(`${where}: '${identity}' has prefixes but not the client role they limit`);
    if (prefixes.some((p) => p === '')) throw new AuthFileError(`${where}: an empty prefix of '${identity}' would allow every name; leave \`prefixes\` out instead`);
    out.set(identity, { roles, prefixes });
  }
  return out;
}

function stringList(node: Node | undefined, key: string, where: string, at: (n: Node | undefined) => string): string[] {
  if (!isSeq(node)) throw new AuthFileError(`${node === undefined ? where : at(node)}: \`${key}\` must be a list of strings`);
  return node.items.map((x) => {
    if (!isScalar(x) || typeof x.value !== 'string') throw new AuthFileError(`${at(x as Node)}: \`${key}\` has '${String(isScalar(x) ? x.value : x)}', not a string`);
    return x.value;
  });
}
