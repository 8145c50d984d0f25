/**
 * Tests named after the rules of the Raft paper (Ongaro & Ousterhout, "In Search of an
 * Understandable Consensus Algorithm", extended version), organized like etcd-io/raft's
 * raft_paper_test.go: §5.1 terms, §5.2 leader election, §5.3 log replication, §5.4 safety.
 */
import type { Message, Role } from '../../src/core/types';
import { Cluster, ELECTION_TICKS as E, logTerms, storageWithLog, text } from './harness';

const P3 = ['n1', 'n2', 'n3'];
const P5 = ['n1', 'n2', 'n3', 'n4', 'n5'];

/** Take the queued messages without delivering them. */
function drain(c: Cluster): Message[] {
  return c.queue.splice(0);
}

describe('§5.1 terms', () => {
  it.each<Role>(['follower', 'candidate', 'leader'])('a %s that sees a higher term adopts it and becomes a follower', (role) => {
    const c = new Cluster(3, { config: { preVote: false } });
    if (role === 'leader') c.elect('n1');
    if (role === 'candidate') {
      c.isolate('n1');
      c.node('n1').raw.campaign();
      c.stabilize();
      c.recover();
    }
    expect(c.raft('n1').role).toBe(role);
    c.node('n1').raw.step({ type: 'heartbeat', from: 'n2', to: 'n1', term: 10, commit: 0, ctx: '' });
    c.processReady('n1');
    expect(c.raft('n1')).toMatchObject({ role: 'follower', term: 10, lead: 'n2' });
    expect(c.node('n1').storage.initialState().hardState.term).toBe(10);
  });

  it('a leader ignores an append from a stale term and answers with its own term', () => {
    const c = new Cluster(3);
    c.elect('n1');
    const term = c.raft('n1').term;
    c.node('n1').raw.step({ type: 'app', from: 'n2', to: 'n1', term: term - 1, index: 0, logTerm: 0, entries: [], commit: 0 });
    c.processReady('n1');
    const out = drain(c);
    expect(c.raft('n1')).toMatchObject({ role: 'leader', term });
    expect(out).toEqual([expect.objectContaining({ type: 'appResp', to: 'n2', term })]);
  });
});

