/**
 * Offline surgery on a node's store, for the two disaster procedures (an operator's explicit
 * request, never automatic): seeding a new cluster's empty store from a snapshot (like
 * `etcdutl snapshot restore`), and forcing a survivor's configuration down to itself after the
 * rest of its cluster is gone for good (like etcd's `--force-new-cluster`). Both write through
 * the ordinary WritableStorage contract, so what they leave is what a node could have written.
 */
import { decodeConfChange, encodeConfChange, type ExtendedConfChange } from '../core/confchange';
import type { Entry, NodeId } from '../core/types';
import type { WritableStorage } from '../storage/storage';
import { packSnapshotEnvelope } from './snapshot-envelope';

/** A store nothing was ever written to: no entry, no snapshot, no term. */
export function isEmptyStore(storage: WritableStorage): boolean {
  return storage.lastIndex() === 0 && storage.snapshot().meta.index === 0 && storage.initialState().hardState.term === 0;
}

export interface SnapshotSeed {
  readonly index: number;
  readonly term: number;
  /** The new cluster's members, all voters. */
  readonly voters: readonly NodeId[];
  /** Each new member's context (the shell keeps `peer` and `client` addresses there). */
  readonly members: Readonly<Record<NodeId, Readonly<Record<string, string>>>>;
  /** The application's snapshot bytes. */
  readonly app: Uint8Array;
}

/**
 * Make an empty store start from `seed`: a snapshot at (index, term) whose configuration is the
 * new voters, committed, with an empty log after it. Every member of the new cluster seeded from
 * the same snapshot holds the same log prefix, so they elect a leader among themselves and carry
 * on from index + 1 (fencing tokens, which are Raft indexes, keep growing).
 */
export async function seedStoreFromSnapshot(storage: WritableStorage, seed: SnapshotSeed): Promise<void> {
  if (!isEmptyStore(storage)) throw new Error('the store is not empty: a snapshot seeds only a new, empty store');
  if (seed.index < 1 || seed.term < 1) throw new Error(`cannot seed from a snapshot at index ${seed.index}, term ${seed.term}`);
  if (seed.voters.length === 0) throw new Error('cannot seed a store with no voters');
  const members = Object.fromEntries(Object.entries(seed.members).map(([id, ctx]) => [id, { ...ctx }]));
  const data = packSnapshotEnvelope({ members, app: seed.app });
  await storage.persist(
    {
      hardState: { term: seed.term, vote: '', commit: seed.index },
      entries: [],
      snapshot: { meta: { index: seed.index, term: seed.term, confState: { voters: [...seed.voters].sort(), learners: [] } }, data },
    },
    { sync: true },
  );
}

export interface ForcedConfiguration {
  /** Members the appended entries remove (voters and learners but `self`), sorted. */
  readonly removed: readonly NodeId[];
  /** `self` was a learner and is promoted first. */
  readonly promoted: boolean;
  /** The log's last index before, and the commit index it had. */
  readonly lastIndex: number;
  readonly commit: number;
  /** The new term, the appended entries' and the hard state's (0 when nothing changed). */
  readonly term: number;
}

/** A store that cannot be forced: `self` is not in its configuration, or it is empty. */
export class ForceNewClusterError extends Error {
  override readonly name = 'ForceNewClusterError';
}

/** The configuration at the end of the log: the snapshot's, then every membership entry after it. */
export function configurationAtEnd(storage: WritableStorage): { voters: Set<NodeId>; learners: Set<NodeId> } {
  const cs = storage.snapshot().meta.confState;
  const voters = new Set(cs.voters);
  const learners = new Set(cs.learners);
  const from = storage.snapshot().meta.index + 1;
  const last = storage.lastIndex();
  if (last >= from) {
    for (const e of storage.entries(from, last + 1, Number.MAX_SAFE_INTEGER)) {
      if (e.type !== 'confChange') continue;
      const cc = decodeConfChange(e.data);
      if (cc.type === 'remove') {
        voters.delete(cc.node);
        learners.delete(cc.node);
      } else if (cc.type === 'addVoter' || (cc.type === 'promote' && learners.has(cc.node))) {
        learners.delete(cc.node);
        voters.add(cc.node);
      } else if (cc.type === 'addLearner' && !voters.has(cc.node)) {
        learners.add(cc.node);
      }
    }
  }
  return { voters, learners };
}

/**
 * Rewrite the configuration to `self` alone, keeping every entry the store holds: in a new term,
 * append membership entries that promote `self` (if it is a learner) and remove every other
 * member, and mark the whole log committed. The entries beyond the old commit index are kept,
 * not dropped: they are the survivor's best knowledge (an acknowledged write may be among them),
 * and nobody else is left to disagree. Nothing is written when `self` already stands alone.
 */
export async function forceSingleMemberConfiguration(storage: WritableStorage, self: NodeId): Promise<ForcedConfiguration> {
  if (isEmptyStore(storage)) throw new ForceNewClusterError('the store is empty: there is no state to keep');
  const { voters, learners } = configurationAtEnd(storage);
  const hs = storage.initialState().hardState;
  const last = storage.lastIndex();
  if (!voters.has(self) && !learners.has(self)) {
    throw new ForceNewClusterError(
      `node ${self} is not in the configuration its store ends with (voters: ${[...voters].sort().join(', ') || 'none'}; learners: ${[...learners].sort().join(', ') || 'none'})`,
    );
  }
  const removed = [...voters, ...learners].filter((id) => id !== self).sort();
  const promoted = learners.has(self);
  if (removed.length === 0 && !promoted) return { removed, promoted, lastIndex: last, commit: hs.commit, term: 0 };
  const term = hs.term + 1;
  const changes: ExtendedConfChange[] = [
    ...(promoted ? [{ type: 'promote' as const, node: self, context: '' }] : []),
    ...removed.map((node) => ({ type: 'remove' as const, node, context: '' })),
  ];
  const entries: Entry[] = changes.map((cc, i) => ({ term, index: last + 1 + i, type: 'confChange', data: encodeConfChange(cc) }));
  await storage.persist({ hardState: { term, vote: '', commit: last + entries.length }, entries, snapshot: null }, { sync: true });
  return { removed, promoted, lastIndex: last, commit: hs.commit, term };
}
