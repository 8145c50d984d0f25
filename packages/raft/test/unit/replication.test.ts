/**
 * Replication mechanics beyond the paper's rules: fast log backtracking (conflict hints),
 * pipelining bounded by maxInflightMsgs, and message/Ready size limits.
 */
import type { AppendMessage, Message } from '../../src/core/types';
import { Cluster, ELECTION_TICKS as E, bytes } from './harness';

const isApp = (m: Message): m is AppendMessage => m.type === 'app';

function appsTo(msgs: readonly Message[], from: string, to: string): AppendMessage[] {
  return msgs.filter(isApp).filter((m) => m.from === from && m.to === to && m.entries.length > 0);
}

describe('follower conflict resolution with fast backtracking', () => {
  it('a follower with a long divergent suffix from an old term converges in a couple of round trips', () => {
    const c = new Cluster(3);
    // n3 leads term 2, then is cut off and takes 50 proposals nobody else sees.
    c.elect('n3');
    c.isolate('n3');
    for (let i = 0; i < 50; i++) c.mustPropose('n3', `lost-${i}`);
    c.stabilize();
    // n1/n2 elect a leader among themselves and commit 60 entries of their own.
    c.tickUntil(() => c.raft('n1').role === 'leader' || c.raft('n2').role === 'leader', 6 * E);
    const old = c.raft('n1').role === 'leader' ? 'n1' : 'n2';
    const next = old === 'n1' ? 'n2' : 'n1';
    for (let i = 0; i < 60; i++) c.mustPropose(old, `kept-${i}`);
    c.stabilize();
    // A new leader (fresh progress for n3, next = its last index + 1) while n3 is still away.
    expect(c.node(old).raw.transferLeader(next).ok).toBe(true);
    c.stabilize();
    expect(c.raft(next).role).toBe('leader');
    const leader = c.raft(next);
    const n3 = c.raft('n3');
    let diverge = 1;
    while (diverge <= n3.log.lastIndex() && n3.log.term(diverge) === leader.log.term(diverge)) diverge++;
    expect(n3.log.lastIndex() - diverge + 1).toBeGreaterThanOrEqual(50);
    expect(leader.log.lastIndex() - diverge).toBeGreaterThanOrEqual(60);

    c.recover();
    const mark = c.mark();
    c.tickUntil(() => n3.log.lastIndex() === leader.log.lastIndex() && n3.log.committed === leader.log.committed, 3);
    const rejects = c.since(mark).filter((m) => m.type === 'appResp' && m.from === 'n3' && m.reject);
    // One-by-one decrements would take ~60 rejections; the term hint skips them in one.
    expect(rejects.length).toBeGreaterThanOrEqual(1);
    expect(rejects.length).toBeLessThanOrEqual(2);
    expect(appsTo(c.since(mark), next, 'n3').length).toBeLessThanOrEqual(3);
    for (let i = 1; i <= leader.log.lastIndex(); i++) expect(n3.log.term(i)).toBe(leader.log.term(i));
    expect(c.node('n3').sm.filter((s) => s.startsWith('lost-'))).toEqual([]);
    expect(c.node('n3').sm.filter((s) => s.startsWith('kept-'))).toHaveLength(60);
  });

  it('a follower that is merely behind tells the leader its last index in a single rejection', () => {
    const c = new Cluster(3);
    c.elect('n1');
    c.isolate('n3');
    for (let i = 0; i < 30; i++) c.mustPropose('n1', `v${i}`);
    c.stabilize();
    c.recover();
    // A new leader starts probing n3 at its own last index + 1.
    const mark = c.mark();
    c.node('n1').raw.transferLeader('n2');
    c.stabilize();
    expect(c.raft('n2').role).toBe('leader');
    c.tickUntil(() => c.raft('n3').log.lastIndex() === c.raft('n2').log.lastIndex(), 3);
    const rejects = c.since(mark).filter((m) => m.type === 'appResp' && m.from === 'n3' && m.reject);
    expect(rejects).toHaveLength(1);
    expect(rejects[0]).toMatchObject({ hintIndex: 4, hintTerm: 2 });
  });
});

