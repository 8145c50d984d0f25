/**
 * The Ready loop's two shortcuts (issue 15 §3), in three RaftNodes of one process over an
 * in-memory transport:
 * - a leader applies, and so answers, a proposal that commits while its next write is still in
 *   flight, instead of after that write (RawNode.takeCommitted);
 * - a commit index that moved alone is not written as a batch of its own for every commit, but
 *   rides along with the next entries or goes out once a tick (DeferredCommit).
 */
import type { Message, NodeId, PersistBatch } from '../../src';
import { MemoryStorage, RaftNode } from '../../src';
import type { StateMachine } from '../../src/node/state-machine';
import type { Transport } from '../../src/transport/transport';

jest.setTimeout(60_000);

const TICK_MS = 20;
/** Generous bounds for things that take a few milliseconds: a deadline, not a measurement. */
const WAIT_MS = 10_000;

class GatedStorage extends MemoryStorage {
  /** While set, writes that carry entries wait for it. */
  gate: Promise<void> | null = null;
  gatedWrites = 0;
  /** Writes that carried nothing but a hard state. */
  hardStateOnlyWrites = 0;
  override async persist(batch: PersistBatch): Promise<void> {
    if (batch.entries.length === 0 && batch.snapshot === null) this.hardStateOnlyWrites++;
    if (this.gate !== null && batch.entries.length > 0) {
      this.gatedWrites++;
      await this.gate;
    }
    this.persistSync(batch);
  }
}

/** Delivers on the next turn; messages matching `hold` wait until `release`. */
class Bus {
  readonly handlers = new Map<NodeId, (m: Message) => void>();
  hold: ((m: Message) => boolean) | null = null;
  readonly held: Message[] = [];
  transport(self: NodeId): Transport {
    return {
      send: (ms) => {
        for (const m of ms) {
          if (this.hold?.(m) === true) this.held.push(m);
          else setImmediate(() => this.handlers.get(m.to)?.(m));
        }
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
  release(): void {
    this.hold = null;
    for (const m of this.held.splice(0)) setImmediate(() => this.handlers.get(m.to)?.(m));
  }
}

/** Applies a proposal by returning its first byte. */
const firstByte: StateMachine<number> = { apply: (e) => e.data[0] ?? -1, snapshot: () => new Uint8Array(0), restore: () => undefined };

const nodes: RaftNode<number>[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

async function until<T>(f: () => T | undefined | false, what: string): Promise<T> {
  const end = Date.now() + WAIT_MS;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`${what} not within ${WAIT_MS} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function cluster(bus: Bus): Promise<{ leader: RaftNode<number>; storages: Map<NodeId, GatedStorage> }> {
  const ids = ['a', 'b', 'c'];
  const storages = new Map(ids.map((id) => [id, new GatedStorage()]));
  for (const id of ids) {
    nodes.push(
      RaftNode.start<number>({
        id,
        storage: storages.get(id) as GatedStorage,
        transport: bus.transport(id),
        stateMachine: firstByte,
        peers: Object.fromEntries(ids.map((p) => [p, p])),
        tickMs: TICK_MS,
      }),
    );
  }
  const leader = await until(() => nodes.find((n) => n.isLeader()), 'a leader');
  await leader.propose(new Uint8Array([0]));
  return { leader, storages };
}

it('a leader answers a proposal that committed while its next write is still in flight', async () => {
  const bus = new Bus();
  const { leader, storages } = await cluster(bus);
  const own = storages.get(leader.id) as GatedStorage;

  // 'A' is written everywhere; the followers' acknowledgements wait on the wire.
  bus.hold = (m) => m.type === 'appResp' && m.to === leader.id;
  const indexA = leader.status().lastIndex + 1;
  const a = leader.propose(new Uint8Array([65]));
  await until(() => bus.held.length >= 2 && own.lastIndex() >= indexA, "A's acknowledgements");

  // 'B' goes into a write that does not finish until the test says so.
  let open = (): void => undefined;
  own.gate = new Promise<void>((resolve) => (open = resolve));
  const b = leader.propose(new Uint8Array([66]));
  let bDone = false;
  void b.then(() => (bDone = true), () => (bDone = true));
  await until(() => own.gatedWrites === 1, "B's write");

  bus.release();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), WAIT_MS)));
  const answered = await Promise.race([a, late]);
  clearTimeout(timer);
  expect(answered).toEqual({ index: indexA, result: 65 });
  expect(own.gatedWrites).toBe(1);
  expect(bDone).toBe(false);

  open();
  await expect(b).resolves.toEqual({ index: indexA + 1, result: 66 });
});

it('a commit index that moved alone is written with the next entries or once a tick, not once per commit', async () => {
  const bus = new Bus();
  const { leader, storages } = await cluster(bus);
  const all = [...storages.values()];
  const before = all.map((s) => s.hardStateOnlyWrites);
  const proposals = 400;
  // One at a time: on the leader every commit used to be a Ready of its own with nothing but
  // the commit index to write, so a batch of its own (400 here).
  for (let i = 0; i < proposals; i++) await leader.propose(new Uint8Array([i & 0xff]));
  // One per tick at most now, and 400 proposals take far fewer than 200 ticks of 20 ms here.
  all.forEach((s, k) => expect(s.hardStateOnlyWrites - (before[k] ?? 0)).toBeLessThan(proposals / 2));
  // Nothing is left behind: the stored commit index catches up with the log once things go quiet.
  const last = leader.status().commit;
  for (const s of all) await until(() => s.initialState().hardState.commit >= last, 'the stored commit index');
});
