/**
 * The thesis' liveness extensions (§9.6 PreVote, §6.2 CheckQuorum, §4.2.3 leader lease on votes):
 * a partitioned node must not disrupt a healthy cluster, and a leader that lost its quorum must
 * step down by itself.
 */
import type { Message } from '../../src/core/types';
import { Cluster, ELECTION_TICKS as E } from './harness';

function terms(c: Cluster): number[] {
  return c.ids().map((id) => c.raft(id).term);
}

describe('PreVote', () => {
  it('an isolated node keeps its term while it times out again and again, and rejoins without disrupting the leader', () => {
    const c = new Cluster(3);
    c.elect('n1');
    c.isolate('n3');
    const mark = c.mark();
    c.tick(5 * E);
    // It did try (several trial elections) but never bumped its term.
    expect(c.since(mark).filter((m) => m.type === 'preVote' && m.from === 'n3').length).toBeGreaterThanOrEqual(4);
    expect(c.since(mark).filter((m) => m.type === 'vote').length).toBe(0);
    expect(terms(c)).toEqual([2, 2, 2]);
    c.mustPropose('n1', 'while-away');
    c.recover();
    c.tick(2 * E);
    expect(c.leaderId()).toBe('n1');
    expect(terms(c)).toEqual([2, 2, 2]);
    expect(c.raft('n3')).toMatchObject({ role: 'follower', lead: 'n1' });
    expect(c.node('n3').sm).toEqual(['while-away']);
  });

  it('without PreVote (and CheckQuorum) the same rejoin forces a new election in a higher term', () => {
    const c = new Cluster(3, { config: { preVote: false, checkQuorum: false } });
    c.elect('n1');
    c.isolate('n3');
    c.tick(5 * E);
    const t3 = c.raft('n3').term;
    expect(t3).toBeGreaterThanOrEqual(4);
    expect(c.raft('n1').term).toBe(2);
    c.recover();
    c.tick(3 * E);
    // The leader of term 2 was deposed by the rejoining node's term.
    expect(c.raft('n1').term).toBeGreaterThanOrEqual(t3);
    expect(c.leader()?.raft.term).toBeGreaterThanOrEqual(t3);
  });

  it('a pre-candidate with a stale log is refused even without CheckQuorum, so the term stays put', () => {
    const c = new Cluster(3, { config: { checkQuorum: false } });
    c.elect('n1');
    c.isolate('n3');
    c.mustPropose('n1', 'a');
    c.stabilize();
    c.recover();
    // n3 times out before hearing from the leader again (its log lacks 'a').
    const mark = c.mark();
    c.node('n3').raw.campaign();
    c.stabilize();
    const answers = c.since(mark).filter((m) => m.type === 'preVoteResp').map((m) => (m.type === 'preVoteResp' ? [m.from, m.reject] : []));
    expect(answers).toEqual([
      ['n1', true],
      ['n2', true],
    ]);
    expect(terms(c)).toEqual([2, 2, 2]);
    expect(c.raft('n1').role).toBe('leader');
  });

  it('a granted PreVote is answered at the future term without changing the voter term or vote', () => {
    const c = new Cluster(3);
    const n2 = c.node('n2');
    n2.raw.step({ type: 'preVote', from: 'n1', to: 'n2', term: 2, lastIndex: 3, lastTerm: 1, transfer: false });
    c.processReady('n2');
    expect(c.queue.splice(0)).toEqual([expect.objectContaining({ type: 'preVoteResp', term: 2, reject: false })]);
    expect(n2.raft).toMatchObject({ term: 1, vote: '' });
    expect(n2.storage.initialState().hardState).toMatchObject({ term: 1, vote: '' });
  });
});

describe('CheckQuorum', () => {
  it('a leader cut off from the majority steps down within an election timeout of its last contact, and the rest elect', () => {
    const c = new Cluster(5);
    c.elect('n1');
    c.isolate('n1');
    // The first check after isolation may still count acks from before it.
    c.tick(E - 1, ['n1']);
    expect(c.raft('n1').role).toBe('leader');
    const ticks = c.tickUntil(() => c.raft('n1').role !== 'leader', 2 * E, ['n1']);
    expect(ticks + E - 1).toBeLessThanOrEqual(2 * E);
    expect(c.raft('n1')).toMatchObject({ role: 'follower', term: 2, lead: '' });
    c.tickUntil(() => c.leader() !== undefined, 4 * E, ['n2', 'n3', 'n4', 'n5']);
    expect(c.leader()?.raft.term).toBeGreaterThanOrEqual(3);
  });

  it('a leader that still hears from a majority (not all) keeps leading', () => {
    const c = new Cluster(5);
    c.elect('n1');
    c.isolate('n4');
    c.isolate('n5');
    c.tick(5 * E);
    expect(c.raft('n1')).toMatchObject({ role: 'leader', term: 2 });
  });

  it('without CheckQuorum an isolated leader keeps believing it leads', () => {
    const c = new Cluster(3, { config: { checkQuorum: false } });
    c.elect('n1');
    c.isolate('n1');
    c.tick(5 * E, ['n1']);
    expect(c.raft('n1')).toMatchObject({ role: 'leader', term: 2 });
  });
});

describe('leader lease on votes', () => {
  const vote = (type: 'vote' | 'preVote', transfer: boolean): Message => ({ type, from: 'n3', to: 'n2', term: 3, lastIndex: 99, lastTerm: 2, transfer });

  it('a follower that heard from its leader within an election timeout ignores (pre)vote requests of a higher term', () => {
    const c = new Cluster(3);
    c.elect('n1');
    const n2 = c.node('n2');
    for (const type of ['vote', 'preVote'] as const) {
      n2.raw.step(vote(type, false));
      expect(n2.raw.hasReady()).toBe(false);
      expect(n2.raft).toMatchObject({ term: 2, lead: 'n1', vote: 'n1' });
    }
    // The leader too.
    c.node('n1').raw.step({ ...vote('vote', false), to: 'n1' });
    expect(c.raft('n1')).toMatchObject({ role: 'leader', term: 2 });
  });

  it('the lease expires an election timeout after the last contact', () => {
    const c = new Cluster(3);
    c.elect('n1');
    c.isolate('n1');
    const n2 = c.node('n2');
    // Tick n2 alone, one short of the lease end; its own timeout is at least E, so it has not campaigned.
    for (let i = 0; i < E - 1; i++) n2.raw.tick();
    n2.raw.step(vote('vote', false));
    expect(n2.raft.term).toBe(2);
    n2.raw.tick();
    n2.raw.step(vote('vote', false));
    expect(n2.raft).toMatchObject({ term: 3, vote: 'n3' });
  });

  it('a leadership-transfer election (TimeoutNow) is not subject to the lease', () => {
    const c = new Cluster(3);
    c.elect('n1');
    const n2 = c.node('n2');
    n2.raw.step(vote('vote', true));
    c.processReady('n2');
    expect(n2.raft).toMatchObject({ term: 3, vote: 'n3', lead: '' });
    expect(c.queue.splice(0)).toEqual([expect.objectContaining({ type: 'voteResp', to: 'n3', term: 3, reject: false })]);
  });

  it('without CheckQuorum there is no lease: a higher-term vote request is considered at once', () => {
    const c = new Cluster(3, { config: { checkQuorum: false } });
    c.elect('n1');
    c.node('n2').raw.step(vote('vote', false));
    expect(c.raft('n2')).toMatchObject({ term: 3, vote: 'n3' });
  });
});
