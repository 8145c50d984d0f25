/**
 * Regressions: defects found in the pure core while the unit suite was written, each kept as the
 * minimal reproduction that failed before its fix (the comment on each names cause and fix).
 */
import { ConfigError } from '../../src/core/config';
import { RawNode } from '../../src/core/raw-node';
import { SeededRng } from '../../src/core/rng';
import type { AppendMessage, Message } from '../../src/core/types';
import { MemoryStorage } from '../../src/storage/memory-storage';
import { Cluster, bytes } from './harness';

describe('core defects (each test fails until its defect is fixed)', () => {
  /**
   * §5.2: "Upon election: send initial empty AppendEntries RPCs (heartbeat) to each server".
   * Raft.becomeLeader() appends the no-op but nothing broadcasts it: stepCandidate() calls
   * becomeLeader() and returns (etcd calls bcastAppend() right after). Followers learn of the
   * leader (and get the no-op) only at its first heartbeat tick, so commit of the no-op, reads
   * and a TimeoutNow-elected leader's announcement all wait up to heartbeatTicks.
   * Fix: call this.bcastAppend() at the end of becomeLeader().
   */
  it('a new leader sends AppendEntries to every peer upon election, without waiting for a tick', () => {
    const c = new Cluster(3);
    c.node('n1').raw.campaign();
    c.stabilize();
    expect(c.raft('n1').role).toBe('leader');
    const announced = c.sentWhere((m) => m.from === 'n1' && m.term === 2 && (m.type === 'app' || m.type === 'heartbeat'));
    expect(announced.map((m) => m.to).sort()).toEqual(['n2', 'n3']);
    expect(c.raft('n2').lead).toBe('n1');
    expect(c.raft('n1').log.committed).toBe(4);
  });

  /**
   * A follower that installed a snapshot (step) but whose Ready is not yet advanced has
   * applied < snapshot index < firstIndex. RaftLog.hasPendingConfChange() slices from applied+1
   * and throws CompactedError, so hup() (election timeout, campaign(), TimeoutNow) crashes the
   * node. The shell steps messages and ticks while it awaits the persist of that Ready, so a
   * slow snapshot write plus a leader failure (or a TimeoutNow) is enough.
   * Fix: in hasPendingConfChange start at Math.max(this.applied + 1, this.firstIndex()); the
   * snapshot's own ConfState was already applied by restore().
   */
  it('campaigning between installing a snapshot and advancing its Ready does not throw', () => {
    const c = new Cluster(3);
    const n3 = c.node('n3');
    const data = bytes('["a"]');
    const confState = { voters: ['n1', 'n2', 'n3'], learners: [] };
    n3.raw.step({ type: 'snap', from: 'n1', to: 'n3', term: 2, meta: { index: 10, term: 2, confState }, offset: 0, totalBytes: data.byteLength, data, done: true });
    expect(n3.raft.log.committed).toBe(10);
    expect(() => n3.raw.campaign()).not.toThrow();
    expect(() => {
      for (let i = 0; i < 40; i++) n3.raw.tick();
    }).not.toThrow();
  });

  /**
   * Raft.resendStalled() calls pr.becomeProbe() for a peer in probe state whose match did not
   * move for two heartbeats. For a peer the current leader has not heard from yet, match is 0, so
   * next drops to 1 and the leader re-sends the whole log from index 1. Any follower that misses
   * the first two heartbeats of a new leader (a blip during an election) gets the entire log
   * again (here 205 entries, twice, for 1 missing entry).
   * Fix: in probe state only clear probeSent and resend (keep next); becomeProbe() only from
   * replicate state.
   */
  it('a follower that missed a new leader\'s first heartbeats is not sent the whole log again', () => {
    const c = new Cluster(3);
    c.elect('n1');
    for (let i = 0; i < 200; i++) c.mustPropose('n1', `v${i}`);
    c.stabilize();
    c.tick(1, ['n1']);
    c.isolate('n3');
    c.node('n1').raw.transferLeader('n2');
    c.stabilize();
    expect(c.raft('n2').role).toBe('leader');
    const missing = c.raft('n2').log.lastIndex() - c.raft('n3').log.lastIndex();
    expect(missing).toBe(1);
    c.tick(3, ['n2']);
    c.recover();
    const mark = c.mark();
    c.tick(3, ['n2']);
    expect(c.raft('n3').log.lastIndex()).toBe(c.raft('n2').log.lastIndex());
    const sent = c
      .since(mark)
      .filter((m): m is AppendMessage => m.type === 'app' && m.to === 'n3')
      .reduce((n, m) => n + m.entries.length, 0);
    expect(sent).toBeLessThanOrEqual(10);
  });

  /**
   * Snapshot transfer amplification. resendStalled() sends the current chunk on every heartbeat
   * while a peer is in snapshot state, and handleSnapshotResponse() answers every snapResp with
   * another chunk, so each heartbeat during a transfer starts one more parallel chain of chunks
   * that never merges with the others. When a hop takes one tick, chunk k is sent about 2k times:
   * 27 chunks cost 755 'snap' messages (quadratic in the snapshot size / chunk size).
   * Fix: resend on a heartbeat only if the offset did not advance since the previous heartbeat,
   * and ignore snapResps whose nextOffset does not advance the transfer.
   */
  it('a chunked snapshot over a slow link sends each chunk a bounded number of times', () => {
    const c = new Cluster(3, { config: { snapshotChunkBytes: 8 } });
    c.elect('n1');
    c.isolate('n3');
    for (let i = 0; i < 20; i++) c.mustPropose('n1', `value-${i}`);
    c.stabilize();
    c.tick(1, ['n1']);
    c.compact('n1');
    const chunks = Math.ceil(c.node('n1').storage.snapshot().data.byteLength / 8);
    c.recover();
    const mark = c.mark();
    for (let t = 0; t < 500 && c.node('n3').snapshotsRestored.length === 0; t++) c.tickHop();
    expect(c.node('n3').snapshotsRestored).toHaveLength(1);
    const snaps = c.since(mark).filter((m: Message) => m.type === 'snap' && m.to === 'n3').length;
    expect(snaps).toBeLessThanOrEqual(3 * chunks);
  });

  /**
   * RaftConfig.applied may exceed the storage snapshot index (RaftLog's constructor says so), but
   * Raft takes its membership only from storage.initialState().confState (the snapshot's) and the
   * membership entries in (snapshot index, applied] are never handed out again, so they are never
   * re-applied: the node restarts with a stale (here: empty) configuration and never campaigns.
   * The shell currently passes applied = snapshot index, so it is latent.
   * Fix: replay membership entries in (snapshot index, applied] into the configuration when the
   * core starts (or reject applied > snapshot index with a ConfigError).
   */
  it('a node restarted with applied past its snapshot keeps the membership of the entries in between', () => {
    const c = new Cluster(3);
    c.elect('n1');
    c.mustPropose('n1', 'x');
    c.stabilize();
    c.tick(1, ['n1']);
    const n2 = c.node('n2');
    const applied = n2.raft.log.applied;
    expect(applied).toBe(5);
    expect(n2.storage.snapshot().meta.index).toBe(0);
    const raw = new RawNode({ id: 'n2', storage: n2.storage, rng: new SeededRng(1), applied });
    expect(raw.raft.confState()).toEqual({ voters: ['n1', 'n2', 'n3'], learners: [] });
  });

  /**
   * validateConfig() checks every numeric knob but not `peers`: an empty id (or a duplicate)
   * is bootstrapped as a voter. A voter '' can never vote ('' means "no vote"), so peers
   * ['n1', ''] yields a 2-voter cluster that can never elect a leader.
   * Fix: in validateConfig, refuse empty and duplicate peer ids with a ConfigError naming them.
   */
  it('peers with an empty or duplicate id are refused with a ConfigError', () => {
    const make = (peers: string[]) => (): RawNode => new RawNode({ id: 'n1', storage: new MemoryStorage(), rng: new SeededRng(1), peers });
    expect(make(['n1', ''])).toThrow(ConfigError);
    expect(make(['n1', 'n2', 'n2'])).toThrow(ConfigError);
    expect(make(['n1', 'n2', 'n2'])).toThrow(/n2/);
  });
});
