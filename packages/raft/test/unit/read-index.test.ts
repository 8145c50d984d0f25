/**
 * Linearizable reads without a log write (thesis §6.4, etcd ReadIndex): the leader records its
 * commit index, confirms it still leads with a heartbeat quorum, then hands out a ReadState.
 */
import { Cluster, ELECTION_TICKS as E } from './harness';

describe('ReadIndex', () => {
  it('on the leader, a read is released after a heartbeat quorum, at the commit index', () => {
    const c = new Cluster(3);
    c.elect('n1');
    const idx = c.mustPropose('n1', 'x');
    c.stabilize();
    const n1 = c.node('n1');
    const mark = c.mark();
    expect(n1.raw.readIndex('r1')).toBe(true);
    c.processReady('n1');
    // Not before leadership was confirmed.
    expect(n1.readStates).toEqual([]);
    const hbs = c.queue.filter((m) => m.type === 'heartbeat' && m.ctx === 'r1');
    expect(hbs.map((m) => m.to).sort()).toEqual(['n2', 'n3']);
    c.stabilize();
    expect(n1.readStates).toEqual([{ index: idx, ctx: 'r1' }]);
    expect(c.since(mark).filter((m) => m.type === 'heartbeatResp' && m.ctx === 'r1')).toHaveLength(2);
    // No log entry was written for it.
    expect(n1.raft.log.lastIndex()).toBe(idx);
  });

  it('one acknowledging follower of two is enough (a quorum, not everyone)', () => {
    const c = new Cluster(3);
    c.elect('n1');
    c.isolate('n3');
    c.node('n1').raw.readIndex('r');
    c.stabilize();
    expect(c.node('n1').readStates).toEqual([{ index: 4, ctx: 'r' }]);
  });

  it('reads asked in a row are all released, in order, by the quorum for the last one', () => {
    const c = new Cluster(3);
    c.elect('n1');
    c.isolate('n2');
    c.isolate('n3');
    const n1 = c.node('n1');
    n1.raw.readIndex('a');
    c.mustPropose('n1', 'v');
    n1.raw.readIndex('b');
    c.stabilize();
    expect(n1.readStates).toEqual([]);
    c.recover();
    c.tick(1, ['n1']);
    // 'v' is not committed before the quorum is back, so both reads report the old commit index.
    expect(n1.readStates).toEqual([
      { index: 4, ctx: 'a' },
      { index: 4, ctx: 'b' },
    ]);
  });

  it('a new leader defers reads until an entry of its own term is committed', () => {
    const c = new Cluster(3);
    c.elect('n1');
    c.mustPropose('n1', 'old');
    c.stabilize();
    c.tick(1, ['n1']);
    // n2 takes over but its appends are lost, so its no-op cannot commit.
    c.drop((m) => m.type === 'app' && m.from === 'n2');
    c.node('n1').raw.transferLeader('n2');
    c.stabilize();
    const n2 = c.node('n2');
    expect(n2.raft.role).toBe('leader');
    const noop = n2.raft.log.lastIndex();
    expect(n2.raft.log.committed).toBeLessThan(noop);
    expect(n2.raw.readIndex('early')).toBe(true);
    c.tick(3, ['n2']);
    // Heartbeats get through, but the read would be stale-able: it waits for the no-op.
    expect(n2.readStates).toEqual([]);
    expect(c.sentWhere((m) => m.type === 'heartbeat' && m.ctx === 'early')).toEqual([]);
    c.recover();
    c.tickUntil(() => n2.readStates.length > 0, 5, ['n2']);
    expect(n2.raft.log.committed).toBeGreaterThanOrEqual(noop);
    expect(n2.readStates).toEqual([{ index: noop, ctx: 'early' }]);
  });

  it("a partitioned (deposed) leader's read never completes", () => {
    const c = new Cluster(3);
    c.elect('n1');
    c.isolate('n1');
    expect(c.node('n1').raw.readIndex('stale')).toBe(true);
    c.tick(3 * E);
    expect(c.raft('n1').role).toBe('follower');
    expect(c.leader()?.id).not.toBe('n1');
    c.recover();
    c.tick(2 * E);
    expect(c.node('n1').readStates).toEqual([]);
    expect(c.sentWhere((m) => m.type === 'heartbeatResp' && m.ctx === 'stale')).toEqual([]);
  });

  it('without CheckQuorum, the deposed leader learns the new term when healed and still never releases the read', () => {
    const c = new Cluster(3, { config: { checkQuorum: false } });
    c.elect('n1');
    c.isolate('n1');
    c.node('n1').raw.readIndex('stale');
    c.tickUntil(() => c.raft('n2').role === 'leader' || c.raft('n3').role === 'leader', 6 * E, ['n2', 'n3']);
    c.tick(3 * E, ['n1']);
    expect(c.raft('n1').role).toBe('leader');
    c.recover();
    c.tick(2);
    expect(c.raft('n1').role).toBe('follower');
    expect(c.node('n1').readStates).toEqual([]);
    // A read on the real leader works.
    const l = c.leader();
    expect(l?.raw.readIndex('fresh')).toBe(true);
    c.stabilize();
    expect(l?.readStates.map((r) => r.ctx)).toEqual(['fresh']);
  });

  it('readIndex on a follower or candidate returns false and produces nothing', () => {
    const c = new Cluster(3);
    c.elect('n1');
    const n2 = c.node('n2');
    expect(n2.raw.readIndex('r')).toBe(false);
    expect(n2.raw.hasReady()).toBe(false);
    c.isolate('n3');
    c.node('n3').raw.campaign();
    expect(c.raft('n3').role).toBe('preCandidate');
    expect(c.node('n3').raw.readIndex('r')).toBe(false);
  });

  it('a single-voter leader answers at once', () => {
    const c = new Cluster(1);
    c.elect('n1');
    c.node('n1').raw.readIndex('solo');
    c.processReady('n1');
    expect(c.node('n1').readStates).toEqual([{ index: 2, ctx: 'solo' }]);
  });
});
