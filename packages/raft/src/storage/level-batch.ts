import type { BatchOperation, Level } from 'level';

export type RawDb = Level<Uint8Array, Uint8Array>;
export type Op = BatchOperation<RawDb, Uint8Array, Uint8Array>;

/**
 * Write `ops` as one atomic LevelDB batch. A chained batch hands each operation to LevelDB as it
 * is added; the array form of `batch()` clones, re-validates and re-encodes every operation
 * first, which cost more CPU than LevelDB's own write for small log entries.
 */
export async function writeBatch(db: RawDb, ops: readonly Op[], sync: boolean): Promise<void> {
  const batch = db.batch();
  for (const op of ops) {
    const sublevel = op.sublevel;
    if (op.type === 'put') {
      if (sublevel === undefined) batch.put(op.key, op.value);
      else batch.put(op.key, op.value, { sublevel });
    } else if (sublevel === undefined) {
      batch.del(op.key);
    } else {
      batch.del(op.key, { sublevel });
    }
  }
  await batch.write({ sync });
}

/** `prefix` followed by `key`: the root-database key of `key` in the sublevel with that prefix. */
export function prefixed(prefix: Uint8Array, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.byteLength + key.byteLength);
  out.set(prefix, 0);
  out.set(key, prefix.byteLength);
  return out;
}
