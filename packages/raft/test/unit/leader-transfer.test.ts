/**
 * Leadership transfer (thesis §3.10): the leader brings the target up to date, then sends it
 * TimeoutNow so it campaigns at once (skipping PreVote and the followers' lease). Proposals are
 * refused meanwhile, and the transfer is abandoned after an election timeout.
 */
import { Cluster, ELECTION_TICKS as E } from './harness';

describe('leadership transfer', () => {
  it('to an up-to-date follower: TimeoutNow at once, and the target wins without any tick', () => {
    const c = new Cluster(3);
    c.elect('n1');
    const mark = c.mark();
    expect(c.node('n1').raw.transferLeader('n2')).toMatchObject({ ok: true });
    c.stabilize();
    const msgs = c.since(mark);
    expect(msgs[0]).toMatchObject({ type: 'timeoutNow', from: 'n1', to: 'n2', term: 2 });
    // No PreVote round: the target goes straight to a real election flagged as a transfer.
    expect(msgs.filter((m) => m.type === 'preVote')).toEqual([]);
    expect(msgs.filter((m) => m.type === 'vote').every((m) => m.type === 'vote' && m.transfer)).toBe(true);
    expect(c.raft('n2')).toMatchObject({ role: 'leader', term: 3 });
    expect(c.raft('n1')).toMatchObject({ role: 'follower', term: 3 });
    c.tick(1, ['n2']);
    expect(c.raft('n1').lead).toBe('n2');
    expect(c.raft('n3').lead).toBe('n2');
    expect(c.mustPropose('n2', 'after')).toBeGreaterThan(0);
    c.stabilize();
    expect(c.node('n2').sm).toEqual(['after']);
  });

  it('to a lagging follower: the leader catches it up first, then sends TimeoutNow', () => {
    const c = new Cluster(3);
    c.elect('n1');
    c.drop((m) => m.type === 'app' && m.to === 'n2');
    for (let i = 0; i < 5; i++) c.mustPropose('n1', `v${i}`);
    c.stabilize();
    const last = c.raft('n1').log.lastIndex();
    expect(c.raft('n2').log.lastIndex()).toBeLessThan(last);
    c.recover();
    // When TimeoutNow leaves the leader, the target must already hold the whole log.
    const atTimeoutNow: number[] = [];
    c.drop((m) => {
      if (m.type === 'timeoutNow') atTimeoutNow.push(c.raft('n2').log.lastIndex());
      return false;
    });
    expect(c.node('n1').raw.transferLeader('n2').ok).toBe(true);
    expect(c.raft('n1').leadTransferee).toBe('n2');
    const ticks = c.tickUntil(() => c.raft('n2').role === 'leader', E);
    expect(ticks).toBeLessThan(E);
    expect(atTimeoutNow).toEqual([last]);
    expect(c.raft('n2').term).toBe(3);
    c.tick(1, ['n2']);
    expect(c.node('n2').sm).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
  });

  it('proposals (and membership changes) are refused with reason "transferring" while a transfer is under way', () => {
    const c = new Cluster(3);
    c.elect('n1');
    c.isolate('n2');
    c.mustPropose('n1', 'x');
    c.stabilize();
    expect(c.node('n1').raw.transferLeader('n2').ok).toBe(true);
    expect(c.propose('n1', 'y')).toMatchObject({ ok: false, reason: 'transferring' });
    expect(c.node('n1').raw.proposeBatch([new Uint8Array([1])])).toMatchObject({ ok: false, reason: 'transferring' });
    expect(c.confChange('n1', { type: 'addLearner', node: 'n9' })).toMatchObject({ ok: false, reason: 'transferring' });
    const r = c.propose('n1', 'y');
    expect(!r.ok && r.detail).toContain('n2');
  });

  it('a transfer to a target that is down is abandoned after an election timeout, and the leader serves again', () => {
    const c = new Cluster(3);
    c.elect('n1');
    c.isolate('n2');
    c.mustPropose('n1', 'x');
    c.stabilize();
    c.node('n1').raw.transferLeader('n2');
    c.tick(E - 1);
    expect(c.raft('n1')).toMatchObject({ role: 'leader', leadTransferee: 'n2' });
    expect(c.propose('n1', 'y')).toMatchObject({ ok: false, reason: 'transferring' });
    c.tick(1);
    expect(c.raft('n1')).toMatchObject({ role: 'leader', leadTransferee: '', term: 2 });
    expect(c.mustPropose('n1', 'y')).toBeGreaterThan(0);
    c.stabilize();
    expect(c.node('n1').sm).toEqual(['x', 'y']);
  });

  it('refuses a transfer from a follower, and to a node that is not a voter', () => {
    const c = new Cluster(3);
    c.elect('n1');
    expect(c.node('n2').raw.transferLeader('n3')).toMatchObject({ ok: false, reason: 'notLeader' });
    expect(c.node('n1').raw.transferLeader('n9')).toMatchObject({ ok: false, reason: 'invalidConfChange' });
    expect(c.raft('n1').leadTransferee).toBe('');
    // To itself: nothing to do.
    expect(c.node('n1').raw.transferLeader('n1').ok).toBe(true);
    expect(c.raft('n1').leadTransferee).toBe('');
  });
});
