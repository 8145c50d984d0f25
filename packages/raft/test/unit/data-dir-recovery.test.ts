/**
 * The offline store surgery behind --force-new-cluster and --restore (node/data-dir-recovery.ts):
 * a survivor forced to stand alone keeps every entry, leads alone in a new term, and commits on
 * its own; the configuration counts every membership entry to the end of the log (an uncommitted
 * learner is removed too); a seeded store starts from the snapshot with the new voters.
 */
import { MemoryStorage } from '../../src/storage/memory-storage';
import { configurationAtEnd, forceSingleMemberConfiguration, ForceNewClusterError, isEmptyStore, seedStoreFromSnapshot } from '../../src/node/data-dir-recovery';
import { unpackSnapshotEnvelope } from '../../src/node/snapshot-envelope';
import { encodeConfChange } from '../../src/core/confchange';
import { Cluster } from './harness';

describe('forceSingleMemberConfiguration', () => {
  it('leaves the survivor the only voter, keeping its log; it then leads and commits alone', async () => {
    const c = new Cluster(3);
    c.elect('n1');
    c.mustPropose('n1', 'a');
    c.stabilize();
    c.isolate('n1');
    c.isolate('n3');
    // Not committed anywhere but in n2's log (n1 is cut off before it replicates further).
    const storage = c.node('n2').storage;
    const lastBefore = storage.lastIndex();
    const termBefore = storage.initialState().hardState.term;

    const forced = await forceSingleMemberConfiguration(storage, 'n2');
    expect(forced).toMatchObject({ removed: ['n1', 'n3'], promoted: false, lastIndex: lastBefore, term: termBefore + 1 });
    expect(storage.lastIndex()).toBe(lastBefore + 2);
    expect(storage.initialState().hardState).toEqual({ term: termBefore + 1, vote: '', commit: lastBefore + 2 });
    expect(configurationAtEnd(storage)).toEqual({ voters: new Set(['n2']), learners: new Set() });

    c.restart('n2');
    c.processReady('n2');
    expect(c.raft('n2').confState()).toEqual({ voters: ['n2'], learners: [] });
    expect(c.node('n2').sm).toContain('a');
    c.tickUntil(() => c.raft('n2').role === 'leader', undefined, ['n2']);
    c.mustPropose('n2', 'b');
    c.processReady('n2');
    expect(c.node('n2').sm).toEqual(expect.arrayContaining(['a', 'b']));

    // Forced again, a survivor already alone is left as it is.
    const again = await forceSingleMemberConfiguration(storage, 'n2');
    expect(again).toMatchObject({ removed: [], promoted: false, term: 0 });
  });

  it('counts membership entries to the end of the log: an uncommitted learner goes, a learner survivor is promoted', async () => {
    const s = new MemoryStorage();
    const cc = (index: number, term: number, type: 'addVoter' | 'addLearner', node: string) => ({ index, term, type: 'confChange' as const, data: encodeConfChange({ type, node, context: '' }) });
    await s.persist({ hardState: { term: 2, vote: 'n1', commit: 3 }, entries: [cc(1, 1, 'addVoter', 'n1'), cc(2, 1, 'addVoter', 'n2'), cc(3, 1, 'addVoter', 'n3'), cc(4, 2, 'addLearner', 'n4')], snapshot: null });
    expect(configurationAtEnd(s)).toEqual({ voters: new Set(['n1', 'n2', 'n3']), learners: new Set(['n4']) });
    const forced = await forceSingleMemberConfiguration(s, 'n4');
    expect(forced).toMatchObject({ removed: ['n1', 'n2', 'n3'], promoted: true, lastIndex: 4, commit: 3, term: 3 });
    expect(configurationAtEnd(s)).toEqual({ voters: new Set(['n4']), learners: new Set() });
    await expect(forceSingleMemberConfiguration(s, 'n9')).rejects.toThrow(/node n9 is not in the configuration its store ends with \(voters: n4; learners: none\)/);
    await expect(forceSingleMemberConfiguration(new MemoryStorage(), 'n1')).rejects.toBeInstanceOf(ForceNewClusterError);
  });
});

describe('seedStoreFromSnapshot', () => {
  it('starts an empty store from the snapshot with the new voters and their addresses, and refuses one with state', async () => {
    const s = new MemoryStorage();
    expect(isEmptyStore(s)).toBe(true);
    const app = new Uint8Array([1, 2, 3]);
    await seedStoreFromSnapshot(s, { index: 42, term: 7, voters: ['b', 'a'], members: { a: { peer: 'a:1', client: 'a:2' }, b: { peer: 'b:1', client: 'b:2' } }, app });
    expect(s.snapshot().meta).toEqual({ index: 42, term: 7, confState: { voters: ['a', 'b'], learners: [] } });
    expect(s.initialState().hardState).toEqual({ term: 7, vote: '', commit: 42 });
    expect(s.lastIndex()).toBe(42);
    const env = unpackSnapshotEnvelope(s.snapshot().data);
    expect(env.members).toEqual({ a: { peer: 'a:1', client: 'a:2' }, b: { peer: 'b:1', client: 'b:2' } });
    expect([...env.app]).toEqual([1, 2, 3]);
    await expect(seedStoreFromSnapshot(s, { index: 50, term: 8, voters: ['a'], members: {}, app })).rejects.toThrow(/not empty/);
  });
});
