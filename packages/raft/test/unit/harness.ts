/**
 * A tiny deterministic test harness for the pure core (the analogue of etcd-io/raft's
 * `network` in raft_test.go): N RawNodes over MemoryStorage, a FIFO in-memory message queue with
 * drop/isolate/cut/recover controls, and `stabilize()` that processes every node's Ready in the
 * order the core requires (persist -> send -> apply -> advance) until nothing is left to do.
 *
 * Nothing here reads a clock: time only passes through `tick()`.
 */
import type { RaftConfigInput } from '../../src/core/config';
import { decodeConfChange, encodeConfChange } from '../../src/core/confchange';
import type { Raft, ProposeResult } from '../../src/core/raft';
import { RawNode } from '../../src/core/raw-node';
import { SeededRng } from '../../src/core/rng';
import type { ConfChange, Entry, Message, MessageType, NodeId, ReadState, Ready } from '../../src/core/types';
import { MemoryStorage } from '../../src/storage/memory-storage';

/** Knobs of RaftConfig a test may set (id, storage and rng are the harness's business). */
export type NodeConfig = Omit<RaftConfigInput, 'id' | 'storage' | 'rng'>;

export const ELECTION_TICKS = 10;

export const DEFAULT_TEST_CONFIG: NodeConfig = {
  electionTicks: ELECTION_TICKS,
  heartbeatTicks: 1,
  preVote: true,
  checkQuorum: true,
};

const enc = new TextEncoder();
const dec = new TextDecoder();

export function bytes(s: string): Uint8Array {
  return enc.encode(s);
}

export function text(b: Uint8Array): string {
  return dec.decode(b);
}

/** One node as the harness drives it: the core, its durable storage and its "state machine". */
export class TestNode {
  raw: RawNode;
  /** Every entry handed out as committed and applied, in order (no-ops and conf changes too). */
  readonly appliedEntries: Entry[] = [];
  /** The replicated state machine: the data of applied non-empty normal entries. */
  sm: string[] = [];
  /** Snapshots restored into the state machine from a Ready. */
  readonly snapshotsRestored: number[] = [];
  readonly readStates: ReadState[] = [];
  /** Ready batches processed so far. */
  readies = 0;
  /** Sizes (entry count) of each non-empty committedEntries batch handed out. */
  readonly committedBatches: number[] = [];
  /** Every commit index this node persisted in a hard state, in order. */
  readonly commits: number[] = [];

  constructor(
    readonly id: NodeId,
    readonly storage: MemoryStorage,
    readonly cfg: NodeConfig,
    readonly seed: number,
    peers: readonly NodeId[],
  ) {
    this.raw = this.build(peers);
  }

  private build(peers: readonly NodeId[]): RawNode {
    const snap = this.storage.snapshot();
    this.sm = snap.data.byteLength === 0 ? [] : (JSON.parse(text(snap.data)) as string[]);
    return new RawNode({ ...this.cfg, id: this.id, storage: this.storage, rng: new SeededRng(this.seed), applied: snap.meta.index, peers });
  }

  /** Rebuild the core from the same storage object, as after a crash and restart. */
  restart(peers: readonly NodeId[] = []): void {
    this.raw = this.build(peers);
  }

  get raft(): Raft {
    return this.raw.raft;
  }

  smSnapshot(): Uint8Array {
    return bytes(JSON.stringify(this.sm));
  }

  /** Apply one Ready to storage and the state machine; the messages go to `send`. */
  handle(rd: Ready, send: (msgs: readonly Message[]) => void): void {
    this.readies++;
    if (rd.hardState !== null && rd.hardState.commit !== this.commits[this.commits.length - 1]) this.commits.push(rd.hardState.commit);
    this.storage.persistSync({ hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot });
    send(rd.messages);
    if (rd.snapshot !== null) {
      this.sm = JSON.parse(text(rd.snapshot.data)) as string[];
      this.snapshotsRestored.push(rd.snapshot.meta.index);
    }
    if (rd.committedEntries.length > 0) this.committedBatches.push(rd.committedEntries.length);
    for (const e of rd.committedEntries) {
      this.appliedEntries.push(e);
      if (e.type === 'normal' && e.data.byteLength > 0) this.sm.push(text(e.data));
    }
    this.readStates.push(...rd.readStates);
    this.raw.advance(rd);
  }
}

