/**
 * `lockctl snapshot save FILE`: download a consistent snapshot from the leader and write it as a
 * backup file (@quorumlock/proto's snapshot-file format: header, data, SHA-256), which
 * `quorumlock-server --restore FILE` seeds a new cluster from. Written to FILE.part, synced, then
 * renamed, so FILE is never a half-written backup.
 */
import * as fs from 'node:fs';
import { encodeSnapshotFile } from '@quorumlock/proto';
import type { AdminClient, DownloadedSnapshot } from '../admin-client';
import { UnexpectedError } from '../errors';
import { renderKeyValues } from './table';

export async function saveSnapshotCommand(admin: AdminClient, file: string, now: () => Date = () => new Date()): Promise<{ readonly json: unknown; readonly text: string }> {
  const part = `${file}.part`;
  // Opened first: an unwritable path fails before the leader snapshots anything.
  const fd = fileOp(part, () => fs.openSync(part, 'w', 0o600));
  let bytes: Buffer;
  let sha256: string;
  let snap: DownloadedSnapshot;
  try {
    snap = await admin.saveSnapshot();
    const members = snap.members.map((m) => ({ id: m.id, peerAddress: m.peerAddress, clientAddress: m.clientAddress, voter: m.voter }));
    ({ bytes, sha256 } = encodeSnapshotFile(
      { format: 1, clusterId: snap.clusterId, index: snap.index, term: snap.term, members, takenBy: snap.takenBy, savedAt: now().toISOString(), dataBytes: snap.data.byteLength },
      snap.data,
    ));
    fileOp(part, () => {
      fs.writeSync(fd, bytes);
      fs.fsyncSync(fd);
    });
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(part, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  fileOp(file, () => fs.renameSync(part, file));
  const members = snap.members.map((m) => ({ id: m.id, peerAddress: m.peerAddress, clientAddress: m.clientAddress, voter: m.voter }));
  const json = { file, index: snap.index, term: snap.term, bytes: bytes.byteLength, sha256, clusterId: snap.clusterId, takenBy: snap.takenBy, members };
  const text =
    `saved a snapshot to ${file}\n` +
    renderKeyValues([
      ['index', snap.index],
      ['term', snap.term],
      ['size', `${bytes.byteLength} bytes`],
      ['sha256', sha256],
      ['cluster', snap.clusterId],
      ['taken by', snap.takenBy],
      ['members', members.map((m) => `${m.id}${m.voter ? '' : ' (learner)'}`).join(', ')],
    ]);
  return { json, text };
}

/** A file system failure as lockctl reports errors: one line naming the file. */
function fileOp<T>(file: string, op: () => T): T {
  try {
    return op();
  } catch (e) {
    throw new UnexpectedError(`cannot write ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
