import { MemoryStorage, ProposalRefusedError, RaftNode, type Entry } from '../../src';
import { NoPeers } from './no-peers';

// The coordinator's LockStateMachine relies on this contract and no longer re-checks it (issue 10
// §1): it would treat an empty entry as corrupt and a membership entry as a command.
describe('RaftNode: what it hands the state machine', () => {
  test('only committed normal entries with data, in index order: never the founding configuration, the no-op or a membership change', async () => {
    const seen: Entry[] = [];
    const machine = {
      apply: (e: Entry): number => {
        seen.push(e);
        return e.index;
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
      const first = await node.propose(new Uint8Array([1]));
      // The learner's entry commits on the single voter; it never catches up (no transport), so
      // the promotion is refused after a zero catch-up wait.
      await expect(node.addMember('n2', { peer: '127.0.0.1:9' }, 0)).rejects.toThrow(ProposalRefusedError);
      expect(node.membersList().map((m) => m.id)).toContain('n2');
      const second = await node.propose(new Uint8Array([2]));

      // The founding configuration entry and the leader's no-op come before the first proposal,
      // and the learner's entry sits between the two: the machine saw neither.
      expect(first.index).toBeGreaterThanOrEqual(3);
      expect(second.index).toBe(first.index + 2);
      expect(seen.map((e) => [e.index, e.type, [...e.data]])).toEqual([
        [first.index, 'normal', [1]],
        [second.index, 'normal', [2]],
      ]);
      expect([first.result, second.result]).toEqual([first.index, second.index]);
    } finally {
      await node.stop();
    }
  });
});
