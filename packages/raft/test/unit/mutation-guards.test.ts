/**
 * Guards against core rule-breaks that a mutation study found neither the simulator nor the rest
 * of the unit suite noticed. Each test names the rule it pins down; together they fail under
 * every one of these mutations of src/core (see the comment on each describe block):
 *
 * - a follower fast-forwarding to a snapshot it already holds reports its last index as matching
 *   (M7), although its log past the snapshot may be another leader's uncommitted suffix;
 * - a follower accepts AppendEntries from a stale term (X4);
 * - a Ready that changes only the vote (or term) is not marked mustSync (X3, and M4b);
 * - every message, not only the leader's appends, may be sent before the Ready is persisted (M4a2);
 * - the leader counts its own entries toward a quorum before they are durable (X6, X7).
 *
 * Figure 8 (a leader committing an older-term entry by counting replicas, M3) is already pinned
 * by raft-paper.test.ts.
 */
import { sendableBeforePersist } from '../../src/core/types';
import type { AppendMessage, AppendResponse, HardState, Message, MessageType, NodeId, Ready, VoteResponse } from '../../src/core/types';
import { Cluster, type TestNode, logTerms, storageWithLog, text } from './harness';

const P3 = ['n1', 'n2', 'n3'];
const P5 = ['n1', 'n2', 'n3', 'n4', 'n5'];

/** Step the queued messages matching `pred` into their recipients, without processing any Ready. */
function stepQueued(c: Cluster, pred: (m: Message) => boolean): Message[] {
  const msgs = c.take(pred);
  for (const m of msgs) c.node(m.to).raw.step(m);
  return msgs;
}

/**
 * State Machine Safety (§5.4.3): no two nodes apply different entries at the same index. Returns
 * the conflicts as "index: node=term/data" strings, so a failure shows them.
 */
