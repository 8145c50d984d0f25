/**
 * Single-server membership changes (thesis §4.1/§4.2.1): learners, promotion, removal (of a
 * follower and of the leader), one change at a time, and bootstrapping through `peers`.
 */
import { Cluster, ELECTION_TICKS as E, confChanges } from './harness';

/** A 3-voter cluster led by n1 with n4 added as a learner that has caught up. */
function withLearner(): Cluster {
  const c = new Cluster(3);
  c.elect('n1');
  c.mustPropose('n1', 'before');
  c.stabilize();
  c.add('n4');
  expect(c.confChange('n1', { type: 'addLearner', node: 'n4' })).toMatchObject({ ok: true });
  c.stabilize();
  c.tickUntil(() => c.node('n4').sm.length === 1 && c.raft('n4').learners.has('n4'), 10);
  return c;
}

describe('learners', () => {
  it('a learner receives and applies the whole log and learns the membership from it', () => {
    const c = withLearner();
    const n4 = c.node('n4');
    expect(n4.sm).toEqual(['before']);
    expect(n4.raft.confState()).toEqual({ voters: ['n1', 'n2', 'n3'], learners: ['n4'] });
    expect(confChanges(n4.appliedEntries)).toEqual(['addVoter:n1', 'addVoter:n2', 'addVoter:n3', 'addLearner:n4']);
    for (const id of ['n1', 'n2', 'n3']) expect(c.raft(id).confState()).toEqual(n4.raft.confState());
    expect(c.node('n1').raw.status().progress.get('n4')).toMatchObject({ learner: true, match: c.raft('n1').log.lastIndex() });
    c.mustPropose('n1', 'later');
    c.stabilize();
    c.tick(1, ['n1']);
    expect(n4.sm).toEqual(['before', 'later']);
  });

  it('a learner never campaigns, and its vote does not count', () => {
    const c = withLearner();
    c.stop('n1');
    // Left alone, the learner never times out into an election.
    const mark = c.mark();
    c.tick(5 * E, ['n4']);
    expect(c.since(mark).filter((m) => m.from === 'n4' && (m.type === 'preVote' || m.type === 'vote'))).toEqual([]);
    expect(c.raft('n4').role).toBe('follower');
    // A candidate that reaches only the learner cannot win: n2 + n4 is not a majority of {n1,n2,n3}.
    c.cut('n2', 'n3');
    c.node('n2').raw.campaign();
    c.stabilize();
    c.tick(3 * E, ['n2', 'n4']);
    expect(c.raft('n2').role).not.toBe('leader');
    expect(c.since(mark).filter((m) => (m.type === 'preVote' || m.type === 'vote') && m.to === 'n4')).toEqual([]);
  });

  it('a learner does not count toward the commit quorum', () => {
    const c = withLearner();
    c.isolate('n2');
    c.isolate('n3');
    const idx = c.mustPropose('n1', 'needs-a-voter');
    c.tick(3, ['n1']);
    // Stored on the leader and the learner, but that is one voter of three.
    expect(c.raft('n4').log.lastIndex()).toBe(idx);
    expect(c.raft('n1').log.committed).toBeLessThan(idx);
    c.recover();
    c.tickUntil(() => c.raft('n1').log.committed === idx, 5, ['n1']);
    expect(c.raft('n1').log.committed).toBe(idx);
  });

  it('once promoted it counts: with n2 away, n1 + n3 + n4 make the 3-of-4 quorum', () => {
    const c = withLearner();
    expect(c.confChange('n1', { type: 'promote', node: 'n4' })).toMatchObject({ ok: true });
    c.stabilize();
    c.tick(1, ['n1']);
    for (const id of ['n1', 'n2', 'n3', 'n4']) expect(c.raft(id).confState()).toEqual({ voters: ['n1', 'n2', 'n3', 'n4'], learners: [] });
    expect(c.node('n1').raw.status().progress.get('n4')?.learner).toBe(false);
    // Four voters: n1 + n3 alone no longer commit...
    c.isolate('n2');
    c.isolate('n4');
    const a = c.mustPropose('n1', 'a');
    c.tick(2, ['n1']);
    expect(c.raft('n1').log.committed).toBeLessThan(a);
    // ...and n4's acknowledgement is what completes the quorum.
    c.recover();
    c.isolate('n2');
    c.tickUntil(() => c.raft('n1').log.committed >= a, 5, ['n1']);
    expect(c.raft('n1').log.committed).toBe(a);
    // And it can now be elected.
    c.recover();
    c.tick(1, ['n1']);
    c.node('n1').raw.transferLeader('n4');
    c.stabilize();
    expect(c.raft('n4').role).toBe('leader');
  });
});

