/**
 * RawNode.takeCommitted: entries that commit while the leader's next Ready is still being
 * persisted can be applied at once (the shell answers clients without waiting for that fsync),
 * but only entries durable here, each exactly once, and never past a membership change.
 */
import type { Message } from '../../src/core/types';
import { Cluster, text } from './harness';

/** Step the queued messages matching `pred` into their nodes without processing any Ready. */
function stepWhere(c: Cluster, pred: (m: Message) => boolean): number {
  const msgs = c.take(pred);
  for (const m of msgs) c.node(m.to).raw.step(m);
  return msgs.length;
}

function datas(ents: readonly { data: Uint8Array }[]): string[] {
  return ents.map((e) => text(e.data));
}

/** n1 leads; 'a' is durable on every node and the followers' acknowledgements are still in flight. */
function acksOfAInFlight(): Cluster {
  const c = new Cluster(3);
  c.elect('n1');
  c.stabilize();
  c.mustPropose('n1', 'a');
  c.processReady('n1');
  expect(stepWhere(c, (m) => m.to !== 'n1')).toBe(2);
  c.processReady('n2');
  c.processReady('n3');
  return c;
}

describe('RawNode.takeCommitted', () => {
  it('hands out what committed during the outstanding Ready, once, and advance() still closes that Ready', () => {
    const c = acksOfAInFlight();
    const n1 = c.node('n1');
    c.mustPropose('n1', 'b');
    const rd = n1.raw.ready();
    expect(datas(rd.entries)).toEqual(['b']);
    expect(rd.committedEntries).toEqual([]);
    expect(n1.raw.takeCommitted()).toEqual([]);

    // The acknowledgements of 'a' arrive while 'b' is being written.
    expect(stepWhere(c, (m) => m.to === 'n1' && m.type === 'appResp')).toBe(2);
    expect(datas(n1.raw.takeCommitted())).toEqual(['a']);
    expect(n1.raw.takeCommitted()).toEqual([]);
    expect(n1.raft.log.applied).toBe(n1.raft.log.committed);

    // 'b' reaches both followers and commits on their acknowledgements alone, but it is not
    // durable on n1 yet: not handed out before its Ready is advanced.
    c.enqueue(rd.messages);
    expect(stepWhere(c, (m) => m.to !== 'n1' && m.type === 'app')).toBe(2);
    c.processReady('n2');
    c.processReady('n3');
    stepWhere(c, (m) => m.to === 'n1' && m.type === 'appResp');
    const bIndex = rd.entries[0]?.index ?? 0;
    expect(n1.raft.log.committed).toBe(bIndex);
    expect(n1.raw.takeCommitted()).toEqual([]);

    n1.storage.persistSync({ hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot });
    n1.raw.advance(rd);
    const next = n1.raw.ready();
    expect(datas(next.committedEntries)).toEqual(['b']);
    n1.raw.advance(next);
    expect(n1.raft.log.applied).toBe(bIndex);
  });

  it('gives nothing without an outstanding Ready, and stops before a membership change', () => {
    const c = acksOfAInFlight();
    const n1 = c.node('n1');
    stepWhere(c, (m) => m.to === 'n1' && m.type === 'appResp');
    // No Ready outstanding: committed entries go out through the next Ready as always.
    expect(n1.raw.takeCommitted()).toEqual([]);
    c.stabilize();

    // A membership change and an entry after it commit while another Ready is outstanding.
    expect(n1.raw.proposeConfChange({ type: 'addLearner', node: 'n4', context: '' }).ok).toBe(true);
    c.mustPropose('n1', 'after');
    c.processReady('n1');
    stepWhere(c, (m) => m.to !== 'n1');
    c.processReady('n2');
    c.processReady('n3');
    c.mustPropose('n1', 'c');
    const rd = n1.raw.ready();
    stepWhere(c, (m) => m.to === 'n1' && m.type === 'appResp');
    expect(n1.raw.takeCommitted()).toEqual([]);
    n1.storage.persistSync({ hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot });
    n1.raw.advance(rd);
    const next = n1.raw.ready();
    expect(next.committedEntries.map((e) => e.type)).toEqual(['confChange', 'normal']);
    expect(datas(next.committedEntries.slice(1))).toEqual(['after']);
  });
});