export interface ClusterOptions {
  /** Base seed; node i gets seed + i. */
  readonly seed?: number;
  readonly config?: Partial<NodeConfig>;
  /** Per-node overrides. */
  readonly nodeConfig?: Readonly<Record<NodeId, Partial<NodeConfig>>>;
  /** Start these founders from the given storage (as a restart) instead of bootstrapping. */
  readonly storages?: Readonly<Record<NodeId, MemoryStorage>>;
}

type Filter = (m: Message) => boolean;

/**
 * The cluster and its network. Messages are delivered FIFO; `sent` logs every message a node
 * emitted (delivered or not), `dropped` those the network ate.
 */
export class Cluster {
  readonly nodes = new Map<NodeId, TestNode>();
  readonly queue: Message[] = [];
  readonly sent: Message[] = [];
  readonly dropped: Message[] = [];
  readonly delivered: Message[] = [];
  /** Nodes that are crashed: they neither tick nor receive (see `stop`/`start`). */
  private readonly down = new Set<NodeId>();
  private readonly isolated = new Set<NodeId>();
  private readonly cuts = new Set<string>();
  private filters: Filter[] = [];
  /** Called with each Ready `processReady` takes, before the node handles it (for contract checks). */
  onReady: ((node: TestNode, rd: Ready) => void) | null = null;
  private readonly seed: number;
  private readonly config: NodeConfig;
  private readonly nodeConfig: Readonly<Record<NodeId, Partial<NodeConfig>>>;

  /** A new cluster whose founders are `ids` (bootstrapped through `peers`). */
  constructor(ids: readonly NodeId[] | number, opts: ClusterOptions = {}) {
    const founders = typeof ids === 'number' ? Array.from({ length: ids }, (_, i) => `n${i + 1}`) : ids;
    this.seed = opts.seed ?? 1;
    this.config = { ...DEFAULT_TEST_CONFIG, ...opts.config };
    this.nodeConfig = opts.nodeConfig ?? {};
    for (const id of founders) {
      const storage = opts.storages?.[id];
      if (storage === undefined) this.add(id, founders);
      else this.add(id, [], storage);
    }
    this.stabilize();
  }

  /** Create a node (a founder with `peers`, or a joining node with no peers and empty storage). */
  add(id: NodeId, peers: readonly NodeId[] = [], storage = new MemoryStorage(), config: Partial<NodeConfig> = {}): TestNode {
    const cfg = { ...this.config, ...this.nodeConfig[id], ...config };
    const n = new TestNode(id, storage, cfg, this.seed * 1000 + this.nodes.size + 1, peers);
    this.nodes.set(id, n);
    return n;
  }

  node(id: NodeId): TestNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  raft(id: NodeId): Raft {
    return this.node(id).raft;
  }

  ids(): NodeId[] {
    return [...this.nodes.keys()];
  }

  // ------------------------------------------------------------------ network controls

  /** Cut `id` off from every other node, both ways. */
  isolate(id: NodeId): void {
    this.isolated.add(id);
  }

  /** Cut the link between a and b (both ways). */
  cut(a: NodeId, b: NodeId): void {
    this.cuts.add(`${a}>${b}`);
    this.cuts.add(`${b}>${a}`);
  }

  /** Drop every message matching `pred` until `recover()`. */
  drop(pred: Filter): void {
    this.filters.push(pred);
  }

  /** Heal every partition, cut and drop rule. */
  recover(): void {
    this.isolated.clear();
    this.cuts.clear();
    this.filters = [];
  }

  /** Crash a node: what is queued for it is lost, and it neither ticks nor receives. */
  stop(id: NodeId): void {
    this.down.add(id);
  }

  /** Restart a crashed (or running) node from its storage object (`peers` as a restart would pass them). */
  restart(id: NodeId, peers: readonly NodeId[] = []): void {
    this.down.delete(id);
    this.node(id).restart(peers);
  }

