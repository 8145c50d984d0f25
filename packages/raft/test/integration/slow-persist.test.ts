/**
 * A leader whose disk is slow keeps its leadership (issue 9 §8): while one Ready's fsync takes
 * several election timeouts (a busy disk, a big batch of client entries), the leader's heartbeats
 * still go out, so no follower campaigns. Three RaftNodes in one process over an in-memory
 * transport; the leader's storage delays every write once the test says so.
 */
import type { Message, NodeId, PersistBatch } from '../../src';
import { MemoryStorage, RaftNode } from '../../src';
import type { StateMachine } from '../../src/node/state-machine';
import type { Transport } from '../../src/transport/transport';

jest.setTimeout(30_000);

const TICK_MS = 20;
const ELECTION_TICKS = 10; // a follower campaigns after 200-400 ms without hearing the leader
const SLOW_PERSIST_MS = 6 * TICK_MS * ELECTION_TICKS; // 1.2 s: three maximal election timeouts

class SlowStorage extends MemoryStorage {
  delayMs = 0;
  override async persist(batch: PersistBatch): Promise<void> {
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    this.persistSync(batch);
  }
}

/** Delivers between nodes of one process on the next turn, as a socket would. */
class Bus {
  readonly handlers = new Map<NodeId, (m: Message) => void>();
  transport(self: NodeId): Transport {
    return {
      send: (ms) => {
        for (const m of ms) setImmediate(() => this.handlers.get(m.to)?.(m));
      },
      onMessage: (h) => void this.handlers.set(self, h),
      onUnreachable: () => undefined,
      setPeer: () => undefined,
      removePeer: () => undefined,
      close: async () => {
        this.handlers.delete(self);
      },
    };
  }
}

const nothing: StateMachine<null> = { apply: () => null, snapshot: () => new Uint8Array(0), restore: () => undefined };

const nodes: RaftNode<null>[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

async function until<T>(f: () => T | undefined, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what} not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
}

it('a leader whose fsync takes three election timeouts keeps its term: its heartbeats do not wait for the disk', async () => {
  const bus = new Bus();
  const ids = ['a', 'b', 'c'];
  const storages = new Map(ids.map((id) => [id, new SlowStorage()]));
  for (const id of ids) {
    nodes.push(
      RaftNode.start<null>({
        id,
        storage: storages.get(id) as SlowStorage,
        transport: bus.transport(id),
        stateMachine: nothing,
        peers: Object.fromEntries(ids.map((p) => [p, p])),
        tickMs: TICK_MS,
        electionTicks: ELECTION_TICKS,
      }),
    );
  }
  const leader = await until(() => nodes.find((n) => n.isLeader()), 10_000, 'a leader');
  await leader.propose(new Uint8Array([1]));
  const term = leader.currentTerm();

  (storages.get(leader.id) as SlowStorage).delayMs = SLOW_PERSIST_MS;
  // Proposals keep the leader's pump in slow writes for the whole window.
  const end = Date.now() + 2 * SLOW_PERSIST_MS;
  const proposals: Promise<unknown>[] = [];
  while (Date.now() < end) {
    proposals.push(leader.propose(new Uint8Array([2])).catch(() => undefined));
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  (storages.get(leader.id) as SlowStorage).delayMs = 0;
  await Promise.all(proposals);

  expect(nodes.map((n) => [n.id, n.currentTerm(), n.leaderId()])).toEqual(ids.map((id) => [id, term, leader.id]));
  expect(leader.isLeader()).toBe(true);
});
