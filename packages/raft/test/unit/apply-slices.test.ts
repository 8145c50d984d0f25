import { MemoryStorage, RaftNode, type Entry } from '../../src';
import { NoPeers } from './no-peers';

describe('RaftNode: applying a large batch of committed entries', () => {
  // A burst commits thousands of entries in one Ready. Applied in one go, they held the loop for
  // as long as they took (ticks, heartbeats and peers' messages waited: issue 9 §8).
  test('leaves the event loop to other work between slices, and applies every entry in order', async () => {
    const ENTRIES = 1000;
    const applied: number[] = [];
    let appliedWhenProbeRan = -1;
    const machine = {
      apply: (e: Entry): number => {
        if (e.data.byteLength === 0) return 0;
        const n = e.data[0]! * 256 + e.data[1]!;
        // The first entry of the batch asks for the next turn of the loop; it must not have to
        // wait for the whole batch.
        if (applied.length === 0) setImmediate(() => (appliedWhenProbeRan = applied.length));
        applied.push(n);
        return n;
      },
      snapshot: () => new Uint8Array(0),
      restore: () => undefined,
    };
    const node = RaftNode.start({ id: 'n1', storage: new MemoryStorage(), transport: new NoPeers(), stateMachine: machine, peers: { n1: 'self' }, tickMs: 5 });
    try {
      const deadline = Date.now() + 10_000;
      while (!node.isLeader()) {
        if (Date.now() > deadline) throw new Error('the single node did not elect itself within 10 s');
        await new Promise((r) => setTimeout(r, 5));
      }
      const items = Array.from({ length: ENTRIES }, (_, i) => new Uint8Array([i >> 8, i & 255]));
      const results = await Promise.all(node.proposeBatch(items));
      expect(results.map((r) => r.result)).toEqual(items.map((_, i) => i));
      expect(applied).toEqual(items.map((_, i) => i));
      expect(appliedWhenProbeRan).toBeGreaterThan(0);
      expect(appliedWhenProbeRan).toBeLessThan(ENTRIES / 2);
    } finally {
      await node.stop();
    }
  });
});