describe('removal', () => {
  it('removing a follower shrinks the quorum', () => {
    const c = new Cluster(4);
    c.elect('n1');
    // Four voters: n1 + n2 are not a majority.
    c.isolate('n3');
    c.isolate('n4');
    const a = c.mustPropose('n1', 'a');
    c.tick(2, ['n1']);
    expect(c.raft('n1').log.committed).toBeLessThan(a);
    c.recover();
    c.tick(3, ['n1']);
    expect(c.raft('n1').log.committed).toBe(a);
    expect(c.confChange('n1', { type: 'remove', node: 'n4' })).toMatchObject({ ok: true });
    c.stabilize();
    c.tick(1, ['n1']);
    expect(c.raft('n1').confState()).toEqual({ voters: ['n1', 'n2', 'n3'], learners: [] });
    expect(c.node('n1').raw.status().progress.has('n4')).toBe(false);
    // Three voters: n1 + n2 are.
    c.isolate('n3');
    c.isolate('n4');
    const b = c.mustPropose('n1', 'b');
    c.stabilize();
    expect(c.raft('n1').log.committed).toBe(b);
    // The removed node is sent nothing more.
    const mark = c.mark();
    c.recover();
    c.tick(3, ['n1']);
    expect(c.since(mark).filter((m) => m.to === 'n4')).toEqual([]);
  });

  it('applying a removal that shrinks the quorum commits entries already stored on the new majority', () => {
    // One entry per message, so n3 can get the removal but not the entry after it.
    const c = new Cluster(4, { config: { maxBytesPerMsg: 1 } });
    c.elect('n1');
    c.isolate('n4');
    const k = c.confChange('n1', { type: 'remove', node: 'n4' });
    const x = c.mustPropose('n1', 'x');
    expect(k).toMatchObject({ ok: true, index: x - 1 });
    c.processReady('n1');
    c.drop((m) => m.type === 'app' && m.to === 'n3' && m.entries.some((e) => e.index === x));
    c.deliverWhere((m) => m.type === 'app');
    // All acknowledgements reach n1 before it processes a Ready: n2 has x, n3 only the removal.
    const n1 = c.node('n1');
    for (const m of c.queue.splice(0)) if (m.to === 'n1') n1.raw.step(m);
    expect(n1.raft.log.committed).toBe(x - 1);
    // Applying the removal leaves 3 voters, of which n1 and n2 (a majority) hold x.
    c.processReady('n1');
    expect(n1.raft.voters.size).toBe(3);
    expect(n1.raft.log.committed).toBe(x);
    expect(n1.sm).toEqual(['x']);
    expect(c.raft('n3').log.lastIndex()).toBe(x - 1);
  });

  it('removing the leader: it steps down once the change applies, and the others elect a leader among themselves', () => {
    const c = new Cluster(3);
    c.elect('n1');
    c.mustPropose('n1', 'a');
    c.stabilize();
    expect(c.confChange('n1', { type: 'remove', node: 'n1' })).toMatchObject({ ok: true });
    c.stabilize();
    expect(c.raft('n1').role).toBe('follower');
    expect(c.raft('n1').voters.has('n1')).toBe(false);
    c.tickUntil(() => c.leader() !== undefined, 6 * E);
    const l = c.leaderId();
    expect(['n2', 'n3']).toContain(l);
    c.tick(2);
    for (const id of ['n2', 'n3']) expect(c.raft(id).confState()).toEqual({ voters: ['n2', 'n3'], learners: [] });
    c.mustPropose(l, 'b');
    c.stabilize();
    c.tick(1, [l]);
    expect(c.node('n2').sm).toEqual(['a', 'b']);
    expect(c.node('n3').sm).toEqual(['a', 'b']);
    // The old leader is out: never campaigns again, and is not sent the new entries.
    const mark = c.mark();
    c.tick(5 * E);
    expect(c.since(mark).filter((m) => m.from === 'n1' || m.to === 'n1')).toEqual([]);
    expect(c.raft('n1').role).toBe('follower');
  });
});

