/**
 * What arrives on the peer port is untrusted (issue 9, item 5): a message from a node outside
 * the configuration moves nothing, snapshot chunks whose sizes contradict each other restart the
 * transfer instead of tripping an assertion, and a snapshot the application cannot decode is
 * refused before it is installed, so none of it reaches storage.
 */
import type { HeartbeatMessage, SnapshotChunk, SnapshotMeta } from '../../src/core/types';
import { bytes, Cluster, text } from './harness';

/** The test state machine's snapshot is a JSON array of strings: anything else is refused. */
function validate(data: Uint8Array): string | null {
  try {
    return Array.isArray(JSON.parse(text(data))) ? null : 'not an array';
  } catch {
    return 'not JSON';
  }
}

function forgedChunk(to: string, from: string, term: number, fields: Partial<SnapshotChunk>, meta: SnapshotMeta): SnapshotChunk {
  return { type: 'snap', from, to, term, meta, offset: 0, totalBytes: 8, data: new Uint8Array(8), done: true, ...fields };
}

describe('untrusted peer messages', () => {
  it('a heartbeat with a higher term from a non-member deposes no one', () => {
    const c = new Cluster(3);
    c.elect('n1');
    const term = c.raft('n1').term;
    for (const to of ['n1', 'n2', 'n3']) {
      const hb: HeartbeatMessage = { type: 'heartbeat', from: 'intruder', to, term: term + 5, commit: 0, ctx: '' };
      c.node(to).raw.step(hb);
    }
    c.processAll();
    for (const id of ['n1', 'n2', 'n3']) {
      expect(c.raft(id).term).toBe(term);
      expect(c.raft(id).lead).toBe('n1');
    }
    expect(c.raft('n1').role).toBe('leader');
    expect(c.sentWhere((m) => m.to === 'intruder')).toEqual([]);
  });

  it('a removed member cannot disrupt the cluster with a higher term', () => {
    const c = new Cluster(3);
    c.elect('n1');
    expect(c.confChange('n1', { type: 'remove', node: 'n3' }).ok).toBe(true);
    c.stabilize();
    c.tick(1, ['n1']);
    c.stabilize();
    expect(c.raft('n2').confState().voters).toEqual(['n1', 'n2']);
    expect(c.raft('n1').confState().voters).toEqual(['n1', 'n2']);
    const term = c.raft('n1').term;
    c.node('n2').raw.step({ type: 'vote', from: 'n3', to: 'n2', term: term + 3, lastIndex: 1000, lastTerm: term + 2, transfer: true });
    c.node('n1').raw.step({ type: 'heartbeat', from: 'n3', to: 'n1', term: term + 3, commit: 0, ctx: '' });
    c.processAll();
    expect(c.raft('n1').term).toBe(term);
    expect(c.raft('n2').term).toBe(term);
    expect(c.raft('n1').role).toBe('leader');
  });

  it('a node waiting to be added (no configuration yet) still hears the leader', () => {
    const c = new Cluster(3);
    c.elect('n1');
    const n4 = c.add('n4');
    expect(c.confChange('n1', { type: 'addLearner', node: 'n4' }).ok).toBe(true);
    c.stabilize();
    c.tick(2);
    c.stabilize();
    expect(n4.raft.log.applied).toBe(c.raft('n1').log.applied);
    expect(n4.raft.confState().learners).toEqual(['n4']);
  });

  it('snapshot chunks with contradictory sizes are rejected, not asserted on', () => {
    const c = new Cluster(3, { config: { validateSnapshot: validate } });
    c.elect('n1');
    const term = c.raft('n1').term;
    const meta: SnapshotMeta = { index: 1000, term, confState: { voters: ['n1', 'n2', 'n3'], learners: [] } };
    const n2 = c.node('n2');
    const cases: Partial<SnapshotChunk>[] = [
      { totalBytes: 16, data: new Uint8Array(8), done: true }, // last chunk short of the total
      { totalBytes: 4, data: new Uint8Array(8), done: false }, // past the total
      { totalBytes: 0, data: new Uint8Array(0), done: true }, // empty
    ];
    for (const fields of cases) {
      expect(() => n2.raw.step(forgedChunk('n2', 'n1', term, fields, meta))).not.toThrow();
      c.processAll();
    }
    // A second chunk that announces another total than the first.
    n2.raw.step(forgedChunk('n2', 'n1', term, { totalBytes: 16, data: new Uint8Array(8), done: false }, meta));
    expect(() => n2.raw.step(forgedChunk('n2', 'n1', term, { offset: 8, totalBytes: 12, data: new Uint8Array(4), done: true }, meta))).not.toThrow();
    c.processAll();
    expect(n2.snapshotsRestored).toEqual([]);
    expect(n2.storage.snapshot().meta.index).toBe(0);
    const rejects = c.sentWhere((m) => m.type === 'snapResp' && m.from === 'n2' && m.reject);
    expect(rejects.length).toBe(4);
  });

  it('a snapshot the application cannot decode is refused before it is installed or persisted', () => {
    const c = new Cluster(3, { config: { validateSnapshot: validate } });
    c.elect('n1');
    c.mustPropose('n1', 'a');
    c.stabilize();
    const term = c.raft('n1').term;
    const meta: SnapshotMeta = { index: 1000, term, confState: { voters: ['n1', 'n2', 'n3'], learners: [] } };
    const n2 = c.node('n2');
    const garbage = bytes('{{{{ not a snapshot at all');
    const lastIndex = n2.raft.log.lastIndex();
    n2.raw.step(forgedChunk('n2', 'n1', term, { totalBytes: garbage.byteLength, data: garbage }, meta));
    c.processAll();
    expect(n2.snapshotsRestored).toEqual([]);
    expect(n2.storage.snapshot().meta.index).toBe(0);
    expect(n2.raft.log.lastIndex()).toBe(lastIndex);
    expect(c.sentWhere((m) => m.type === 'snapResp' && m.from === 'n2' && m.reject)).toHaveLength(1);
    // A configuration without voters is refused the same way.
    const empty = bytes('[]');
    n2.raw.step(forgedChunk('n2', 'n1', term, { totalBytes: empty.byteLength, data: empty }, { ...meta, confState: { voters: [], learners: [] } }));
    c.processAll();
    expect(n2.snapshotsRestored).toEqual([]);
    // The cluster goes on.
    c.mustPropose('n1', 'b');
    c.stabilize();
    c.tick(1, ['n1']);
    c.stabilize();
    expect(n2.sm).toEqual(['a', 'b']);
  });
});
