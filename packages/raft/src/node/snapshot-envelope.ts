import { Packr } from 'msgpackr';
import type { NodeId } from '../core/types';
import type { StateMachine } from './state-machine';

/** What the shell puts in a snapshot besides the application's bytes. */
export interface SnapshotEnvelope {
  readonly members: Record<NodeId, Record<string, string>>;
  readonly app: Uint8Array;
}

const packr = new Packr({ useRecords: false });

export function packSnapshotEnvelope(env: SnapshotEnvelope): Uint8Array {
  return packr.pack(env);
}

/** The envelope in `data`; call {@link validateSnapshotEnvelope} first on anything received. */
export function unpackSnapshotEnvelope(data: Uint8Array): SnapshotEnvelope {
  return packr.unpack(data) as SnapshotEnvelope;
}

/**
 * Why `data` is not a snapshot this node could install (null when it is): the shell's envelope
 * must decode, and the application's part must pass its own check.
 */
export function validateSnapshotEnvelope(data: Uint8Array, sm: StateMachine<unknown>): string | null {
  let env: unknown;
  try {
    env = packr.unpack(data);
  } catch (e) {
    return `undecodable snapshot of ${data.byteLength} bytes: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (typeof env !== 'object' || env === null || Array.isArray(env)) return 'the snapshot is not a map';
  const { members, app } = env as Record<string, unknown>;
  if (!(app instanceof Uint8Array)) return 'the snapshot has no application bytes';
  if (typeof members !== 'object' || members === null || Array.isArray(members)) return 'the snapshot has no member map';
  for (const [id, ctx] of Object.entries(members)) {
    if (typeof ctx !== 'object' || ctx === null || Object.values(ctx).some((v) => typeof v !== 'string')) {
      return `the snapshot's context of member ${id} is not a map of strings`;
    }
  }
  return sm.validateSnapshot?.(app) ?? null;
}

