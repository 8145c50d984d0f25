/**
 * The two disaster procedures of docs/operations.md, run by quorumlock-server before its replica
 * opens the data dir, and only when the operator asks:
 *
 * - `--restore FILE`: seed this member of a NEW cluster from a backup (`lockctl snapshot save`),
 *   like `etcdutl snapshot restore`. Every member restores the same file with the same
 *   --initial-cluster, so they start from one identical snapshot whose configuration is the new
 *   members; the old cluster's members and addresses are dropped.
 * - `--force-new-cluster`: the survivor of a cluster that lost a majority of its volumes for good
 *   rewrites its configuration to itself alone, keeping its data, like etcd's flag of that name.
 *   Explicit and loud: an error-level log line every time it is set.
 */
import * as fs from 'node:fs';
import {
  ForceNewClusterError,
  LevelStorage,
  forceSingleMemberConfiguration,
  isEmptyStore,
  seedStoreFromSnapshot,
  unpackSnapshotEnvelope,
  type ForcedConfiguration,
  type Logger,
} from '@quorumlock/raft';
import { decodeSnapshotFile, SnapshotFileError } from '@quorumlock/proto';
import type { MemberAddresses } from './replica';
import { LockStateMachine } from './state/lock-state-machine';

/** A refused restore or force-new-cluster; the message names the flag, the file or the data dir. */
export class RecoveryError extends Error {
  override readonly name = 'RecoveryError';
}

export interface RestoreOptions {
  readonly file: string;
  readonly dataDir: string;
  readonly id: string;
  readonly clusterId: string;
  /** The new cluster's members: every one a voter, with these addresses. */
  readonly initialCluster: Readonly<Record<string, MemberAddresses>>;
  readonly logger: Logger;
}

export interface RestoreResult {
  readonly index: number;
  readonly term: number;
  readonly sha256: string;
  readonly sessions: number;
  readonly locks: number;
}

export async function restoreFromSnapshotFile(o: RestoreOptions): Promise<RestoreResult> {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(o.file);
  } catch (e) {
    throw new RecoveryError(`--restore ${o.file}: cannot read it: ${e instanceof Error ? e.message : String(e)}`);
  }
  let file;
  try {
    file = decodeSnapshotFile(bytes, o.file);
  } catch (e) {
    if (e instanceof SnapshotFileError) throw new RecoveryError(`--restore: ${e.message}`);
    throw e;
  }
  const { header } = file;
  // The lock state must load before anything is written: a file this build cannot read is refused whole.
  const sm = new LockStateMachine();
  let app: Uint8Array;
  try {
    app = unpackSnapshotEnvelope(file.data).app;
    const why = sm.validateSnapshot(app);
    if (why !== null) throw new Error(why);
    sm.restore(app);
  } catch (e) {
    throw new RecoveryError(`--restore ${o.file}: its snapshot (index ${header.index}) does not load: ${e instanceof Error ? e.message : String(e)}`);
  }
  const storage = await LevelStorage.open(o.dataDir, { identity: { clusterId: o.clusterId, nodeId: o.id } });
  try {
    if (!isEmptyStore(storage)) {
      const st = storage.initialState().hardState;
      throw new RecoveryError(
        `--restore ${o.file}: data dir ${o.dataDir} already has state (term ${st.term}, log up to index ${storage.lastIndex()}); ` +
          'a restore seeds only the empty data dir of a new cluster\'s member. If this node was restored already, ' +
          'start it without --restore (QUORUMLOCK_RESTORE); otherwise give it an empty --data-dir',
      );
    }
    const voters = Object.keys(o.initialCluster).sort();
    const members = Object.fromEntries(Object.entries(o.initialCluster).map(([id, a]) => [id, { peer: a.peer, client: a.client }]));
    await seedStoreFromSnapshot(storage, { index: header.index, term: header.term, voters, members, app });
    const result = { index: header.index, term: header.term, sha256: file.sha256, sessions: sm.sessionCount(), locks: sm.listLocks().length };
    o.logger.warn(
      { file: o.file, ...result, fromCluster: header.clusterId, oldMembers: header.members.map((m) => m.id), members: voters },
      'restored the data dir from a snapshot file: this node starts a new cluster from it',
    );
    return result;
  } finally {
    await storage.close();
  }
}

export interface ForceOptions {
  readonly dataDir: string;
  readonly id: string;
  readonly clusterId: string;
  readonly logger: Logger;
}

export async function forceNewCluster(o: ForceOptions): Promise<ForcedConfiguration> {
  // Never creates a data dir: forcing an empty one would found a cluster with nothing in it.
  if (!fs.existsSync(o.dataDir)) throw new RecoveryError(`--force-new-cluster: data dir ${o.dataDir} does not exist; it keeps this node's data, so it needs some`);
  const storage = await LevelStorage.open(o.dataDir, { identity: { clusterId: o.clusterId, nodeId: o.id }, createIfMissing: false });
  try {
    let forced: ForcedConfiguration;
    try {
      forced = await forceSingleMemberConfiguration(storage, o.id);
    } catch (e) {
      if (e instanceof ForceNewClusterError) throw new RecoveryError(`--force-new-cluster: data dir ${o.dataDir}: ${e.message}`);
      throw e;
    }
    o.logger.error(
      { forceNewCluster: true, removed: forced.removed, promoted: forced.promoted, term: forced.term, lastIndex: forced.lastIndex, previousCommit: forced.commit },
      forced.removed.length === 0 && !forced.promoted
        ? '--force-new-cluster is set, but this node is already the only member: nothing changed. Remove the flag (QUORUMLOCK_FORCE_NEW_CLUSTER): set on a later restart it would remove every member added since'
        : `--force-new-cluster: the configuration is now this node alone; removed ${forced.removed.join(', ') || 'nobody'}, and every entry in this data dir ` +
            `(up to index ${forced.lastIndex}, ${forced.lastIndex - forced.commit} of them not known to be committed before) counts as committed. ` +
            'Add new members with --join and `lockctl members add`, and remove the flag before the next restart',
    );
    return forced;
  } finally {
    await storage.close();
  }
}
