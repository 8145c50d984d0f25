/**
 * LevelStorage on a real LevelDB in a temp dir: what persist and compact make durable survives
 * close + reopen; the synchronous reads (entries, term, firstIndex, lastIndex, snapshot,
 * initialState) agree before and after; conflicting-suffix truncation, compaction with kept
 * entries and a snapshot received from the leader; the etcd sentinels; damaged data (undecodable
 * records, gaps, a checksum mismatch in a log record or the snapshot, format 1) stops open() with
 * a StorageError naming the key; a data dir's identity is kept and enforced; every persist and
 * compact is exactly one LevelDB batch; writes are serialized and a failed write poisons the
 * storage.
 */
import { AssertionError } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Level } from 'level';
import { Packr } from 'msgpackr';
import type { ConfState, Entry, EntryType, HardState, Snapshot } from '../../src/core/types';
import { crc32c } from '../../src/storage/crc32c';
import { DataDirIdentityError, decodeIndexKey, encodeIndexKey, LevelStorage } from '../../src/storage/level-storage';
import {
  CompactedError,
  SnapshotOutOfDateError,
  StorageError,
  UnavailableError,
} from '../../src/storage/storage';
import type { PersistBatch } from '../../src/storage/storage';

const CONF: ConfState = { voters: ['a', 'b', 'c'], learners: ['d'] };

function entry(index: number, term: number, type: EntryType = 'normal', data?: Uint8Array): Entry {
  return { index, term, type, data: data ?? new TextEncoder().encode(`cmd-${index}`) };
}

/** Entries lo..hi (inclusive) with the term chosen by `termOf`. */
function range(lo: number, hi: number, termOf: (index: number) => number = () => 1): Entry[] {
  const out: Entry[] = [];
  for (let i = lo; i <= hi; i++) out.push(entry(i, termOf(i)));
  return out;
}

function batch(parts: Partial<PersistBatch>): PersistBatch {
  return { hardState: null, entries: [], snapshot: null, ...parts };
}

function hardState(term: number, vote: string, commit: number): HardState {
  return { term, vote, commit };
}

/** A raw handle on the same directory, to damage what LevelStorage wrote. */
function rawDb(dir: string): Level<Uint8Array, Uint8Array> {
  return new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
}

function rawSublevel(db: Level<Uint8Array, Uint8Array>, name: string) {
  return db.sublevel<Uint8Array, Uint8Array>(name, { keyEncoding: 'view', valueEncoding: 'view' });
}

let dir: string;
const open: LevelStorage[] = [];

async function openStorage(): Promise<LevelStorage> {
  const s = await LevelStorage.open(dir);
  open.push(s);
  return s;
}

interface ChainedBatchLike {
  readonly length: number;
  write(options: { sync: boolean }): Promise<void>;
  close(): Promise<void>;
}

/**
 * Record every chained batch LevelStorage writes (its operation count and write options); with
 * `failure`, the next write rejects with it instead of reaching the disk.
 */
function recordBatchWrites(failure?: Error): { ops: number; options: { sync: boolean } }[] {
  const writes: { ops: number; options: { sync: boolean } }[] = [];
  const proto = Level.prototype as unknown as { batch(this: unknown, ...args: unknown[]): unknown };
  const original = proto.batch;
  let fail = failure;
  jest.spyOn(proto, 'batch').mockImplementation(function (this: unknown, ...args: unknown[]) {
    const b = original.apply(this, args) as ChainedBatchLike;
    const write = b.write.bind(b);
    b.write = async (options) => {
      writes.push({ ops: b.length, options });
      const err = fail;
      fail = undefined;
      if (err === undefined) return write(options);
      await b.close();
      throw err;
    };
    return b;
  });
  return writes;
}

async function reopen(s: LevelStorage): Promise<LevelStorage> {
  await s.close();
  return openStorage();
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ql-'));
});

