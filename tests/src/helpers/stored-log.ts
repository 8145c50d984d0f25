/**
 * Plants damage in a stopped node's LevelDB log, the way a bad disk or a bad actor would, so the
 * corruption tests can check what the node makes of it.
 */
import { crc32c } from '@quorumlock/raft';
import { Level } from 'level';

type Bytes = Uint8Array;

/** A log key carries the entry's index at byte 4 (u32 BE). */
function indexOfKey(key: Bytes): number {
  return Buffer.from(key).readUInt32BE(4);
}

/**
 * Rewrite the first log record (or the last, with `fromEnd`) that `edit` changes: `edit` gets a
 * copy of the stored value and returns the new one, or undefined to pass. With `reseal`, the
 * record's CRC32C is recomputed so only the decoder or the consistency check can object.
 * Returns the edited entry's index; throws if no record matched.
 */
export async function editStoredEntry(
  dataDir: string,
  edit: (value: Buffer) => Buffer | undefined,
  opts: { fromEnd?: boolean; reseal?: boolean } = {},
): Promise<number> {
  const db = new Level<Bytes, Bytes>(dataDir, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open({ createIfMissing: false });
  try {
    const log = db.sublevel<Bytes, Bytes>('log', { keyEncoding: 'view', valueEncoding: 'view' });
    const records: [Bytes, Bytes][] = [];
    for await (const [k, v] of log.iterator()) records.push([k, v]);
    if (opts.fromEnd === true) records.reverse();
    for (const [key, value] of records) {
      const changed = edit(Buffer.from(value));
      if (changed === undefined) continue;
      if (opts.reseal === true) changed.writeUInt32BE(crc32c(changed.subarray(4)), 0);
      await log.put(key, changed);
      return indexOfKey(key);
    }
    throw new Error(`no log record in ${dataDir} matched the edit`);
  } finally {
    await db.close();
  }
}

/** Rename `from` to `to` (same length) in the first entry that mentions it, with a valid checksum. */
export function renameInStoredLog(dataDir: string, from: string, to: string): Promise<number> {
  if (Buffer.byteLength(from) !== Buffer.byteLength(to)) throw new Error(`'${from}' and '${to}' differ in length`);
  return editStoredEntry(
    dataDir,
    (v) => {
      const at = v.indexOf(from);
      if (at < 0) return undefined;
      v.write(to, at);
      return v;
    },
    { reseal: true },
  );
}