function safetyViolations(c: Cluster, ids: readonly NodeId[] = c.ids()): string[] {
  const seen = new Map<number, { id: NodeId; what: string }>();
  const out: string[] = [];
  for (const id of ids) {
    for (const e of c.node(id).appliedEntries) {
      const what = `${e.term}/${e.type}/${text(e.data)}`;
      const first = seen.get(e.index);
      if (first === undefined) seen.set(e.index, { id, what });
      else if (first.what !== what) out.push(`${e.index}: ${first.id}=${first.what} ${id}=${what}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

/**
 * M7: handleSnapshotChunk answers a snapshot the follower's log already contains (the
 * "fast-forward": restore() only moves the commit index) with `committed`, never with its last
 * index: past the snapshot index the follower's log may hold a deposed leader's uncommitted
 * entries, and an acknowledgement of them lets the new leader count a replica it does not have.
 */
describe('a follower fast-forwarding to a snapshot its log already holds', () => {
  /**
   * Five voters. Term 2 (leader n1): index 6 is committed on n1, n2, n4 (n1 pipelined 7 and 8
   * to n3 before it knew, so n3 has 6..8 at term 2 but committed only 5). n1 dies. n2, which
   * applied 6 and took a snapshot there, leads term 3 with n4 and n5: its no-op 7 commits, and its
   * entry 8 reaches n4 only. n3 (cut off until now) still holds 7:t2 and 8:t2.
   */
  function scenario(): Cluster {
    const c = new Cluster(P5, {
      storages: {
        n1: storageWithLog(P5, [2, 2, 2], 2, '', 6),
        n2: storageWithLog(P5, [2], 2, '', 6),
        n3: storageWithLog(P5, [2, 2, 2], 2),
        n4: storageWithLog(P5, [2], 2),
        n5: storageWithLog(P5, [2], 2),
      },
    });
    c.stop('n1');
    c.isolate('n3');
    expect(c.raft('n2').log.applied).toBe(6);
    expect(c.compact('n2')).toBe(6);
    c.elect('n2');
    expect(c.raft('n2')).toMatchObject({ role: 'leader', term: 3 });
    expect(c.raft('n2').log.committed).toBe(7);
    c.isolate('n5');
    expect(c.mustPropose('n2', 'new')).toBe(8);
    c.stabilize();
    expect(c.raft('n4').log.lastIndex()).toBe(8);
    expect(c.raft('n2').log.committed).toBe(7);
    // n3: holds the snapshot's entry 6:t2, then a divergent uncommitted suffix of term 2.
    expect(logTerms(c.raft('n2'), 6)).toEqual([2, 3, 3]);
    expect(logTerms(c.raft('n3'), 6)).toEqual([2, 2, 2]);
    expect(c.raft('n3').log.committed).toBe(5);
    return c;
  }

  /**
   * The new leader's snapshot (6, t2), as a single chunk to n3. Scripted: left alone, n2 repairs
   * n3 with an append after (6, t2) (its hint-based backtracking stops at its first index), so the
   * chunk stands for one a leader had in flight, or any other route to this state.
   */
  function snapshotChunk(c: Cluster): Message {
    const snap = c.node('n2').storage.snapshot();
    expect(snap.meta).toMatchObject({ index: 6, term: 2 });
    return { type: 'snap', from: 'n2', to: 'n3', term: 3, meta: snap.meta, offset: 0, totalBytes: snap.data.byteLength, data: snap.data, done: true };
  }

  it('reports only its commit index as matching, not the uncommitted suffix past the snapshot', () => {
    const c = scenario();
    const n3 = c.node('n3');
    n3.raw.step(snapshotChunk(c));
    // Fast-forward: nothing is restored, the commit index moves to the snapshot index.
    expect(n3.raft.log.committed).toBe(6);
    expect(n3.raft.log.unstable.snapshot).toBeNull();
    c.recover();
    c.stop('n1');
    c.isolate('n5');
    c.processReady('n3');
    const [resp, ...rest] = c.take((m) => m.from === 'n3' && m.type === 'appResp') as AppendResponse[];
    expect(rest).toEqual([]);
    expect(resp).toMatchObject({ to: 'n2', term: 3, reject: false });
    // 7 and 8 are term-2 entries the leader does not have: at most 6 (the snapshot) is known to
    // match. (The core answers with its commit index as it was before the fast-forward, 5.)
    expect(resp?.index).toBeLessThanOrEqual(6);
    // The leader believes it, and cannot count n3 for 8 (n2 + n4 + n3's false ack would be 3 of 5).
    const n2 = c.node('n2');
    n2.raw.step(resp as Message);
    expect(n2.raw.status().progress.get('n3')?.match).toBeLessThanOrEqual(6);
    expect(n2.raft.log.committed).toBe(7);
  });

  it('end to end: the leader overwrites the suffix instead of committing over it (state machine safety)', () => {
    const c = scenario();
    c.node('n3').raw.step(snapshotChunk(c));
    c.recover();
    c.stop('n1');
    c.stabilize();
    c.tick(3, ['n2']);
    expect(safetyViolations(c)).toEqual([]);
    for (const id of ['n2', 'n3', 'n4', 'n5']) {
      expect(c.raft(id).log.committed).toBe(8);
      expect(logTerms(c.raft(id), 6)).toEqual([2, 3, 3]);
      expect(c.node(id).sm).toEqual(['t2-6', 'new']);
    }
  });
});

// ---------------------------------------------------------------------------------------------

/**
 * X4: step() drops every message of a lower term (answering a stale leader's append or heartbeat
 * with its own term so the stale leader steps down); a stale append must never reach
 * handleAppend, where it would change the log and the known leader.
 */
describe('AppendEntries from a stale term', () => {
  it('a follower answers with its higher term, appends nothing and keeps its leader', () => {
    const c = new Cluster(3);
    c.elect('n1');
    // n1 is cut off but still believes it leads term 2: its append of 5:t2 never arrives.
    c.isolate('n1');
    expect(c.mustPropose('n1', 'stale')).toBe(5);
    c.stabilize();
    const stale = c.dropped.find((m): m is AppendMessage => m.type === 'app' && m.from === 'n1' && m.entries.length > 0);
    expect(stale).toMatchObject({ term: 2, index: 4, logTerm: 2, entries: [{ index: 5, term: 2 }] });
    // n2 and n3 elect a leader of term 3; its appends to the other one are held back, so that
    // one knows term 3 but has no leader and has only the committed log 1..4.
    c.drop((m) => (m.type === 'app' || m.type === 'heartbeat') && m.from !== 'n1');
    c.tickUntil(() => c.raft('n2').role === 'leader' || c.raft('n3').role === 'leader', 100, ['n2', 'n3']);
    const lead = c.raft('n2').role === 'leader' ? 'n2' : 'n3';
    const f = lead === 'n2' ? 'n3' : 'n2';
    const fol = c.node(f);
    expect(fol.raft).toMatchObject({ role: 'follower', term: 3, lead: '' });
    expect(fol.raft.log.lastIndex()).toBe(4);
    expect(fol.raft.log.committed).toBe(4);

    // The stale append arrives at last (a slow network path).
    fol.raw.step({ ...(stale as AppendMessage), to: f });
    expect(fol.raft.log.lastIndex()).toBe(4);
    expect(fol.raft.log.unstable.entries).toEqual([]);
    expect(fol.raft).toMatchObject({ role: 'follower', term: 3, lead: '' });
    const rd = fol.raw.ready();
    expect(rd.entries).toEqual([]);
    expect(rd.softState).toBeNull();
    expect(rd.messages).toEqual([expect.objectContaining({ type: 'appResp', to: 'n1', term: 3 })]);
    fol.handle(rd, (msgs) => c.enqueue(msgs));

    // The stale leader learns term 3 from that answer and steps down; everyone converges on
    // the term-3 leader's log, without the stale entry.
    c.recover();
    c.stabilize();
    expect(c.raft('n1')).toMatchObject({ role: 'follower', term: 3 });
    c.tick(3, [lead]);
    for (const id of P3) {
      expect(logTerms(c.raft(id), 4)).toEqual([2, 3]);
      expect(c.raft(id).log.committed).toBe(5);
      expect(c.node(id).sm).toEqual([]);
    }
    expect(safetyViolations(c)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

/**
 * X3 (and M4b): a vote is a promise that must survive a crash, so a Ready whose hard state
 * changes the term or the vote must be fsynced (mustSync), even with no entries; and the granted
 * vote must be in the hard state of the Ready that carries the voteResp (or an earlier one).
 */
describe('votes are durable before they are sent', () => {
  /**
   * n3 first hears of term 3 from a candidate with a stale log (n1) and refuses it: term changes,
   * vote stays empty. Then n2 (up to date) asks in the same term: only the vote changes.
   */
  function scenario(): { c: Cluster; n3: TestNode; first: Ready; second: Ready } {
    const c = new Cluster(P3, {
      config: { preVote: false },
      storages: { n1: storageWithLog(P3, [], 2), n2: storageWithLog(P3, [2], 2), n3: storageWithLog(P3, [2], 2) },
    });
    const n3 = c.node('n3');
    c.node('n1').raw.campaign();
    c.processReady('n1');
    expect(stepQueued(c, (m) => m.type === 'vote' && m.from === 'n1' && m.to === 'n3')).toHaveLength(1);
    const first = n3.raw.ready();
    n3.handle(first, (msgs) => c.enqueue(msgs));
    c.node('n2').raw.campaign();
    c.processReady('n2');
    expect(stepQueued(c, (m) => m.type === 'vote' && m.from === 'n2' && m.to === 'n3')).toHaveLength(1);
    const second = n3.raw.ready();
    n3.handle(second, (msgs) => c.enqueue(msgs));
    return { c, n3, first, second };
  }

  it('a Ready that changes only the term is synced', () => {
    const { first } = scenario();
    expect(first.hardState).toMatchObject({ term: 3, vote: '' });
    expect(first.entries).toEqual([]);
    expect(first.messages).toEqual([expect.objectContaining({ type: 'voteResp', to: 'n1', term: 3, reject: true })]);
    expect(first.mustSync).toBe(true);
  });

  it('a Ready that changes only the vote is synced, and carries the vote it grants in its hard state', () => {
    const { first, second, n3 } = scenario();
    expect(first.hardState?.term).toBe(3);
    expect(second.hardState).toEqual({ term: 3, vote: 'n2', commit: 3 });
    expect(second.entries).toEqual([]);
    expect(second.snapshot).toBeNull();
    expect(second.messages).toEqual([expect.objectContaining({ type: 'voteResp', to: 'n2', term: 3, reject: false })]);
    expect(second.mustSync).toBe(true);
    // After a restart from what was (synced) to storage, n3 still refuses a second vote in term 3.
    expect(n3.storage.initialState().hardState).toMatchObject({ term: 3, vote: 'n2' });
  });
});

// ---------------------------------------------------------------------------------------------

/**
 * M4a: only a leader's outgoing appends, heartbeats, snapshot chunks and TimeoutNow may leave
 * before the Ready that carries them is persisted (they promise nothing about this node's disk).
 * Votes, vote requests and acknowledgements wait for the persist.
 */
describe('what may be sent before the Ready is persisted', () => {
  const meta = { index: 1, term: 1, confState: { voters: ['n1'], learners: [] } };
  const base = { from: 'n1', to: 'n2', term: 2 };
  const samples: Record<MessageType, Message> = {
    app: { ...base, type: 'app', index: 1, logTerm: 1, entries: [], commit: 1 },
    appResp: { ...base, type: 'appResp', index: 1, reject: false, hintIndex: 0, hintTerm: 0 },
    vote: { ...base, type: 'vote', lastIndex: 1, lastTerm: 1, transfer: false },
    preVote: { ...base, type: 'preVote', lastIndex: 1, lastTerm: 1, transfer: false },
    voteResp: { ...base, type: 'voteResp', reject: false },
    preVoteResp: { ...base, type: 'preVoteResp', reject: false },
    heartbeat: { ...base, type: 'heartbeat', commit: 1, ctx: '' },
    heartbeatResp: { ...base, type: 'heartbeatResp', ctx: '' },
    snap: { ...base, type: 'snap', meta, offset: 0, totalBytes: 0, data: new Uint8Array(0), done: true },
    snapResp: { ...base, type: 'snapResp', snapIndex: 1, nextOffset: 0, reject: false, index: 0 },
    timeoutNow: { ...base, type: 'timeoutNow' },
  };
  const early: Record<MessageType, boolean> = {
    app: true,
    heartbeat: true,
    snap: true,
    timeoutNow: true,
    appResp: false,
    vote: false,
    preVote: false,
    voteResp: false,
    preVoteResp: false,
    heartbeatResp: false,
    snapResp: false,
  };

  it.each(Object.keys(samples) as MessageType[])('%s', (type) => {
    expect(sendableBeforePersist(samples[type])).toBe(early[type]);
    expect(sendableBeforePersist({ ...samples[type], reject: true } as Message)).toBe(early[type]);
  });

  /**
   * The Ready contract, checked on every Ready of a busy run (elections, a partition, replication,
   * catch-up by snapshot, a leadership transfer, a restart): an append acknowledgement for index i
   * is in the Ready carrying entry i or a later one; a granted vote and a vote request are in a
   * Ready whose hard state (or an earlier one) holds them; any change of term, vote, entries or
   * snapshot is synced.
   */
  it('acknowledgements and votes never run ahead of the Ready that makes them durable', () => {
    const violations: string[] = [];
    const readies = { total: 0, appResp: 0, voteGranted: 0 };
    const check = (n: TestNode, rd: Ready): void => {
      readies.total++;
      const prev: HardState = n.storage.initialState().hardState;
      const hard = rd.hardState ?? prev;
      const where = `${n.id} ready#${n.readies + 1}`;
      const changed = hard.term !== prev.term || hard.vote !== prev.vote || rd.entries.length > 0 || rd.snapshot !== null;
      if (changed && !rd.mustSync) violations.push(`${where}: not synced (hard ${JSON.stringify(hard)} was ${JSON.stringify(prev)}, ${rd.entries.length} entries)`);
      const durableLast = rd.entries[rd.entries.length - 1]?.index ?? rd.snapshot?.meta.index ?? n.storage.lastIndex();
      for (const m of rd.messages) {
        if (m.type === 'appResp' && !m.reject) {
          readies.appResp++;
          if (m.index > durableLast) violations.push(`${where}: appResp for ${m.index} but durable only to ${durableLast}`);
        } else if (m.type === 'voteResp' && !m.reject) {
          readies.voteGranted++;
          const v = m as VoteResponse;
          if (hard.term !== v.term || hard.vote !== v.to) violations.push(`${where}: grants ${v.to} in term ${v.term}, durable ${JSON.stringify(hard)}`);
        } else if (m.type === 'vote' && (hard.term !== m.term || hard.vote !== n.id)) {
          violations.push(`${where}: asks for votes in term ${m.term}, durable ${JSON.stringify(hard)}`);
        }
      }
    };
    const c = new Cluster(5, { config: { snapshotChunkBytes: 16 } });
    c.onReady = check;
    c.elect('n1');
    for (let i = 0; i < 5; i++) c.mustPropose('n1', `a${i}`);
    c.stabilize();
    c.isolate('n5');
    for (let i = 0; i < 10; i++) c.mustPropose('n1', `b${i}`);
    c.stabilize();
    c.tick(1, ['n1']);
    c.compact('n1');
    c.recover();
    c.tickUntil(() => c.node('n5').snapshotsRestored.length > 0, 50, ['n1']);
    c.node('n1').raw.transferLeader('n3');
    c.stabilize();
    expect(c.leaderId()).toBe('n3');
    c.stop('n2');
    c.mustPropose('n3', 'c');
    c.stabilize();
    c.restart('n2');
    c.tick(3, ['n3']);
    // A leader fails: the others elect a new one.
    c.isolate('n3');
    c.tickUntil(() => c.leader() !== undefined && c.leaderId() !== 'n3' && c.raft(c.leaderId()).term > c.raft('n3').term, 100, ['n1', 'n2', 'n4', 'n5']);
    c.recover();
    c.tick(3);
    expect(safetyViolations(c)).toEqual([]);
    expect(violations).toEqual([]);
    expect(readies.appResp).toBeGreaterThan(20);
    expect(readies.voteGranted).toBeGreaterThan(4);
  });
});