  isUp(id: NodeId): boolean {
    return !this.down.has(id);
  }

  private blocked(m: Message): boolean {
    if (this.down.has(m.to) || !this.nodes.has(m.to)) return true;
    if (this.isolated.has(m.from) || this.isolated.has(m.to)) return true;
    if (this.cuts.has(`${m.from}>${m.to}`)) return true;
    return this.filters.some((f) => f(m));
  }

  // ------------------------------------------------------------------ driving

  /** Process `id`'s Ready batches until it has none; returns how many. */
  processReady(id: NodeId): number {
    const n = this.node(id);
    if (this.down.has(id)) return 0;
    let count = 0;
    while (n.raw.hasReady()) {
      if (++count > 1000) throw new Error(`${id}: Ready loop did not settle`);
      const rd = n.raw.ready();
      this.onReady?.(n, rd);
      n.handle(rd, (msgs) => this.enqueue(msgs));
    }
    return count;
  }

  processAll(): number {
    let count = 0;
    for (const id of this.nodes.keys()) count += this.processReady(id);
    return count;
  }

  /** Put messages on the network as if a node sent them (for tests that drive a Ready by hand). */
  enqueue(msgs: readonly Message[]): void {
    for (const m of msgs) {
      this.sent.push(m);
      this.queue.push(m);
    }
  }

  /** Take the queued messages matching `pred` off the network, undelivered (the rest keep their order). */
  take(pred: Filter): Message[] {
    const keep: Message[] = [];
    const take: Message[] = [];
    for (const m of this.queue.splice(0)) (pred(m) ? take : keep).push(m);
    this.queue.push(...keep);
    return take;
  }

  /** Deliver one queued message (FIFO); false when the queue is empty. */
  deliverOne(): boolean {
    const m = this.queue.shift();
    if (m === undefined) return false;
    if (this.blocked(m)) {
      this.dropped.push(m);
    } else {
      this.delivered.push(m);
      this.node(m.to).raw.step(m);
    }
    return true;
  }

  /**
   * Deliver only the queued messages matching `pred` (others stay queued, in order), then
   * process Readies. Returns how many were taken off the queue.
   */
  deliverWhere(pred: Filter): number {
    const take = this.take(pred);
    for (const m of take) {
      if (this.blocked(m)) {
        this.dropped.push(m);
      } else {
        this.delivered.push(m);
        this.node(m.to).raw.step(m);
      }
    }
    this.processAll();
    return take.length;
  }

  /** Process Readies and deliver messages until no node has work and the queue is empty. */
  stabilize(maxSteps = 100_000): void {
    for (let i = 0; i < maxSteps; i++) {
      this.processAll();
      if (!this.deliverOne()) return;
    }
    throw new Error(`cluster did not stabilize within ${maxSteps} steps`);
  }

  /**
   * One network hop: deliver exactly the messages queued now (not those they cause), then
   * process Readies. With `tickHop` this models a network where a hop takes one tick.
   */
  hop(): number {
    this.processAll();
    const n = this.queue.length;
    for (let i = 0; i < n; i++) this.deliverOne();
    this.processAll();
    return n;
  }

  /** Tick, then one hop: messages take a tick to arrive (no stabilize). */
  tickHop(times = 1, ids: readonly NodeId[] = this.ids()): void {
    for (let t = 0; t < times; t++) {
      for (const id of ids) if (!this.down.has(id)) this.node(id).raw.tick();
      this.hop();
    }
  }

  /** Tick the given nodes (default: every running node) `times` times, stabilizing after each. */
  tick(times = 1, ids: readonly NodeId[] = this.ids()): void {
    for (let t = 0; t < times; t++) {
      for (const id of ids) if (!this.down.has(id)) this.node(id).raw.tick();
      this.stabilize();
    }
  }

  /** Tick until `cond` holds; returns the ticks it took (throws past `limit`). */
  tickUntil(cond: () => boolean, limit = 20 * ELECTION_TICKS, ids?: readonly NodeId[]): number {
    for (let t = 0; t <= limit; t++) {
      if (cond()) return t;
      this.tick(1, ids);
    }
    throw new Error(`condition not reached within ${limit} ticks`);
  }

