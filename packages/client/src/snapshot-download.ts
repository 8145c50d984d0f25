/**
 * A SaveSnapshot stream put back together: the header from the first message, the bytes from the
 * rest, checked against the size and SHA-256 the leader announced before any of it is trusted.
 */
import { createHash } from 'node:crypto';
import type { SnapshotChunk__Output, SnapshotMember__Output } from '@quorumlock/proto';
import { UnexpectedError } from './errors';

export interface DownloadedSnapshot {
  readonly clusterId: string;
  readonly index: number;
  readonly term: number;
  readonly members: readonly Readonly<SnapshotMember__Output>[];
  /** The node that took it (the leader). */
  readonly takenBy: string;
  readonly data: Uint8Array;
  /** Hex SHA-256 of `data`, as the leader computed it and as checked here. */
  readonly dataSha256: string;
}

export function assembleSnapshot(chunks: readonly SnapshotChunk__Output[]): DownloadedSnapshot {
  const header = chunks[0]?.header;
  if (header === null || header === undefined) throw new UnexpectedError('the SaveSnapshot stream did not start with a header');
  const data = Buffer.concat(chunks.slice(1).map((c) => c.data));
  if (data.byteLength !== header.dataBytes) {
    throw new UnexpectedError(`the snapshot stream ended after ${data.byteLength} of ${header.dataBytes} bytes`);
  }
  const sha = createHash('sha256').update(data).digest('hex');
  if (sha !== header.dataSha256) throw new UnexpectedError(`the snapshot's SHA-256 is ${sha}, the leader announced ${header.dataSha256}`);
  return {
    clusterId: header.clusterId,
    index: header.index,
    term: header.term,
    members: header.members,
    takenBy: header.leaderId,
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    dataSha256: sha,
  };
}