// ---------------------------------------------------------------------------------------------

/**
 * X6, X7: the leader writes its log in parallel with its followers (the appends leave before its
 * own write), so its own copy counts toward a quorum only once the Ready carrying it is advanced
 * (onStable): until then the entry may exist on fewer disks than a majority. Nothing leaves the
 * core before that advance, so these tests read the commit index and the leader's own Progress
 * directly. (An overstated self match from X7 only covers earlier-term entries, which the
 * current-term commit rule never commits by counting, so only the Progress shows it.)
 */
describe('the leader counts its own copy only once it is durable', () => {
  it('a follower\'s acknowledgement alone does not commit an entry whose leader write is not done', () => {
    const c = new Cluster(3);
    c.elect('n1');
    c.isolate('n3');
    const n1 = c.node('n1');
    const index = c.mustPropose('n1', 'x');
    expect(n1.raft.log.committed).toBe(index - 1);
    const rd = n1.raw.ready();
    expect(rd.entries.map((e) => e.index)).toEqual([index]);
    // The appends leave before the leader's write...
    c.enqueue(rd.messages.filter(sendableBeforePersist));
    expect(stepQueued(c, (m) => m.type === 'app' && m.to === 'n2')).toHaveLength(1);
    c.processReady('n2');
    // ...and n2's acknowledgement comes back while that write is still in progress.
    const acks = stepQueued(c, (m) => m.type === 'appResp' && m.from === 'n2');
    expect(acks).toEqual([expect.objectContaining({ index, reject: false })]);
    // One durable copy (n2's) of three: not a quorum.
    expect(n1.raft.log.committed).toBe(index - 1);
    expect(n1.raw.status().progress.get('n1')?.match).toBe(index - 1);
    expect(n1.raw.status().progress.get('n2')?.match).toBe(index);
    // The leader's write completes: now two of three.
    n1.handle(rd, (msgs) => c.enqueue(msgs.filter((m) => !sendableBeforePersist(m))));
    expect(n1.raw.status().progress.get('n1')?.match).toBe(index);
    expect(n1.raft.log.committed).toBe(index);
    c.stabilize();
    c.tick(1, ['n1']);
    expect(c.raft('n2').log.committed).toBe(index);
    expect(c.node('n1').sm).toEqual(['x']);
  });

  it('a node elected while its last entries are not yet advanced does not count them as its own match', () => {
    const c = new Cluster(3, { config: { preVote: false, checkQuorum: false } });
    c.elect('n1');
    expect(c.mustPropose('n1', 'x')).toBe(5);
    c.processReady('n1');
    // n2 takes entry 5 and then campaigns before its Ready is even taken.
    expect(stepQueued(c, (m) => m.type === 'app' && m.to === 'n2')).toHaveLength(1);
    c.take(() => true);
    const n2 = c.node('n2');
    n2.raw.campaign();
    const rd = n2.raw.ready();
    expect(rd.entries.map((e) => e.index)).toEqual([5]);
    expect(rd.hardState).toMatchObject({ term: 3, vote: 'n2' });
    // The write is done and the vote requests go out, but the Ready is not advanced yet when the
    // votes come back.
    n2.storage.persistSync({ hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot });
    c.enqueue(rd.messages.filter((m) => m.type === 'vote' && m.to === 'n3'));
    stepQueued(c, (m) => m.type === 'vote');
    c.processReady('n3');
    expect(stepQueued(c, (m) => m.type === 'voteResp' && m.to === 'n2' && !m.reject)).toHaveLength(1);
    expect(n2.raft).toMatchObject({ role: 'leader', term: 3 });
    expect(n2.raft.log.lastIndex()).toBe(6);
    // Its own match is what the shell reported durable: not 5, which is still unstable to the core.
    expect(n2.raft.log.stableIndex()).toBe(4);
    expect(n2.raw.status().progress.get('n2')?.match).toBe(4);
    n2.handle(rd, () => undefined);
    expect(n2.raw.status().progress.get('n2')?.match).toBe(5);
    c.stabilize();
    c.tick(2, ['n2']);
    expect(n2.raw.status().progress.get('n2')?.match).toBe(6);
    for (const id of P3) {
      expect(c.raft(id).log.committed).toBe(6);
      expect(c.node(id).sm).toEqual(['x']);
    }
  });
});
