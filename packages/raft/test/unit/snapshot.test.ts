/**
 * Log compaction and InstallSnapshot (§7): a follower whose next entry was compacted away
 * catches up through a snapshot sent in chunks of snapshotChunkBytes.
 */
import type { Message, SnapshotChunk } from '../../src/core/types';
import { Cluster } from './harness';

const isSnap = (m: Message): m is SnapshotChunk => m.type === 'snap';

function snapsTo(msgs: readonly Message[], to: string): SnapshotChunk[] {
  return msgs.filter(isSnap).filter((m) => m.to === to);
}

/** n3 misses 20 entries, then the leader n1 compacts its whole log. */
function laggingBehindSnapshot(chunk: number, keepEntries = 0): { c: Cluster; snapIndex: number } {
  const c = new Cluster(3, { config: { snapshotChunkBytes: chunk } });
  c.elect('n1');
  c.isolate('n3');
  for (let i = 0; i < 20; i++) c.mustPropose('n1', `value-${i}`);
  c.stabilize();
  c.tick(1, ['n1']);
  const snapIndex = c.compact('n1', keepEntries);
  expect(snapIndex).toBe(24);
  return { c, snapIndex };
}

describe('snapshots', () => {
  it('a lagging follower catches up from a compacted leader through a chunked snapshot and ends in the same state', () => {
    const { c, snapIndex } = laggingBehindSnapshot(16);
    const n1 = c.node('n1');
    const n3 = c.node('n3');
    expect(n1.raft.log.firstIndex()).toBe(snapIndex + 1);
    const total = n1.storage.snapshot().data.byteLength;
    expect(total).toBeGreaterThan(3 * 16);
    c.recover();
    const mark = c.mark();
    c.tickUntil(() => n3.raft.log.applied === n1.raft.log.applied, 20);

    const chunks = snapsTo(c.since(mark), 'n3');
    expect(chunks.length).toBeGreaterThanOrEqual(Math.ceil(total / 16));
    for (const m of chunks) {
      expect(m.meta.index).toBe(snapIndex);
      expect(m.totalBytes).toBe(total);
      expect(m.data.byteLength).toBeLessThanOrEqual(16);
      expect(m.done).toBe(m.offset + m.data.byteLength === total);
    }
    // Every byte range was covered, in order, starting at 0.
    const offsets = [...new Set(chunks.map((m) => m.offset))].sort((a, b) => a - b);
    expect(offsets).toEqual(Array.from({ length: Math.ceil(total / 16) }, (_, i) => i * 16));
    expect(chunks[0]?.offset).toBe(0);

    expect(n3.snapshotsRestored).toEqual([snapIndex]);
    expect(n3.storage.snapshot().meta).toEqual(n1.storage.snapshot().meta);
    expect(n3.raft.log.firstIndex()).toBe(snapIndex + 1);
    expect(n3.raft.confState()).toEqual({ voters: ['n1', 'n2', 'n3'], learners: [] });
    expect(n3.sm).toEqual(n1.sm);
    expect(n3.sm).toHaveLength(20);

    // From here on the log is enough.
    const before = c.mark();
    c.mustPropose('n1', 'after');
    c.tick(2, ['n1']);
    expect(n3.sm).toEqual([...n1.sm]);
    expect(n3.sm[n3.sm.length - 1]).toBe('after');
    expect(snapsTo(c.since(before), 'n3')).toEqual([]);
  });

  it('a follower that restarts in the middle of a transfer makes the leader start over from offset 0', () => {
    const { c, snapIndex } = laggingBehindSnapshot(8);
    const n3 = c.node('n3');
    c.recover();
    // Let three chunks through, then lose the rest.
    let through = 0;
    c.drop((m) => m.type === 'snap' && m.to === 'n3' && ++through > 3);
    c.tick(3, ['n1']);
    expect(through).toBeGreaterThan(3);
    expect(n3.storage.snapshot().meta.index).toBe(0);
    expect(c.raft('n1').prs.get('n3')).toMatchObject({ state: 'snapshot', snapshotOffset: 24 });

    c.restart('n3');
    c.recover();
    const mark = c.mark();
    c.tickUntil(() => n3.raft.log.applied === c.raft('n1').log.applied, 30);
    const after = c.since(mark);
    const reject = after.findIndex((m) => m.type === 'snapResp' && m.from === 'n3' && m.reject);
    expect(reject).toBeGreaterThanOrEqual(0);
    // The first chunk before the rejection was a resend from the middle; after it, offset 0.
    expect(snapsTo(after.slice(0, reject), 'n3')[0]?.offset).toBe(24);
    expect(snapsTo(after.slice(reject), 'n3')[0]?.offset).toBe(0);
    expect(n3.snapshotsRestored).toEqual([snapIndex]);
    expect(n3.sm).toEqual(c.node('n1').sm);
  });

  it('a follower that lags by less than the entries kept after compaction catches up from the log, without a snapshot', () => {
    const { c } = laggingBehindSnapshot(16, 100);
    c.recover();
    const mark = c.mark();
    c.tickUntil(() => c.node('n3').sm.length === 20, 10);
    expect(snapsTo(c.since(mark), 'n3')).toEqual([]);
    expect(c.node('n3').snapshotsRestored).toEqual([]);
    expect(c.node('n3').sm).toEqual(c.node('n1').sm);
  });

  it('a new member joining a compacted cluster is brought up by snapshot', () => {
    const c = new Cluster(3, { config: { snapshotChunkBytes: 32 } });
    c.elect('n1');
    for (let i = 0; i < 10; i++) c.mustPropose('n1', `v${i}`);
    c.stabilize();
    const snapIndex = c.compact('n1');
    const n4 = c.add('n4');
    expect(c.confChange('n1', { type: 'addLearner', node: 'n4' }).ok).toBe(true);
    c.stabilize();
    c.tickUntil(() => n4.sm.length === 10, 20);
    expect(n4.snapshotsRestored).toEqual([snapIndex]);
    expect(n4.sm).toEqual(c.node('n1').sm);
    // The membership entry after the snapshot is applied from the log.
    c.tick(2, ['n1']);
    expect(n4.raft.confState()).toEqual({ voters: ['n1', 'n2', 'n3'], learners: ['n4'] });
  });

  it('a snapshot that does not reach the follower is retried on heartbeats until it does', () => {
    const { c, snapIndex } = laggingBehindSnapshot(64);
    c.recover();
    // Lose every second snapshot chunk.
    let n = 0;
    c.drop((m) => m.type === 'snap' && m.to === 'n3' && n++ % 2 === 0);
    c.tickUntil(() => c.node('n3').snapshotsRestored.length > 0, 30);
    expect(c.node('n3').snapshotsRestored).toEqual([snapIndex]);
    c.recover();
    c.tick(2, ['n1']);
    expect(c.node('n3').sm).toEqual(c.node('n1').sm);
  });
});
