/**
 * AdminService.SaveSnapshot: a consistent snapshot of the leader's state, streamed to
 * `lockctl snapshot save`. The snapshot is the one the leader's store holds after a read barrier
 * and a fresh snapshot, so it covers everything acknowledged before the call, and it is exactly
 * what a follower would be sent (the shell's envelope with the member addresses, then the lock
 * machine's bytes).
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type * as grpc from '@grpc/grpc-js';
import { unpackSnapshotEnvelope } from '@quorumlock/raft';
import type { SaveSnapshotRequest__Output, SnapshotChunk, SnapshotHeader, SnapshotMember } from '@quorumlock/proto';
import type { Replica } from '../replica';
import { notLeader, type StatusError } from './errors';

/** Chunks well below the 4 MiB a gRPC client takes by default. */
export const SNAPSHOT_CHUNK_BYTES = 1 << 20;
/** Snapshots tried before giving up on one that covers the read barrier (each a commit's wait). */
const ATTEMPTS = 50;

export interface ExportedSnapshot {
  readonly header: SnapshotHeader & { readonly index: number; readonly term: number; readonly dataBytes: number };
  readonly data: Uint8Array;
}

export async function exportSnapshot(replica: Replica): Promise<ExportedSnapshot> {
  const barrier = await replica.node.readBarrier();
  for (let attempt = 1; ; attempt++) {
    // Snapshots the applied state, unless nothing was applied since the stored one.
    await replica.node.takeSnapshot();
    const snap = replica.storedSnapshot();
    if (snap.meta.index >= barrier) {
      const env = unpackSnapshotEnvelope(snap.data);
      const member = (id: string, voter: boolean): SnapshotMember => {
        const ctx = env.members[id] ?? {};
        return { id, voter, peerAddress: ctx['peer'] || replica.localAddresses(id).peer, clientAddress: ctx['client'] || replica.localAddresses(id).client };
      };
      const { voters, learners } = snap.meta.confState;
      return {
        header: {
          clusterId: replica.clusterId,
          index: snap.meta.index,
          term: snap.meta.term,
          members: [...voters.map((id) => member(id, true)), ...learners.map((id) => member(id, false))],
          leaderId: replica.id,
          dataBytes: snap.data.byteLength,
          dataSha256: createHash('sha256').update(snap.data).digest('hex'),
        },
        data: snap.data,
      };
    }
    // The applied entries are not all durable here yet, so no snapshot could be taken: wait a tick.
    if (attempt >= ATTEMPTS) throw new Error(`no snapshot at or after the read barrier ${barrier} after ${ATTEMPTS} attempts (stored: ${snap.meta.index})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The server-streaming handler; `toStatusError` maps a failure as the other admin calls do. */
export function saveSnapshotHandler(
  replica: Replica,
  toStatusError: (e: unknown) => StatusError,
): (call: grpc.ServerWritableStream<SaveSnapshotRequest__Output, SnapshotChunk>) => void {
  return (call) => {
    if (!replica.isLeader()) {
      call.emit('error', notLeader(replica.id, replica.leaderClientAddress()));
      return;
    }
    const send = async (): Promise<void> => {
      const snap = await exportSnapshot(replica);
      const write = async (chunk: SnapshotChunk): Promise<void> => {
        if (call.write(chunk)) return;
        // A cancelled call never drains: stop waiting then too.
        const ac = new AbortController();
        try {
          await Promise.race([once(call, 'drain', { signal: ac.signal }), once(call, 'cancelled', { signal: ac.signal })]);
        } finally {
          ac.abort();
        }
      };
      await write({ header: snap.header });
      for (let at = 0; at < snap.data.byteLength && !call.cancelled; at += SNAPSHOT_CHUNK_BYTES) {
        await write({ data: Buffer.from(snap.data.buffer, snap.data.byteOffset + at, Math.min(SNAPSHOT_CHUNK_BYTES, snap.data.byteLength - at)) });
      }
      call.end();
    };
    send().catch((e: unknown) => {
      if (!call.cancelled) call.emit('error', toStatusError(e));
    });
  };
}
