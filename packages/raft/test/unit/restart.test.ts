/**
 * Persistent state (Figure 2: currentTerm, votedFor, log[] are updated on stable storage before
 * responding to RPCs): a node rebuilt from its MemoryStorage keeps them.
 */
import type { Message } from '../../src/core/types';
import { Cluster, ELECTION_TICKS as E, logTerms } from './harness';

describe('restart from storage', () => {
  it('a restarted follower keeps its term, vote and log, and does not vote twice in the term', () => {
    const c = new Cluster(3, { config: { preVote: false } });
    c.elect('n1');
    c.mustPropose('n1', 'a');
    c.stabilize();
    const before = { term: c.raft('n2').term, vote: c.raft('n2').vote, terms: logTerms(c.raft('n2')) };
    expect(before).toMatchObject({ term: 2, vote: 'n1' });

    c.restart('n2');
    const n2 = c.node('n2');
    expect(n2.raft).toMatchObject({ term: 2, vote: 'n1', role: 'follower', lead: '' });
    expect(logTerms(n2.raft)).toEqual(before.terms);

    // The first Ready re-applies the committed configuration (a node with none grants no vote).
    c.processReady('n2');
    c.queue.splice(0);
    // Another candidate of the same term is refused: the vote is remembered.
    const vote = (from: string, term: number): Message => ({ type: 'vote', from, to: 'n2', term, lastIndex: 99, lastTerm: 2, transfer: false });
    n2.raw.step(vote('n3', 2));
    n2.raw.step(vote('n1', 2));
    c.processReady('n2');
    expect(c.queue.splice(0).map((m) => (m.type === 'voteResp' ? [m.to, m.reject] : m.type))).toEqual([
      ['n3', true],
      ['n1', false],
    ]);
    expect(n2.storage.initialState().hardState).toMatchObject({ term: 2, vote: 'n1' });
  });

  it('a candidate that restarts remembers it voted for itself', () => {
    const c = new Cluster(3, { config: { preVote: false } });
    c.isolate('n1');
    c.node('n1').raw.campaign();
    c.stabilize();
    c.restart('n1');
    expect(c.raft('n1')).toMatchObject({ term: 2, vote: 'n1', role: 'follower' });
    c.node('n1').raw.step({ type: 'vote', from: 'n2', to: 'n1', term: 2, lastIndex: 3, lastTerm: 1, transfer: false });
    c.processReady('n1');
    expect(c.queue.splice(0)).toEqual([expect.objectContaining({ type: 'voteResp', reject: true })]);
  });

  it('a restarted node re-applies its committed entries and rejoins with the same state', () => {
    const c = new Cluster(3);
    c.elect('n1');
    for (let i = 0; i < 5; i++) c.mustPropose('n1', `v${i}`);
    c.stabilize();
    c.tick(1, ['n1']);
    const sm = [...c.node('n3').sm];
    expect(sm).toHaveLength(5);
    c.stop('n3');
    c.mustPropose('n1', 'while-down');
    c.stabilize();
    c.restart('n3');
    c.processReady('n3');
    // Replayed from its own log (applied starts at the snapshot index, 0 here).
    expect(c.node('n3').sm).toEqual(sm);
    c.tick(2, ['n1']);
    expect(c.node('n3').sm).toEqual([...sm, 'while-down']);
  });

  it('a restarted node resumes from its storage snapshot and the log after it', () => {
    const c = new Cluster(3);
    c.elect('n1');
    for (let i = 0; i < 4; i++) c.mustPropose('n1', `v${i}`);
    c.stabilize();
    c.tick(1, ['n1']);
    const snapIndex = c.compact('n2');
    c.mustPropose('n1', 'v4');
    c.stabilize();
    c.tick(1, ['n1']);
    c.restart('n2');
    expect(c.raft('n2').log.applied).toBe(snapIndex);
    expect(c.raft('n2').log.firstIndex()).toBe(snapIndex + 1);
    c.processReady('n2');
    expect(c.node('n2').sm).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
    expect(c.raft('n2').confState()).toEqual({ voters: ['n1', 'n2', 'n3'], learners: [] });
  });

  it('a whole cluster restarted from storage keeps its data and elects a leader of a higher term', () => {
    const c = new Cluster(3);
    c.elect('n2');
    c.mustPropose('n2', 'x');
    c.stabilize();
    c.tick(1, ['n2']);
    for (const id of c.ids()) c.restart(id);
    c.stabilize();
    c.tickUntil(() => c.leader() !== undefined, 6 * E);
    expect(c.leader()?.raft.term).toBeGreaterThan(2);
    c.tick(2);
    for (const id of c.ids()) expect(c.node(id).sm.filter((s) => s === 'x')).not.toHaveLength(0);
    expect(c.mustPropose(c.leaderId(), 'y')).toBeGreaterThan(0);
  });
});
