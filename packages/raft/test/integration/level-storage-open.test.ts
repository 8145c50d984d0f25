/**
 * LevelStorage.open() on damaged data, on a real LevelDB in a temp dir: undecodable records,
 * gaps, a checksum mismatch in a log record or the snapshot, format 1 stop open() with a
 * StorageError naming the key; a data dir's identity is kept and enforced.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Level } from 'level';
import { Packr } from 'msgpackr';
import { crc32c } from '../../src/storage/crc32c';
import { DataDirIdentityError, encodeIndexKey, LevelStorage } from '../../src/storage/level-storage';
import { StorageError } from '../../src/storage/storage';
import { batch, CONF, hardState, range, rawDb, rawSublevel } from './level-storage-helpers';

let dir: string;
const open: LevelStorage[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ql-'));
});

afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('LevelStorage', () => {
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