describe('one change at a time', () => {
  it('a second membership change is refused (confChangePending) until the first is applied', () => {
    const c = new Cluster(3);
    c.elect('n1');
    c.add('n4');
    c.add('n5');
    expect(c.confChange('n1', { type: 'addLearner', node: 'n4' })).toMatchObject({ ok: true });
    const second = c.confChange('n1', { type: 'addLearner', node: 'n5' });
    expect(second).toMatchObject({ ok: false, reason: 'confChangePending' });
    // Ordinary proposals are fine meanwhile.
    expect(c.propose('n1', 'x').ok).toBe(true);
    c.processReady('n1');
    expect(c.confChange('n1', { type: 'addLearner', node: 'n5' })).toMatchObject({ ok: false, reason: 'confChangePending' });
    c.stabilize();
    expect(c.raft('n1').learners.has('n4')).toBe(true);
    expect(c.confChange('n1', { type: 'addLearner', node: 'n5' })).toMatchObject({ ok: true });
  });

  it("a new leader accepts no change until it applied its predecessor's uncommitted one", () => {
    const c = new Cluster(3);
    c.elect('n1');
    // n1's change reaches n2 and n3, but n1 never learns it was stored.
    c.drop((m) => m.type === 'appResp' && m.to === 'n1');
    expect(c.confChange('n1', { type: 'addLearner', node: 'n4' }).ok).toBe(true);
    c.stabilize();
    expect(c.raft('n2').log.lastIndex()).toBe(5);
    expect(c.raft('n1').log.committed).toBe(4);
    // n1 is lost; the others elect a leader whose appends do not get through yet.
    c.recover();
    c.isolate('n1');
    c.drop((m) => m.type === 'app');
    c.tickUntil(() => c.raft('n2').role === 'leader' || c.raft('n3').role === 'leader', 6 * E, ['n2', 'n3']);
    const l = c.raft('n2').role === 'leader' ? 'n2' : 'n3';
    expect(c.raft(l).log.applied).toBe(4);
    expect(c.confChange(l, { type: 'addLearner', node: 'n5' })).toMatchObject({ ok: false, reason: 'confChangePending' });
    c.recover();
    c.isolate('n1');
    c.tickUntil(() => c.raft(l).log.applied === c.raft(l).log.lastIndex(), 5, [l]);
    expect(c.raft(l).confState()).toEqual({ voters: ['n1', 'n2', 'n3'], learners: ['n4'] });
    expect(c.confChange(l, { type: 'addLearner', node: 'n5' }).ok).toBe(true);
  });

  it('invalid changes are refused with a reason naming the node', () => {
    const c = new Cluster(3);
    c.elect('n1');
    const cases = [
      [{ type: 'addLearner', node: 'n2' }, 'already a voter'],
      [{ type: 'promote', node: 'n2' }, 'not a learner'],
      [{ type: 'remove', node: 'n9' }, 'not a member'],
      [{ type: 'addLearner', node: '' }, 'must not be empty'],
    ] as const;
    for (const [cc, why] of cases) {
      const r = c.confChange('n1', cc);
      expect(r).toMatchObject({ ok: false, reason: 'invalidConfChange' });
      expect(!r.ok && r.detail).toContain(why);
    }
    expect(c.confChange('n2', { type: 'addLearner', node: 'n4' })).toMatchObject({ ok: false, reason: 'notLeader' });
    const solo = new Cluster(1);
    solo.elect('n1');
    expect(solo.confChange('n1', { type: 'remove', node: 'n1' })).toMatchObject({ ok: false, reason: 'invalidConfChange' });
  });
});

describe('bootstrap through peers', () => {
  it('founders write identical committed membership entries at term 1 and start as voters', () => {
    const c = new Cluster(['a', 'b', 'c']);
    for (const id of ['a', 'b', 'c']) {
      const n = c.node(id);
      expect(n.raft.term).toBe(1);
      expect(n.raft.log.committed).toBe(3);
      expect(n.raft.confState()).toEqual({ voters: ['a', 'b', 'c'], learners: [] });
      expect(confChanges(n.appliedEntries)).toEqual(['addVoter:a', 'addVoter:b', 'addVoter:c']);
      expect(n.storage.initialState().hardState).toEqual({ term: 1, vote: '', commit: 3 });
      expect(n.storage.lastIndex()).toBe(3);
    }
    c.elect('b');
    expect(c.raft('b').term).toBe(2);
  });

  it('a node started with empty storage and no peers has no membership and never campaigns', () => {
    const c = new Cluster(['a']);
    const x = c.add('x');
    c.tick(5 * E, ['x']);
    expect(x.raft.confState()).toEqual({ voters: [], learners: [] });
    expect(x.raft.role).toBe('follower');
    expect(c.count('preVote', 'x') + c.count('vote', 'x')).toBe(0);
  });

  it('peers are ignored on restart: the membership comes from storage', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    const last = c.raft('a').log.lastIndex();
    c.restart('a', ['z1', 'z2']);
    c.processReady('a');
    expect(c.raft('a').confState()).toEqual({ voters: ['a', 'b', 'c'], learners: [] });
    expect(c.raft('a').log.lastIndex()).toBe(last);
    expect(c.node('a').storage.lastIndex()).toBe(last);
    expect(c.raft('a').term).toBe(2);
  });
});

describe('a node with no configuration yet', () => {
  // A member back with an empty data dir (or one waiting to be added) has forgotten any vote it
  // gave: granting one now could elect a second leader in a term it already voted in.
  it('grants no vote and no PreVote, whatever the candidate\'s log', () => {
    const c = new Cluster(3);
    c.elect('n1');
    const empty = c.add('n4');
    expect(empty.raft.confState()).toEqual({ voters: [], learners: [] });
    for (const type of ['preVote', 'vote'] as const) {
      empty.raft.msgs = [];
      empty.raft.step({ type, from: 'n2', to: 'n4', term: 7, lastIndex: 10, lastTerm: 7, transfer: false });
      const answers = empty.raft.msgs.filter((m) => m.type === (type === 'vote' ? 'voteResp' : 'preVoteResp'));
      expect(answers).toEqual([expect.objectContaining({ reject: true })]);
    }
    expect(empty.raft.vote).toBe('');
  });
});