describe('§5.2 leader election', () => {
  it('a follower that hears nothing for its election timeout becomes a candidate and requests votes', () => {
    const c = new Cluster(3, { config: { preVote: false } });
    const n1 = c.node('n1');
    const timeout = n1.raft.electionState().randomizedElectionTimeout;
    let ticks = 0;
    while (n1.raft.role === 'follower' && ticks < 100) {
      n1.raw.tick();
      ticks++;
    }
    expect(ticks).toBe(timeout);
    expect(ticks).toBeGreaterThanOrEqual(E);
    expect(ticks).toBeLessThan(2 * E);
    expect(n1.raft).toMatchObject({ role: 'candidate', term: 2, vote: 'n1' });
    c.processReady('n1');
    // The vote for itself is durable before any request leaves.
    expect(n1.storage.initialState().hardState).toMatchObject({ term: 2, vote: 'n1' });
    const reqs = drain(c).map((m) => (m.type === 'vote' ? [m.to, m.term, m.lastIndex, m.lastTerm, m.transfer] : m.type));
    expect(reqs).toEqual([
      ['n2', 2, 3, 1, false],
      ['n3', 2, 3, 1, false],
    ]);
  });

  it('with PreVote the timed-out follower first runs a trial election that changes neither term nor vote', () => {
    const c = new Cluster(3);
    const n1 = c.node('n1');
    const timeout = n1.raft.electionState().randomizedElectionTimeout;
    for (let i = 0; i < timeout; i++) n1.raw.tick();
    expect(n1.raft).toMatchObject({ role: 'preCandidate', term: 1, vote: '' });
    c.processReady('n1');
    expect(n1.storage.initialState().hardState).toMatchObject({ term: 1, vote: '' });
    const reqs = drain(c).map((m) => [m.type, m.to, m.term]);
    expect(reqs).toEqual([
      ['preVote', 'n2', 2],
      ['preVote', 'n3', 2],
    ]);
  });

  // etcd TestLeaderElectionInOneRoundRPC
  it.each<[number, Record<string, boolean>, Role]>([
    [1, {}, 'leader'],
    [3, { n2: true, n3: true }, 'leader'],
    [3, { n2: true }, 'leader'],
    [5, { n2: true, n3: true, n4: true, n5: true }, 'leader'],
    [5, { n2: true, n3: true }, 'leader'],
    [5, { n2: true, n3: false, n4: false, n5: true }, 'leader'],
    [3, { n2: false, n3: false }, 'follower'],
    [5, { n2: false, n3: false, n4: false }, 'follower'],
    [5, { n2: true, n3: false, n4: false, n5: false }, 'follower'],
    [3, {}, 'candidate'],
    [5, { n2: true }, 'candidate'],
    [5, { n2: false, n3: false }, 'candidate'],
    [5, { n2: true, n3: false, n4: false }, 'candidate'],
  ])('%i voters, responses %j: the candidate ends as %s', (size, votes, want) => {
    const c = new Cluster(size, { config: { preVote: false } });
    const n1 = c.node('n1');
    n1.raw.campaign();
    c.processReady('n1');
    drain(c);
    for (const [from, granted] of Object.entries(votes)) {
      n1.raw.step({ type: 'voteResp', from, to: 'n1', term: 2, reject: !granted });
    }
    expect(n1.raft.role).toBe(want);
    expect(n1.raft.term).toBe(2);
  });

  it('a candidate that wins a majority becomes leader and the others follow it', () => {
    const c = new Cluster(5);
    c.elect('n3');
    for (const n of c.nodes.values()) {
      expect(n.raft.term).toBe(2);
      expect(n.raft.lead).toBe('n3');
      expect(n.raft.role).toBe(n.id === 'n3' ? 'leader' : 'follower');
    }
  });

  it('each node grants at most one vote per term, first come first served', () => {
    const c = new Cluster(3, { config: { preVote: false } });
    const n2 = c.node('n2');
    const vote = (from: string, term: number): Message => ({ type: 'vote', from, to: 'n2', term, lastIndex: 3, lastTerm: 1, transfer: false });
    n2.raw.step(vote('n1', 2));
    n2.raw.step(vote('n3', 2));
    n2.raw.step(vote('n1', 2)); // a retransmission is granted again
    c.processReady('n2');
    expect(drain(c).map((m) => (m.type === 'voteResp' ? [m.to, m.term, m.reject] : m.type))).toEqual([
      ['n1', 2, false],
      ['n3', 2, true],
      ['n1', 2, false],
    ]);
    expect(n2.storage.initialState().hardState).toMatchObject({ term: 2, vote: 'n1' });
    // A new term is a new ballot.
    n2.raw.step(vote('n3', 3));
    c.processReady('n2');
    expect(drain(c)).toEqual([expect.objectContaining({ type: 'voteResp', to: 'n3', term: 3, reject: false })]);
  });

  it('a candidate that hears AppendEntries from a leader of its term returns to follower', () => {
    const c = new Cluster(3, { config: { preVote: false } });
    const n1 = c.node('n1');
    n1.raw.campaign();
    expect(n1.raft.role).toBe('candidate');
    n1.raw.step({ type: 'app', from: 'n2', to: 'n1', term: 2, index: 3, logTerm: 1, entries: [], commit: 3 });
    expect(n1.raft).toMatchObject({ role: 'follower', term: 2, lead: 'n2' });
  });

  it('a candidate whose election times out (split vote) starts a new election in a higher term', () => {
    const c = new Cluster(3, { config: { preVote: false } });
    c.isolate('n1');
    c.node('n1').raw.campaign();
    c.stabilize();
    expect(c.raft('n1')).toMatchObject({ role: 'candidate', term: 2 });
    const timeout = c.raft('n1').electionState().randomizedElectionTimeout;
    c.tick(timeout - 1, ['n1']);
    expect(c.raft('n1').term).toBe(2);
    c.tick(1, ['n1']);
    expect(c.raft('n1')).toMatchObject({ role: 'candidate', term: 3, vote: 'n1' });
    // The new election draws a new timeout from the same range.
    const again = c.raft('n1').electionState().randomizedElectionTimeout;
    expect(again).toBeGreaterThanOrEqual(E);
    expect(again).toBeLessThan(2 * E);
  });

  it('election timeouts are randomized in [electionTicks, 2*electionTicks), differ across seeds and replay per seed', () => {
    const seen = new Set<number>();
    const perSeed: string[] = [];
    for (let seed = 1; seed <= 30; seed++) {
      const c = new Cluster(3, { seed });
      const ts = c.ids().map((id) => c.raft(id).electionState().randomizedElectionTimeout);
      for (const t of ts) {
        expect(t).toBeGreaterThanOrEqual(E);
        expect(t).toBeLessThan(2 * E);
        seen.add(t);
      }
      perSeed.push(ts.join(','));
    }
    expect(seen.size).toBeGreaterThanOrEqual(6);
    expect(new Set(perSeed).size).toBeGreaterThan(20);
    // Same seed, same timeouts.
    const a = new Cluster(3, { seed: 7 });
    const b = new Cluster(3, { seed: 7 });
    expect(a.ids().map((id) => a.raft(id).electionState().randomizedElectionTimeout)).toEqual(
      b.ids().map((id) => b.raft(id).electionState().randomizedElectionTimeout),
    );
  });

  it('with unsynchronized timeouts a cluster elects exactly one leader by ticking alone', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const c = new Cluster(5, { seed });
      const ticks = c.tickUntil(() => c.leader() !== undefined);
      expect(ticks).toBeLessThan(4 * E);
      c.tick(2 * E);
      const leaders = c.ids().filter((id) => c.raft(id).role === 'leader');
      expect(leaders).toHaveLength(1);
      for (const id of c.ids()) expect(c.raft(id).lead).toBe(leaders[0]);
    }
  });
});

