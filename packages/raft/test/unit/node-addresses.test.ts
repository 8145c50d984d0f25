import { Packr } from 'msgpackr';
import { MemoryStorage, RaftNode, type Message, type NodeId, type Transport } from '../../src';

/** Records where the node told its transport each peer lives. */
class RecordingTransport implements Transport {
  readonly addresses = new Map<NodeId, string>();
  send(_messages: readonly Message[]): void {}
  onMessage(): void {}
  onUnreachable(): void {}
  setPeer(id: NodeId, address: string): void {
    this.addresses.set(id, address);
  }
  removePeer(id: NodeId): void {
    this.addresses.delete(id);
  }
  async close(): Promise<void> {}
}

/** A store holding a snapshot received from a leader whose own view of its peers is `members`. */
function storeWithLeaderSnapshot(members: Record<NodeId, Record<string, string>>): MemoryStorage {
  const storage = new MemoryStorage();
  const data = new Packr({ useRecords: false }).pack({ members, app: new Uint8Array(0) });
  storage.persistSync({ hardState: { term: 2, vote: '', commit: 10 }, entries: [], snapshot: { meta: { index: 10, term: 2, confState: { voters: Object.keys(members), learners: [] } }, data } });
  return storage;
}

const machine = { apply: () => undefined, snapshot: () => new Uint8Array(0), restore: () => undefined };

describe('RaftNode: how it reaches its peers', () => {
  // The leader's snapshot carries the addresses the leader dials (in a test, its own proxies).
  const leaderView = { n1: { peer: 'n1-self' }, n2: { peer: 'via-n1-to-n2' }, n3: { peer: 'via-n1-to-n3' }, n4: { peer: 'via-n1-to-n4' } };

  test('a joined node restarting dials the members it was configured with its own way, others as replicated', async () => {
    const transport = new RecordingTransport();
    const node = RaftNode.start({
      id: 'n4',
      storage: storeWithLeaderSnapshot(leaderView),
      transport,
      stateMachine: machine,
      peers: {}, // joined: no founders
      peerAddresses: { n2: 'n4-to-n2', n3: 'n4-to-n3' },
    });
    try {
      expect(Object.fromEntries(transport.addresses)).toEqual({ n1: 'n1-self', n2: 'n4-to-n2', n3: 'n4-to-n3' });
    } finally {
      await node.stop();
    }
  });

  test('without peerAddresses a founder uses its peers, as before', async () => {
    const transport = new RecordingTransport();
    const node = RaftNode.start({
      id: 'n2',
      storage: storeWithLeaderSnapshot(leaderView),
      transport,
      stateMachine: machine,
      peers: { n1: 'n2-to-n1', n2: 'n2-self', n3: 'n2-to-n3' },
    });
    try {
      expect(Object.fromEntries(transport.addresses)).toEqual({ n1: 'n2-to-n1', n3: 'n2-to-n3', n4: 'via-n1-to-n4' });
    } finally {
      await node.stop();
    }
  });
});
