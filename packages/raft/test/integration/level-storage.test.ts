/**
 * LevelStorage on a real LevelDB in a temp dir: what persist and compact make durable survives
 * close + reopen; the synchronous reads (entries, term, firstIndex, lastIndex, snapshot,
 * initialState) agree before and after; conflicting-suffix truncation, compaction with kept
 * entries and a snapshot received from the leader; the etcd sentinels; every persist and
 * compact is exactly one LevelDB batch; writes are serialized and a failed write poisons the
 * storage. Damaged data and the data dir's identity: level-storage-open.test.ts.
 */
import { AssertionError } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Level } from 'level';
import type { Entry, Snapshot } from '../../src/core/types';
import { crc32c } from '../../src/storage/crc32c';
import { decodeIndexKey, encodeIndexKey, LevelStorage } from '../../src/storage/level-storage';
import {
  CompactedError,
  SnapshotOutOfDateError,
  StorageError,
  UnavailableError,
} from '../../src/storage/storage';
import { batch, CONF, entry, hardState, range } from './level-storage-helpers';

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
});

describe('crc32c', () => {
  it('matches the published check value of CRC-32C', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });
});