describe('§5.3 log replication', () => {
  it('a new leader appends an empty no-op entry of its term, which every member commits and applies', () => {
    const c = new Cluster(3);
    c.elect('n2');
    c.tick(1, ['n2']);
    const r = c.raft('n2');
    const last = r.log.lastIndex();
    expect(last).toBe(4);
    const noop = r.log.slice(last, last + 1, 1 << 20)[0];
    expect(noop).toMatchObject({ index: 4, term: 2, type: 'normal' });
    expect(noop?.data.byteLength).toBe(0);
    for (const n of c.nodes.values()) {
      expect(n.raft.log.committed).toBe(4);
      expect(n.appliedEntries.map((e) => [e.index, e.term, e.type])).toEqual([
        [1, 1, 'confChange'],
        [2, 1, 'confChange'],
        [3, 1, 'confChange'],
        [4, 2, 'normal'],
      ]);
    }
  });

  it('the leader commits an entry once a majority stored it, and followers learn the commit and apply it', () => {
    const c = new Cluster(3);
    c.elect('n1');
    const idx = c.mustPropose('n1', 'x=1');
    c.stabilize();
    expect(c.raft('n1').log.committed).toBe(idx);
    expect(c.node('n1').sm).toEqual(['x=1']);
    c.tick(1, ['n1']);
    for (const n of c.nodes.values()) {
      expect(n.raft.log.committed).toBe(idx);
      expect(n.sm).toEqual(['x=1']);
      expect(logTerms(n.raft)).toEqual([1, 1, 1, 2, 2]);
    }
  });

  it('a proposal commits with a majority up, and does not commit while a majority is unreachable', () => {
    const c = new Cluster(5);
    c.elect('n1');
    c.isolate('n4');
    c.isolate('n5');
    const i1 = c.mustPropose('n1', 'a');
    c.stabilize();
    expect(c.raft('n1').log.committed).toBe(i1);
    c.isolate('n3');
    const i2 = c.mustPropose('n1', 'b');
    c.stabilize();
    expect(c.raft('n1').log.committed).toBe(i1);
    expect(c.raft('n2').log.lastIndex()).toBe(i2);
    c.recover();
    // A lost append is noticed at a heartbeat round that makes no progress.
    expect(c.tickUntil(() => c.raft('n1').log.committed === i2, 5, ['n1'])).toBeGreaterThan(0);
  });

  it('a follower rejects an append whose previous entry does not match, and accepts one that does', () => {
    // Follower log: [1..3 membership (t1)] 4:t1 5:t2, term 2.
    const c = new Cluster(['n2'], { storages: { n2: storageWithLog(P3, [1, 2]) } });
    const n2 = c.node('n2');
    const cases: Array<[number, number, boolean, number]> = [
      // [index, logTerm, reject, index or hint in the answer]
      [5, 2, false, 5],
      [4, 1, false, 4],
      [4, 2, true, 4],
      [5, 3, true, 5],
      [6, 2, true, 5],
      [9, 9, true, 5],
    ];
    for (const [index, logTerm, reject, at] of cases) {
      n2.raw.step({ type: 'app', from: 'n1', to: 'n2', term: 2, index, logTerm, entries: [], commit: 3 });
      c.processReady('n2');
      const [resp] = drain(c);
      expect(resp).toMatchObject({ type: 'appResp', reject });
      if (resp?.type !== 'appResp') throw new Error('no appResp');
      expect(reject ? resp.hintIndex : resp.index).toBe(at);
    }
  });

  it('a follower advances its commit index to min(leaderCommit, index of the last entry the append verified)', () => {
    // Follower log: membership 1..3, then 4:t1 5:t1 6:t1 whose match with the leader is unknown.
    const c = new Cluster(['n2'], { storages: { n2: storageWithLog(P3, [1, 1, 1]) } });
    const n2 = c.node('n2');
    const app = (index: number, commit: number): Message => ({ type: 'app', from: 'n1', to: 'n2', term: 2, index, logTerm: 1, entries: [], commit });
    // Only 4 is known to match: 5 and 6 might still be replaced, so they are not committed.
    n2.raw.step(app(4, 6));
    expect(n2.raft.log.committed).toBe(4);
    n2.raw.step(app(6, 5));
    expect(n2.raft.log.committed).toBe(5);
    n2.raw.step(app(6, 9));
    expect(n2.raft.log.committed).toBe(6);
    c.processReady('n2');
    expect(n2.storage.initialState().hardState.commit).toBe(6);
    expect(n2.appliedEntries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('a follower deletes a conflicting suffix and appends the leader entries, durably', () => {
    const c = new Cluster(['n2'], { storages: { n2: storageWithLog(P3, [1, 2, 2, 2]) } });
    const n2 = c.node('n2');
    expect(logTerms(n2.raft, 4)).toEqual([1, 2, 2, 2]);
    n2.raw.step({
      type: 'app', from: 'n1', to: 'n2', term: 3, index: 5, logTerm: 2, commit: 3,
      entries: [{ term: 3, index: 6, type: 'normal', data: new Uint8Array([1]) }],
    });
    c.processReady('n2');
    expect(drain(c)).toEqual([expect.objectContaining({ type: 'appResp', index: 6, reject: false })]);
    expect(logTerms(n2.raft, 4)).toEqual([1, 2, 3]);
    expect(n2.storage.lastIndex()).toBe(6);
    expect(n2.storage.term(6)).toBe(3);
    // An append that is already contained changes nothing (no truncation of later entries).
    n2.raw.step({ type: 'app', from: 'n1', to: 'n2', term: 3, index: 4, logTerm: 1, commit: 3, entries: [{ term: 2, index: 5, type: 'normal', data: new Uint8Array() }] });
    c.processReady('n2');
    expect(logTerms(n2.raft, 4)).toEqual([1, 2, 3]);
  });
});

describe('§5.4 safety', () => {
  // etcd TestVoter: the §5.4.1 election restriction.
  it.each<[string, number, number, boolean]>([
    ['older last term, same index', 5, 1, false],
    ['older last term, longer log', 10, 1, false],
    ['same last term, shorter log', 4, 2, false],
    ['same last term, same length', 5, 2, true],
    ['same last term, longer log', 6, 2, true],
    ['newer last term, shorter log', 1, 3, true],
  ])('a vote request from a candidate whose log is %s: granted=%s', (_what, lastIndex, lastTerm, granted) => {
    for (const type of ['vote', 'preVote'] as const) {
      // Voter log: membership 1..3, 4:t1 5:t2; term 2, no vote, no leader known.
      const c = new Cluster(['n2'], { storages: { n2: storageWithLog(P3, [1, 2]) } });
      c.node('n2').raw.step({ type, from: 'n1', to: 'n2', term: 3, lastIndex, lastTerm, transfer: false });
      c.processReady('n2');
      expect(drain(c)).toEqual([expect.objectContaining({ type: `${type}Resp`, to: 'n1', reject: !granted })]);
      expect(c.raft('n2').vote).toBe(type === 'vote' && granted ? 'n1' : '');
    }
  });

  it('a node with a stale log is never elected, however early it times out', () => {
    let refusedStale = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const c = new Cluster(3, { seed });
      c.elect('n1');
      c.isolate('n3');
      for (let i = 0; i < 3; i++) c.mustPropose('n1', `v${i}`);
      c.stabilize();
      c.recover();
      c.stop('n1');
      const mark = c.mark();
      c.tickUntil(() => c.leader() !== undefined, 10 * E, ['n2', 'n3']);
      expect(c.leaderId()).toBe('n2');
      refusedStale += c.since(mark).filter((m) => m.type === 'preVoteResp' && m.from === 'n2' && m.to === 'n3' && m.reject).length;
    }
    // n3 did time out first in some runs and was refused for its log.
    expect(refusedStale).toBeGreaterThan(0);
  });

  describe('Figure 8: only entries of the current term are committed by counting replicas', () => {
    /**
     * Figure 8 (c): S1 led term 2 and got index 6 (t2) onto S1..S3; S5 led term 3 and wrote its
     * own index 6 (t3); now S1 is leader of term 4 with its no-op at index 7.
     */
    function figure8(config: { checkQuorum: boolean }): Cluster {
      const c = new Cluster(P5, {
        config: { preVote: false, ...config },
        storages: {
          n1: storageWithLog(P5, [2], 3),
          n2: storageWithLog(P5, [2], 3),
          n3: storageWithLog(P5, [2], 3),
          n4: storageWithLog(P5, [], 3),
          n5: storageWithLog(P5, [3], 3),
        },
      });
      c.drop((m) => m.type === 'app' && m.from === 'n1');
      c.node('n1').raw.campaign();
      c.stabilize();
      expect(c.raft('n1')).toMatchObject({ role: 'leader', term: 4 });
      expect(logTerms(c.raft('n1'), 6)).toEqual([2, 4]);
      drain(c);
      return c;
    }

    it('an older-term entry stored on a majority is not committed, and a later leader may still overwrite it', () => {
      const c = figure8({ checkQuorum: true });
      const n1 = c.node('n1');
      // S2 and S3 acknowledge index 6: it is on S1, S2 and S3, a majority, but of term 2.
      for (const from of ['n2', 'n3']) n1.raw.step({ type: 'appResp', from, to: 'n1', term: 4, index: 6, reject: false, hintIndex: 0, hintTerm: 0 });
      c.processReady('n1');
      expect(n1.raft.log.committed).toBe(5);
      expect(n1.commits).not.toContain(6);
      // Why: S1 crashes, and S5 (last entry 6:t3, more up to date than 6:t2) wins with S2..S4.
      c.recover();
      c.stop('n1');
      drain(c);
      c.node('n5').raw.campaign();
      c.stabilize();
      expect(c.raft('n5')).toMatchObject({ role: 'leader', term: 5 });
      c.tick(2, ['n5']);
      for (const id of ['n2', 'n3', 'n4', 'n5']) {
        expect(logTerms(c.raft(id), 6)).toEqual([3, 5]);
        expect(c.raft(id).log.committed).toBe(7);
      }
    });

    it('the older entry commits together with the first entry of the current term, and then it is safe', () => {
      const c = figure8({ checkQuorum: false });
      const n1 = c.node('n1');
      // S1 reaches S2 and S3 only: index 7 (t4) lands on a majority and commits index 6 with it.
      c.recover();
      c.isolate('n4');
      c.isolate('n5');
      c.tickUntil(() => n1.raft.log.committed >= 7, 5, ['n1']);
      expect(n1.raft.log.committed).toBe(7);
      // The commit index went from 5 straight to 7: index 6 was never committed on its own.
      expect(n1.commits).toEqual([5, 7]);
      // Everyone but S5, which keeps its stale 6:t3, catches up.
      c.recover();
      c.isolate('n5');
      c.tickUntil(() => ['n2', 'n3', 'n4'].every((id) => c.raft(id).log.committed === 7), 10, ['n1']);
      for (const id of ['n1', 'n2', 'n3', 'n4']) expect(logTerms(c.raft(id), 6)).toEqual([2, 4]);
      // S5 can no longer win: every member's log is more up to date than its 6:t3.
      c.recover();
      c.node('n5').raw.campaign();
      c.stabilize();
      expect(c.raft('n5').role).not.toBe('leader');
      expect(c.count('voteResp', undefined, 'n5')).toBe(4);
      expect(c.sentWhere((m) => m.type === 'voteResp' && m.to === 'n5' && !m.reject)).toEqual([]);
      c.tickUntil(() => c.leader() !== undefined);
      c.tick(3);
      for (const n of c.nodes.values()) expect(logTerms(n.raft, 6).slice(0, 2)).toEqual([2, 4]);
      expect(c.node('n2').appliedEntries.map((e) => [e.index, e.term]).slice(5, 7)).toEqual([[6, 2], [7, 4]]);
      expect(text(c.node('n2').appliedEntries[5]?.data ?? new Uint8Array())).toBe('t2-6');
    });
  });
});