afterEach(async () => {
  jest.restoreAllMocks();
  for (const s of open.splice(0)) await s.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('index keys', () => {
  it('are 8 bytes big-endian, so byte order is numeric order', () => {
    const indexes = [0, 1, 171, 255, 256, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 5, Number.MAX_SAFE_INTEGER];
    const keys = indexes.map((i) => Buffer.from(encodeIndexKey(i)));
    expect(keys[2]?.toString('hex')).toBe('00000000000000ab');
    for (let k = 0; k < indexes.length; k++) expect(decodeIndexKey(keys[k] as Buffer)).toBe(indexes[k]);
    const sorted = [...keys].sort(Buffer.compare);
    expect(sorted).toEqual(keys);
  });

  it('reject unsafe indexes', () => {
    expect(() => encodeIndexKey(-1)).toThrow(AssertionError);
    expect(() => encodeIndexKey(2 ** 53)).toThrow(AssertionError);
    expect(() => encodeIndexKey(1.5)).toThrow(AssertionError);
  });
});

describe('LevelStorage', () => {
  it('starts empty', async () => {
    const s = await openStorage();
    expect(s.firstIndex()).toBe(1);
    expect(s.lastIndex()).toBe(0);
    expect(s.term(0)).toBe(0);
    expect(s.entries(1, 1, Infinity)).toEqual([]);
    expect(s.snapshot().meta).toEqual({ index: 0, term: 0, confState: { voters: [], learners: [] } });
    expect(s.initialState()).toEqual({
      hardState: { term: 0, vote: '', commit: 0 },
      confState: { voters: [], learners: [] },
    });
  });

  it('round-trips entries and hard state through close and reopen', async () => {
    let s = await openStorage();
    const ents = [
      entry(1, 1, 'normal', new Uint8Array(0)),
      entry(2, 1),
      entry(3, 2, 'confChange', new Uint8Array([1, 2, 3])),
      ...range(4, 50, () => 3),
    ];
    await s.persist(batch({ entries: ents.slice(0, 3), hardState: hardState(2, 'b', 2) }), { sync: true });
    // An unsynced write is still durable once close() has flushed it.
    await s.persist(batch({ entries: ents.slice(3), hardState: hardState(3, 'c', 40) }), { sync: false });
    expect(s.lastIndex()).toBe(50);

    s = await reopen(s);
    expect(s.firstIndex()).toBe(1);
    expect(s.lastIndex()).toBe(50);
    expect(s.entries(1, 51, Infinity)).toEqual(ents);
    expect(s.initialState().hardState).toEqual({ term: 3, vote: 'c', commit: 40 });
    expect(s.term(3)).toBe(2);
    expect(s.term(50)).toBe(3);
    const [e3] = s.entries(3, 4, Infinity);
    expect(e3?.type).toBe('confChange');
    // Reads hand out plain Uint8Arrays, as they were written, not Buffers.
    expect(Object.getPrototypeOf(e3?.data)).toBe(Uint8Array.prototype);
  });

  it('truncates a conflicting suffix, and the truncation survives reopen', async () => {
    let s = await openStorage();
    await s.persist(batch({ entries: range(1, 10) }), { sync: true });
    await s.persist(batch({ entries: [entry(6, 2), entry(7, 2)] }), { sync: true });
    expect(s.lastIndex()).toBe(7);
    expect(s.term(5)).toBe(1);
    expect(s.term(6)).toBe(2);
    expect(() => s.term(8)).toThrow(UnavailableError);

    s = await reopen(s);
    expect(s.lastIndex()).toBe(7);
    expect(s.entries(1, 8, Infinity).map((e) => e.term)).toEqual([1, 1, 1, 1, 1, 2, 2]);

    // A longer replacement overwrites in place and extends the log.
    await s.persist(batch({ entries: range(7, 12, () => 3) }), { sync: true });
    s = await reopen(s);
    expect(s.lastIndex()).toBe(12);
    expect(s.entries(5, 13, Infinity).map((e) => e.term)).toEqual([1, 2, 3, 3, 3, 3, 3, 3]);
  });

  it('compacts with kept entries and keeps term(firstIndex - 1) across reopen', async () => {
    let s = await openStorage();
    const termOf = (i: number): number => (i <= 70 ? 1 : i <= 80 ? 2 : 3);
    await s.persist(batch({ entries: range(1, 100, termOf), hardState: hardState(3, 'a', 90) }), { sync: true });
    const data = new Uint8Array([9, 8, 7, 6]);
    await s.compact(80, CONF, data, 10);

    const check = (st: LevelStorage): void => {
      expect(st.firstIndex()).toBe(71);
      expect(st.lastIndex()).toBe(100);
      expect(st.term(70)).toBe(1);
      expect(st.term(71)).toBe(2);
      expect(st.term(80)).toBe(2);
      expect(() => st.term(69)).toThrow(CompactedError);
      expect(() => st.entries(70, 72, Infinity)).toThrow(CompactedError);
      expect(st.entries(71, 101, Infinity)).toEqual(range(71, 100, termOf));
      expect(st.snapshot().meta).toEqual({ index: 80, term: 2, confState: CONF });
      expect(st.snapshot().data).toEqual(data);
      expect(st.initialState()).toEqual({ hardState: { term: 3, vote: 'a', commit: 90 }, confState: CONF });
    };
    check(s);
    s = await reopen(s);
    check(s);

    // Appending after a compaction, then compacting everything up to the snapshot.
    await s.persist(batch({ entries: range(101, 120, () => 3) }), { sync: true });
    await s.compact(110, { voters: ['a', 'b'], learners: [] }, new Uint8Array([1]), 0);
    s = await reopen(s);
    expect(s.firstIndex()).toBe(111);
    expect(s.term(110)).toBe(3);
    expect(s.lastIndex()).toBe(120);
    expect(s.snapshot().meta).toEqual({ index: 110, term: 3, confState: { voters: ['a', 'b'], learners: [] } });
    expect(s.entries(111, 121, Infinity)).toEqual(range(111, 120, () => 3));

    // keepEntries larger than the log drops nothing but still records the snapshot.
    await s.compact(115, CONF, new Uint8Array([2]), 1000);
    expect(s.firstIndex()).toBe(111);
    expect(s.snapshot().meta.index).toBe(115);
  });

  it('keeps index arithmetic right across repeated compactions and a later truncation', async () => {
    let s = await openStorage();
    await s.persist(batch({ entries: range(1, 10_000) }), { sync: false });
    await s.compact(3000, CONF, new Uint8Array([1]), 100);
    // Large enough for the mirror to drop its compacted prefix.
    await s.compact(9000, CONF, new Uint8Array([2]), 100);
    expect(s.firstIndex()).toBe(8901);
    expect(s.entries(8901, 8903, Infinity).map((e) => e.index)).toEqual([8901, 8902]);
    await s.persist(batch({ entries: range(9500, 9600, () => 2) }), { sync: true });
    const check = (st: LevelStorage): void => {
      expect(st.firstIndex()).toBe(8901);
      expect(st.lastIndex()).toBe(9600);
      expect(st.term(8900)).toBe(1);
      expect(st.term(9499)).toBe(1);
      expect(st.term(9500)).toBe(2);
      expect(st.entries(8901, 9601, Infinity).map((e) => e.index)).toEqual(range(8901, 9600).map((e) => e.index));
    };
    check(s);
    s = await reopen(s);
    check(s);
  });

  it('rejects a compaction older than the snapshot or past the log', async () => {
    const s = await openStorage();
    await s.persist(batch({ entries: range(1, 20) }), { sync: true });
    await s.compact(10, CONF, new Uint8Array([1]), 0);
    await expect(s.compact(9, CONF, new Uint8Array([1]), 0)).rejects.toThrow(SnapshotOutOfDateError);
    await expect(s.compact(21, CONF, new Uint8Array([1]), 0)).rejects.toThrow(AssertionError);
    // Neither rejection changed anything, and the storage is still writable.
    expect(s.snapshot().meta.index).toBe(10);
    expect(s.firstIndex()).toBe(11);
    await s.compact(15, CONF, new Uint8Array([1]), 0);
    expect(s.firstIndex()).toBe(16);
  });

  it('replaces the whole log with a snapshot received from the leader', async () => {
    let s = await openStorage();
    await s.persist(batch({ entries: range(1, 60) }), { sync: true });
    const snap: Snapshot = { meta: { index: 50, term: 4, confState: CONF }, data: new Uint8Array([4, 2]) };
    await s.persist(
      batch({ snapshot: snap, entries: [entry(51, 4), entry(52, 5)], hardState: hardState(5, '', 50) }),
      { sync: true },
    );
    const check = (st: LevelStorage): void => {
      expect(st.firstIndex()).toBe(51);
      expect(st.lastIndex()).toBe(52);
      expect(st.term(50)).toBe(4);
      expect(st.term(52)).toBe(5);
      expect(() => st.term(49)).toThrow(CompactedError);
      expect(st.snapshot()).toEqual(snap);
      expect(st.initialState().confState).toEqual(CONF);
    };
    check(s);
    s = await reopen(s);
    check(s);

    // A snapshot past the end of the log, with no entries: lastIndex = snapshot index.
    const far: Snapshot = { meta: { index: 500, term: 7, confState: CONF }, data: new Uint8Array([7]) };
    await s.persist(batch({ snapshot: far }), { sync: true });
    s = await reopen(s);
    expect(s.firstIndex()).toBe(501);
    expect(s.lastIndex()).toBe(500);
    expect(s.term(500)).toBe(7);
    expect(s.entries(501, 501, 0)).toEqual([]);

    await expect(s.persist(batch({ snapshot: snap }), { sync: true })).rejects.toThrow(SnapshotOutOfDateError);
    await expect(s.persist(batch({ snapshot: far }), { sync: true })).rejects.toThrow(SnapshotOutOfDateError);
  });

  it('throws CompactedError and UnavailableError at the edges', async () => {
    const s = await openStorage();
    await s.persist(batch({ entries: range(1, 30) }), { sync: true });
    await s.compact(10, CONF, new Uint8Array(0), 0);
    expect(() => s.entries(10, 12, Infinity)).toThrow(CompactedError);
    expect(() => s.entries(11, 32, Infinity)).toThrow(UnavailableError);
    expect(s.entries(11, 31, Infinity)).toHaveLength(20);
    expect(() => s.term(31)).toThrow(UnavailableError);
    expect(() => s.term(9)).toThrow(CompactedError);
    try {
      s.term(5);
      throw new Error('unreachable');
    } catch (err) {
      expect(err).toBeInstanceOf(CompactedError);
      expect(err).toMatchObject({ index: 5, firstIndex: 11 });
    }
    try {
      s.entries(25, 40, Infinity);
      throw new Error('unreachable');
    } catch (err) {
      expect(err).toBeInstanceOf(UnavailableError);
      expect(err).toMatchObject({ index: 39, lastIndex: 30 });
    }
  });

  it('limits entries() by data bytes but always returns at least one entry', async () => {
    const s = await openStorage();
    const big = (i: number): Entry => entry(i, 1, 'normal', new Uint8Array(100));
    await s.persist(batch({ entries: [big(1), big(2), big(3), big(4)] }), { sync: true });
    expect(s.entries(1, 5, 250)).toHaveLength(2);
    expect(s.entries(1, 5, 200)).toHaveLength(2);
    expect(s.entries(1, 5, 199)).toHaveLength(1);
    expect(s.entries(2, 5, 0)).toHaveLength(1);
    expect(s.entries(1, 5, Infinity)).toHaveLength(4);
  });

  it('rejects batches the core must never produce, without writing anything', async () => {
    const s = await openStorage();
    await s.persist(batch({ entries: range(1, 10) }), { sync: true });
    await s.compact(5, CONF, new Uint8Array(0), 2);
    // A gap after the log.
    await expect(s.persist(batch({ entries: [entry(12, 1)] }), { sync: true })).rejects.toThrow(AssertionError);
    // Overwriting an entry the snapshot covers (kept only for slow followers).
    await expect(s.persist(batch({ entries: [entry(5, 2)] }), { sync: true })).rejects.toThrow(AssertionError);
    // Non-contiguous, and a term going backwards.
    await expect(s.persist(batch({ entries: [entry(11, 1), entry(13, 1)] }), { sync: true })).rejects.toThrow(
      AssertionError,
    );
    await expect(s.persist(batch({ entries: [entry(11, 2), entry(12, 1)] }), { sync: true })).rejects.toThrow(
      AssertionError,
    );
    await expect(s.persist(batch({ hardState: hardState(1.5, '', 0) }), { sync: true })).rejects.toThrow(
      AssertionError,
    );
    expect(s.lastIndex()).toBe(10);
    const reopened = await reopen(s);
    expect(reopened.lastIndex()).toBe(10);
    expect(reopened.firstIndex()).toBe(4);
  });

  it('updates the mirror only once the write has resolved, and serializes writes', async () => {
    const s = await openStorage();
    const p1 = s.persist(batch({ entries: range(1, 5), hardState: hardState(1, 'a', 0) }), { sync: true });
    const p2 = s.persist(batch({ entries: range(6, 8) }), { sync: true });
    const p3 = s.compact(3, CONF, new Uint8Array([1]), 0);
    expect(s.lastIndex()).toBe(0);
    expect(s.initialState().hardState.term).toBe(0);
    await p1;
    expect(s.lastIndex()).toBeGreaterThanOrEqual(5);
    await Promise.all([p2, p3]);
    expect(s.firstIndex()).toBe(4);
    expect(s.lastIndex()).toBe(8);
  });

  it('writes each persist and each compact as exactly one LevelDB batch', async () => {
    const s = await openStorage();
    const writes = recordBatchWrites();

    await s.persist(batch({ entries: range(1, 1000), hardState: hardState(1, 'a', 0) }), { sync: true });
    expect(writes).toEqual([{ ops: 1001, options: { sync: true } }]);

    // Truncation deletes 500 stale keys and writes 2 entries, still in one unsynced batch.
    await s.persist(batch({ entries: [entry(499, 2), entry(500, 2)] }), { sync: false });
    expect(writes).toHaveLength(2);
    expect(writes[1]).toEqual({ ops: 2 + 500, options: { sync: false } });

    // Compaction: snapshot meta + data + logStart + 400 deletions, always synced.
    await s.compact(450, CONF, new Uint8Array([1]), 50);
    expect(writes).toHaveLength(3);
    expect(writes[2]).toEqual({ ops: 3 + 400, options: { sync: true } });

    // Nothing to write: no batch and no fsync at all.
    await s.persist(batch({}), { sync: true });
    expect(writes).toHaveLength(3);

    // The log records written through the root database are where the log sublevel reads them.
    const reopened = await reopen(s);
    expect(reopened.firstIndex()).toBe(401);
    expect(reopened.lastIndex()).toBe(500);
    expect(reopened.entries(499, 501, Infinity).map((e) => e.term)).toEqual([2, 2]);
  });

  it('poisons itself after a failed write', async () => {
    const s = await openStorage();
    await s.persist(batch({ entries: range(1, 3) }), { sync: true });
    recordBatchWrites(new Error('EIO: fsync failed'));
    const failed = s.persist(batch({ entries: range(4, 6) }), { sync: true });
    await expect(failed).rejects.toThrow(StorageError);
    await expect(failed).rejects.toThrow(/EIO: fsync failed/);
    expect(s.lastIndex()).toBe(3);
    await expect(s.persist(batch({ entries: range(4, 6) }), { sync: true })).rejects.toThrow(/failed earlier/);
    await expect(s.compact(2, CONF, new Uint8Array(0), 0)).rejects.toThrow(StorageError);
  });

  it('rejects writes after close', async () => {
    const s = await openStorage();
    await s.close();
    await expect(s.persist(batch({ entries: range(1, 1) }), { sync: true })).rejects.toThrow(StorageError);
  });

  describe('open() on damaged data', () => {
    async function writeLog(n: number): Promise<void> {
      const s = await LevelStorage.open(dir);
      await s.persist(batch({ entries: range(1, n), hardState: hardState(1, 'a', n) }), { sync: true });
      await s.close();
    }

    async function damage(fn: (db: Level<Uint8Array, Uint8Array>) => Promise<void>): Promise<void> {
      const db = rawDb(dir);
      await db.open();
      try {
        await fn(db);
      } finally {
        await db.close();
      }
    }

    async function openError(): Promise<StorageError> {
      const err: unknown = await LevelStorage.open(dir).then(
        (s) => {
          open.push(s);
          throw new Error('open() should have rejected');
        },
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StorageError);
      return err as StorageError;
    }

    it('rejects an undecodable log entry, naming its key', async () => {
      await writeLog(200);
      // Checksummed, so only the decoder can object.
      await damage((db) => rawSublevel(db, 'log').put(encodeIndexKey(171), framed(new Uint8Array([0xc1]))));
      const err = await openError();
      expect(err.message).toContain('log/00000000000000ab (index 171)');
      expect(err.cause).toBeDefined();
    });

    /** A record as LevelStorage frames it: CRC-32C (big-endian) then the payload. */
    function framed(payload: Uint8Array): Uint8Array {
      const out = Buffer.alloc(4 + payload.byteLength);
      out.writeUInt32BE(crc32c(payload), 0);
      out.set(payload, 4);
      return out;
    }

    it('rejects valid MessagePack of the wrong shape, and an entry filed under the wrong key', async () => {
      await writeLog(20);
      const packr = new Packr({ useRecords: false });
      await damage((db) => rawSublevel(db, 'log').put(encodeIndexKey(7), framed(packr.pack({ hello: 'world' }))));
      expect((await openError()).message).toContain('log/0000000000000007 (index 7)');

      await damage((db) => rawSublevel(db, 'log').put(encodeIndexKey(7), framed(packr.pack([8, 1, 0, new Uint8Array(0)]))));
      expect((await openError()).message).toMatch(/log\/0000000000000007 \(index 7\).*holds index 8/);
    });

    it('rejects a log entry with two flipped bits that still decodes, naming its index', async () => {
      await writeLog(20);
      await damage(async (db) => {
        const log = rawSublevel(db, 'log');
        const value = Buffer.from((await log.get(encodeIndexKey(12))) as Uint8Array);
        // The last byte is in the entry's data: the record still decodes, only the checksum can tell.
        value[value.length - 1] = (value[value.length - 1] as number) ^ 0x03;
        await log.put(encodeIndexKey(12), value);
      });
      const err = await openError();
      expect(err.message).toContain('log/000000000000000c (index 12)');
      expect(err.message).toContain('checksum mismatch');
    });

    it('rejects a snapshot whose data has a flipped bit', async () => {
      const s = await LevelStorage.open(dir);
      await s.persist(batch({ entries: range(1, 20) }), { sync: true });
      await s.compact(15, CONF, new Uint8Array([1, 2, 3, 4]), 5);
      await s.close();
      await damage((db) => rawSublevel(db, 'snap').put(new TextEncoder().encode('data'), new Uint8Array([1, 2, 3, 5])));
      const err = await openError();
      expect(err.message).toContain('snap/data');
      expect(err.message).toContain('index 15');
      expect(err.message).toContain('checksum mismatch');
    });

    it('refuses a format 1 database (written before checksums), saying what to do', async () => {
      await writeLog(3);
      await damage((db) => rawSublevel(db, 'meta').put(new TextEncoder().encode('format'), new Packr({ useRecords: false }).pack(1)));
      const err = await openError();
      expect(err.message).toContain('meta/format is 1');
      expect(err.message).toContain('--join');
    });

    it('rejects a gap in the log, naming the missing index', async () => {
      await writeLog(200);
      await damage((db) => rawSublevel(db, 'log').del(encodeIndexKey(100)));
      const err = await openError();
      expect(err.message).toContain('gap');
      expect(err.message).toContain('log/0000000000000064 (index 100)');
    });

    it('rejects a log that is missing its first entry', async () => {
      await writeLog(5);
      await damage((db) => rawSublevel(db, 'log').del(encodeIndexKey(1)));
      expect((await openError()).message).toContain('(index 1)');
    });

    it('rejects a corrupt hard state, naming its key', async () => {
      await writeLog(5);
      await damage((db) => rawSublevel(db, 'meta').put(new TextEncoder().encode('hardState'), new Uint8Array([0x93])));
      expect((await openError()).message).toContain('meta/hardState');
    });

    it('rejects a log that ends before the snapshot', async () => {
      const s = await LevelStorage.open(dir);
      await s.persist(batch({ entries: range(1, 20) }), { sync: true });
      await s.compact(15, CONF, new Uint8Array([1]), 5);
      await s.close();
      await damage(async (db) => {
        const log = rawSublevel(db, 'log');
        for (let i = 15; i <= 20; i++) await log.del(encodeIndexKey(i));
      });
      expect((await openError()).message).toContain('(index 15)');
    });

    it('records the identity of a new data dir and refuses another node or cluster', async () => {
      const s = await LevelStorage.open(dir, { identity: { clusterId: 'c1', nodeId: 'n1' } });
      await s.persist(batch({ entries: range(1, 3) }), { sync: true });
      await s.close();
      const again = await LevelStorage.open(dir, { identity: { clusterId: 'c1', nodeId: 'n1' } });
      expect(again.lastIndex()).toBe(3);
      await again.close();
      for (const identity of [{ clusterId: 'c1', nodeId: 'n2' }, { clusterId: 'c2', nodeId: 'n1' }]) {
        const err: unknown = await LevelStorage.open(dir, { identity }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DataDirIdentityError);
        expect((err as Error).message).toContain('belongs to node "n1" of cluster "c1"');
        expect((err as Error).message).toContain(`node "${identity.nodeId}" of cluster "${identity.clusterId}"`);
      }
    });

    it('refuses to create a database when createIfMissing is false', async () => {
      const err: unknown = await LevelStorage.open(path.join(dir, 'nope'), { createIfMissing: false }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StorageError);
    });
  });
});

describe('crc32c', () => {
  it('matches the published check value of CRC-32C', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });
});
