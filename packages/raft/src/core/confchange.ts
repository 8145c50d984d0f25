import { assert, assertNever } from './assert';
import type { ConfChange, Entry, NodeId } from './types';

/**
 * The membership rules (single-server changes, thesis §4.1; etcd-io/raft's confchange package):
 * which changes a leader accepts, what a committed change does to the configuration, and how a
 * change is written in the log.
 */

/** `addVoter` is used only to bootstrap a new cluster's founding members. */
export type ExtendedConfChange = ConfChange | { readonly type: 'addVoter'; readonly node: NodeId; readonly context: string };

/** The configuration a change applies to; the sets are changed in place. */
export interface Membership {
  readonly voters: Set<NodeId>;
  readonly learners: Set<NodeId>;
}

/** Why the leader refuses to propose `cc` against this configuration, or null when it may. */
export function validateConfChange(cc: ConfChange, voters: ReadonlySet<NodeId>, learners: ReadonlySet<NodeId>): string | null {
  if (cc.node === '') return 'node id must not be empty';
  switch (cc.type) {
    case 'addLearner':
      if (voters.has(cc.node)) return `node ${cc.node} is already a voter`;
      if (learners.has(cc.node)) return `node ${cc.node} is already a learner`;
      return null;
    case 'promote':
      if (!learners.has(cc.node)) return `node ${cc.node} is not a learner`;
      return null;
    case 'remove':
      if (!voters.has(cc.node) && !learners.has(cc.node)) return `node ${cc.node} is not a member`;
      if (voters.has(cc.node) && voters.size === 1) return `cannot remove ${cc.node}, the last voter`;
      return null;
    default:
      return assertNever(cc.type);
  }
}

/**
 * Apply a committed change to the configuration. False when it changes nothing: a committed
 * change is applied as it comes, and adding a voter as a learner or promoting a non-learner is void.
 */
export function applyToMembership(m: Membership, cc: ExtendedConfChange): boolean {
  switch (cc.type) {
    case 'addVoter':
      m.learners.delete(cc.node);
      m.voters.add(cc.node);
      return true;
    case 'addLearner':
      if (m.voters.has(cc.node)) return false;
      m.learners.add(cc.node);
      return true;
    case 'promote':
      if (!m.learners.has(cc.node)) return false;
      m.learners.delete(cc.node);
      m.voters.add(cc.node);
      return true;
    case 'remove':
      m.voters.delete(cc.node);
      m.learners.delete(cc.node);
      return true;
    default:
      return assertNever(cc);
  }
}

/**
 * A brand-new cluster: the founding members are written as committed membership entries at
 * term 1, identically on every founder, so the configuration is in the log like any later change.
 */
export function bootstrapEntries(peers: readonly NodeId[]): Entry[] {
  return peers.map((node, i): Entry => ({
    term: 1,
    index: i + 1,
    type: 'confChange',
    data: encodeConfChange({ type: 'addVoter', node, context: '' }),
  }));
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** Membership entries are JSON so they stay readable in a log dump and independent of any codec. */
export function encodeConfChange(cc: ExtendedConfChange): Uint8Array {
  return textEncoder.encode(JSON.stringify({ type: cc.type, node: cc.node, context: cc.context }));
}

export function decodeConfChange(data: Uint8Array): ExtendedConfChange {
  const v: unknown = JSON.parse(textDecoder.decode(data));
  assert(typeof v === 'object' && v !== null, 'membership entry is not an object');
  const o = v as Record<string, unknown>;
  const type = o['type'];
  assert(type === 'addVoter' || type === 'addLearner' || type === 'promote' || type === 'remove', `unknown membership change ${String(type)}`);
  assert(typeof o['node'] === 'string' && typeof o['context'] === 'string', 'membership entry lacks node or context');
  return { type, node: o['node'], context: o['context'] };
}