describe('pipelining', () => {
  function outstanding(c: Cluster, to: string): number {
    const match = c.raft('n1').prs.get(to)?.match ?? 0;
    return appsTo(c.sent, 'n1', to).filter((m) => (m.entries[m.entries.length - 1]?.index ?? 0) > match).length;
  }

  it('at most maxInflightMsgs unacknowledged appends are in flight to a follower', () => {
    // One entry per message, so the window and not the batching limits the flow.
    const c = new Cluster(3, { config: { maxInflightMsgs: 2, maxBytesPerMsg: 1 } });
    c.elect('n1');
    expect(c.raft('n1').prs.get('n2')?.state).toBe('replicate');
    const mark = c.mark();
    for (let i = 0; i < 10; i++) c.mustPropose('n1', `e${i}`);
    c.processReady('n1');
    expect(appsTo(c.since(mark), 'n1', 'n2')).toHaveLength(2);
    expect(appsTo(c.since(mark), 'n1', 'n3')).toHaveLength(2);
    let peak = 0;
    for (let guard = 0; guard < 10_000 && c.deliverOne(); guard++) {
      c.processAll();
      peak = Math.max(peak, outstanding(c, 'n2'), outstanding(c, 'n3'));
    }
    expect(peak).toBe(2);
    // Everything still got through, in more messages than the window.
    expect(c.raft('n1').log.committed).toBe(c.raft('n1').log.lastIndex());
    expect(c.node('n1').sm).toEqual(Array.from({ length: 10 }, (_, i) => `e${i}`));
    expect(appsTo(c.since(mark), 'n1', 'n2')).toHaveLength(10);
  });

  it('with a large window every proposal is sent at once without waiting for acknowledgements', () => {
    const c = new Cluster(3, { config: { maxInflightMsgs: 256 } });
    c.elect('n1');
    const mark = c.mark();
    for (let i = 0; i < 10; i++) c.mustPropose('n1', `e${i}`);
    c.processReady('n1');
    expect(appsTo(c.since(mark), 'n1', 'n2')).toHaveLength(10);
  });

  it('a follower in probe state gets one append at a time until it answers', () => {
    const c = new Cluster(3, { config: { maxInflightMsgs: 8 } });
    c.elect('n1');
    c.isolate('n2');
    // Two heartbeat rounds without progress put n2 back into probe.
    c.mustPropose('n1', 'p');
    c.tick(3, ['n1']);
    expect(c.raft('n1').prs.get('n2')?.state).toBe('probe');
    const mark = c.mark();
    for (let i = 0; i < 5; i++) c.mustPropose('n1', `q${i}`);
    c.processReady('n1');
    expect(appsTo(c.since(mark), 'n1', 'n2')).toHaveLength(0);
    expect(appsTo(c.since(mark), 'n1', 'n3')).toHaveLength(5);
  });
});

describe('size limits', () => {
  const payload = (i: number): string => `${i}`.padStart(100, '.');

  it('maxBytesPerMsg splits a catch-up into messages of at most that many entry bytes', () => {
    const c = new Cluster(3, { config: { maxBytesPerMsg: 250 } });
    c.elect('n1');
    c.isolate('n3');
    for (let i = 0; i < 20; i++) c.mustPropose('n1', payload(i));
    c.stabilize();
    c.recover();
    const mark = c.mark();
    c.tickUntil(() => c.node('n3').sm.length === 20, 10);
    const apps = appsTo(c.since(mark), 'n1', 'n3');
    expect(apps.length).toBeGreaterThanOrEqual(10);
    for (const m of apps) {
      // Entries count 24 bytes of overhead each: two 100-byte entries fit in 250, three do not.
      expect(m.entries.length).toBeLessThanOrEqual(2);
      expect(m.entries.reduce((n, e) => n + e.data.byteLength + 24, 0)).toBeLessThanOrEqual(250);
    }
    expect(apps.some((m) => m.entries.length === 2)).toBe(true);
    expect(c.node('n3').sm).toEqual(c.node('n1').sm);
  });

  it('a batch proposal is split the same way, and an entry larger than the limit still goes out alone', () => {
    const c = new Cluster(3, { config: { maxBytesPerMsg: 250 } });
    c.elect('n1');
    const mark = c.mark();
    const r = c.node('n1').raw.proposeBatch(Array.from({ length: 7 }, (_, i) => bytes(payload(i))));
    expect(r).toMatchObject({ ok: true, index: 5 });
    c.mustPropose('n1', 'x'.repeat(1000));
    c.stabilize();
    const apps = appsTo(c.since(mark), 'n1', 'n2');
    expect(apps.map((m) => m.entries.length).reduce((a, b) => a + b, 0)).toBe(8);
    for (const m of apps) expect(m.entries.length).toBeLessThanOrEqual(2);
    expect(apps.some((m) => m.entries.length === 1 && m.entries[0]?.data.byteLength === 1000)).toBe(true);
    expect(c.raft('n1').log.committed).toBe(12);
  });

  it('maxCommittedBytesPerReady splits committed entries across Readies without losing or reordering any', () => {
    const c = new Cluster(3, { nodeConfig: { n2: { maxCommittedBytesPerReady: 250 } } });
    c.elect('n1');
    c.node('n1').raw.proposeBatch(Array.from({ length: 9 }, (_, i) => bytes(payload(i))));
    c.stabilize();
    c.tick(1, ['n1']);
    const n2 = c.node('n2');
    expect(n2.sm).toEqual(Array.from({ length: 9 }, (_, i) => payload(i)));
    expect(c.node('n3').sm).toEqual(n2.sm);
    // Without a limit the 9 entries come in one Ready; with it, in 5.
    expect(c.node('n3').committedBatches.slice(-1)).toEqual([9]);
    expect(n2.committedBatches.slice(-5)).toEqual([2, 2, 2, 2, 1]);
  });
});