  /**
   * Make `id` leader: campaign, then one heartbeat so every follower knows it and the term's
   * no-op is replicated.
   */
  elect(id: NodeId): void {
    this.node(id).raw.campaign();
    this.stabilize();
    if (this.raft(id).role !== 'leader') throw new Error(`${id} did not win (role ${this.raft(id).role}, term ${this.raft(id).term})`);
    this.tick(1, [id]);
  }

  /** The leader with the highest term among running nodes, if any. */
  leader(): TestNode | undefined {
    let best: TestNode | undefined;
    for (const n of this.nodes.values()) {
      if (this.down.has(n.id) || n.raft.role !== 'leader') continue;
      if (best === undefined || n.raft.term > best.raft.term) best = n;
    }
    return best;
  }

  leaderId(): NodeId {
    const l = this.leader();
    if (l === undefined) throw new Error('no leader');
    return l.id;
  }

  propose(id: NodeId, data: string): ProposeResult {
    return this.node(id).raw.propose(bytes(data));
  }

  /** Propose and require acceptance; returns the entry's index. */
  mustPropose(id: NodeId, data: string): number {
    const r = this.propose(id, data);
    if (!r.ok) throw new Error(`proposal refused by ${id}: ${r.reason} (${r.detail})`);
    return r.index;
  }

  confChange(id: NodeId, cc: Omit<ConfChange, 'context'>): ProposeResult {
    return this.node(id).raw.proposeConfChange({ context: '', ...cc });
  }

  /** Take a state machine snapshot at `id`'s applied index and compact its log. */
  compact(id: NodeId, keepEntries = 0): number {
    const n = this.node(id);
    const applied = n.raft.log.applied;
    n.storage.compactSync(applied, n.raft.confState(), n.smSnapshot(), keepEntries);
    return applied;
  }

  // ------------------------------------------------------------------ observations

  /** Messages emitted so far (delivered or not) that match. */
  sentWhere(pred: Filter): Message[] {
    return this.sent.filter(pred);
  }

  count(type: MessageType, from?: NodeId, to?: NodeId): number {
    return this.sent.filter((m) => m.type === type && (from === undefined || m.from === from) && (to === undefined || m.to === to)).length;
  }

  /** Mark the message log so later counts can start from here. */
  mark(): number {
    return this.sent.length;
  }

  since(mark: number): Message[] {
    return this.sent.slice(mark);
  }
}

/** Terms of the entries of `id`'s log from `lo` to its end. */
export function logTerms(r: Raft, lo = 1): number[] {
  const out: number[] = [];
  for (let i = lo; i <= r.log.lastIndex(); i++) out.push(r.log.term(i));
  return out;
}

/** The conf changes among `ents`, decoded. */
export function confChanges(ents: readonly Entry[]): string[] {
  return ents.filter((e) => e.type === 'confChange').map((e) => {
    const cc = decodeConfChange(e.data);
    return `${cc.type}:${cc.node}`;
  });
}

/**
 * A MemoryStorage as a founder of `peers` would have it (the bootstrap membership entries at
 * term 1, committed), followed by entries with the given `terms`, and a hard state at `term`
 * (with commit index `commit`, by default just the membership entries).
 */
export function storageWithLog(peers: readonly NodeId[], terms: readonly number[], term = Math.max(1, ...terms), vote: NodeId = '', commit = peers.length): MemoryStorage {
  const ents: Entry[] = peers.map((node, i) => ({ term: 1, index: i + 1, type: 'confChange', data: encodeConfChange({ type: 'addVoter', node, context: '' }) }));
  terms.forEach((t, i) => ents.push({ term: t, index: peers.length + i + 1, type: 'normal', data: bytes(`t${t}-${peers.length + i + 1}`) }));
  const s = new MemoryStorage();
  s.persistSync({ hardState: { term, vote, commit }, entries: ents, snapshot: null });
  return s;
}
