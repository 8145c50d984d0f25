import { decodeConfChange } from '../core/confchange';
import { RawNode } from '../core/raw-node';
import { SeededRng } from '../core/rng';
import { sendableBeforePersist, type Entry, type HardState, type Message, type NodeId, type Ready } from '../core/types';
import { MemoryStorage } from '../storage/memory-storage';
import { ChainMachine } from './chain-machine';
import { InvariantViolation, Invariants } from './invariants';
import { SimNetwork } from './sim-network';
import { swarmOptions, type SimOptions, type SimResult } from './swarm';

const TICK_MS = 10;
const ELECTION_TICKS = 10;
const KEEP_ENTRIES = 4;

interface SimNode {
  readonly id: NodeId;
  /** The founding members it was started with: a restart reuses its command line. */
  readonly peers: readonly NodeId[];
  /** What survives a crash: synced writes only. */
  storage: MemoryStorage;
  /** A hard state written without fsync (commit index only): a crash may lose it. */
  unsyncedHard: HardState | null;
  raw: RawNode | null;
  sm: ChainMachine;
  appliedSinceSnapshot: number;
  /** A Ready whose write is in progress (the shell handles one Ready at a time). */
  writing: { rd: Ready; applyFirst: boolean; doneAt: number } | null;
  tickPhase: number;
  wasLeaderInTerm: number;
}

/**
 * N real cores (RawNode) over MemoryStorage and a SimNetwork, driven by one seeded PRNG through a
 * simulated clock. The invariants are checked as every step happens; then the faults heal and the
 * cluster must elect a leader and commit a new proposal within `livenessMs`.
 */
export class SimCluster {
  readonly rng: SeededRng;
  readonly net: SimNetwork;
  readonly inv = new Invariants();
  private readonly nodes = new Map<NodeId, SimNode>();
  /** Joining nodes always get a fresh id: a removed id is never reused (as in etcd). */
  private nextId: number;
  /** Members as of the last applied membership change the sim knows of (voters and learners). */
  private members = new Set<NodeId>();
  private now = 0;
  private faultsOn = true;
  private proposals = 0;
  readonly stats: Record<string, number> = {
    crashes: 0, restarts: 0, partitions: 0, heals: 0, proposals: 0, committed: 0, elections: 0,
    snapshotsTaken: 0, snapshotsInstalled: 0, confChanges: 0, transfers: 0, livenessMs: 0,
  };

  constructor(readonly opts: SimOptions) {
    this.rng = new SeededRng(opts.seed);
    this.net = new SimNetwork(this.rng, opts.network);
    const founders = Array.from({ length: opts.nodes }, (_, i) => `n${i + 1}`);
    this.nextId = opts.nodes + 1;
    for (const id of founders) {
      this.members.add(id);
      this.start(id, new MemoryStorage(), founders);
    }
  }

  private start(id: NodeId, storage: MemoryStorage, peers: readonly NodeId[]): void {
    const sm = new ChainMachine();
    const snap = storage.snapshot();
    sm.restore(snap.data);
    const raw = new RawNode({
      id,
      storage,
      rng: new SeededRng(this.rng.int(0, 2 ** 31)),
      electionTicks: ELECTION_TICKS,
      heartbeatTicks: 1,
      applied: snap.meta.index,
      peers,
      maxBytesPerMsg: this.rng.pick([64, 4096]),
      maxInflightMsgs: this.rng.pick([1, 4, 64]),
      snapshotChunkBytes: this.rng.pick([8, 64, 4096]),
    });
    this.nodes.set(id, {
      id, peers, storage, unsyncedHard: null, raw, sm, appliedSinceSnapshot: 0, writing: null,
      tickPhase: this.rng.int(0, TICK_MS), wasLeaderInTerm: 0,
    });
  }

  private crash(n: SimNode): void {
    n.raw = null;
    n.unsyncedHard = null;
    n.writing = null;
    this.stats['crashes']!++;
  }

  private restart(n: SimNode): void {
    this.nodes.delete(n.id);
    this.start(n.id, n.storage, n.peers);
    this.stats['restarts']!++;
  }

  // ------------------------------------------------------------------ driving a node

  /**
   * Drive a node's Readies as the real shell does: a leader's appends leave before its own
   * write, committed entries are applied while new ones are being written (unless a snapshot
   * comes first), and the write itself takes `diskLatencyMs`. Meanwhile the node keeps stepping
   * messages and ticks but produces no new Ready; a crash before the write completes loses it.
   */
  private processReady(n: SimNode): void {
    let guard = 0;
    while (n.raw !== null && n.writing === null && n.raw.hasReady()) {
      if (++guard > 1000) throw new InvariantViolation(`${n.id}: Ready loop did not settle`);
      const rd = n.raw.ready();
      this.net.send(this.now, rd.messages.filter(sendableBeforePersist));
      const applyFirst = rd.snapshot === null;
      if (applyFirst) this.apply(n, rd);
      this.registerEntries(n, rd);
      // Crash before the write: what was sent or applied early must not be needed for safety.
      if (this.faultsOn && this.rng.chance(this.opts.crashRate * 0.2)) {
        this.crash(n);
        return;
      }
      const writes = rd.entries.length > 0 || rd.snapshot !== null || rd.mustSync;
      if (writes && this.opts.diskLatencyMs > 0) {
        n.writing = { rd, applyFirst, doneAt: this.now + this.rng.int(0, this.opts.diskLatencyMs + 1) };
        return;
      }
      this.finishReady(n, rd, applyFirst);
    }
  }

  /** The Ready's write completed: make it durable, send what had to wait for it, advance. */
  private finishReady(n: SimNode, rd: Ready, applyFirst: boolean): void {
    const raw = n.raw;
    if (raw === null) return;
    // Crash while the write is in flight: it is lost, though its early messages were sent and
    // answers to them may already have arrived.
    if (this.faultsOn && n.writing === null && this.opts.diskLatencyMs > 0 && this.rng.chance(this.opts.crashRate * 0.2)) {
      this.crash(n);
      return;
    }
    this.write(n, rd);
    // Crash after the write but before anything else was sent.
    if (this.faultsOn && this.rng.chance(this.opts.crashRate * 0.2)) {
      this.crash(n);
      return;
    }
    this.net.send(this.now, rd.messages.filter((m) => !sendableBeforePersist(m)));
    if (!applyFirst) this.apply(n, rd);
    raw.advance(rd);
    this.afterAdvance(n, rd);
  }

  /** Log matching holds for every log, durable or not: register entries as they are handed out. */
  private registerEntries(n: SimNode, rd: Ready): void {
    const raw = n.raw;
    if (raw === null) return;
    let prevTerm: number | undefined;
    for (const e of rd.entries) {
      if (prevTerm === undefined) {
        const before = e.index - 1;
        if (rd.snapshot !== null && rd.snapshot.meta.index === before) prevTerm = rd.snapshot.meta.term;
        else prevTerm = before === 0 ? 0 : raw.logTerm(before);
      }
      this.inv.entryPersisted(n.id, e, prevTerm);
      prevTerm = e.term;
    }
  }

  private write(n: SimNode, rd: Ready): void {
    if (rd.snapshot !== null) this.stats['snapshotsInstalled']!++;
    if (rd.mustSync) {
      const hard = rd.hardState ?? n.unsyncedHard;
      n.storage.persistSync({ hardState: hard, entries: rd.entries, snapshot: rd.snapshot });
      n.unsyncedHard = null;
    } else if (rd.hardState !== null) {
      n.unsyncedHard = rd.hardState;
    }
  }

  private apply(n: SimNode, rd: Ready): void {
    if (rd.snapshot !== null) {
      n.sm.restore(rd.snapshot.data);
      n.appliedSinceSnapshot = 0;
      this.inv.stateReached(n.id, rd.snapshot.meta.index, n.sm.hash);
    }
    for (const e of rd.committedEntries) {
      if (e.type === 'normal' && e.data.byteLength > 0) n.sm.apply(e);
      this.inv.entryApplied(n.id, e, n.sm.hash);
      n.appliedSinceSnapshot++;
      if (e.type === 'confChange') this.onConfChangeApplied(n, e);
    }
    if (rd.committedEntries.length > 0) this.stats['committed'] = Math.max(this.stats['committed']!, this.inv.maxApplied);
  }

  private onConfChangeApplied(n: SimNode, e: Entry): void {
    const cc = decodeConfChange(e.data);
    if (n.raw?.role() !== 'leader' && !(cc.type === 'remove' && cc.node === n.id)) return;
    if (cc.type === 'remove') {
      this.members.delete(cc.node);
      const removed = this.nodes.get(cc.node);
      // A removed node is shut down with its data wiped, so its id can join again later.
      if (removed !== undefined && removed.id !== n.id) this.nodes.delete(cc.node);
    } else {
      this.members.add(cc.node);
    }
  }

  private afterAdvance(n: SimNode, rd: Ready): void {
    const raw = n.raw;
    if (raw === null) return;
    const term = raw.term();
    if (rd.softState !== null && raw.role() === 'leader' && n.wasLeaderInTerm !== term) {
      n.wasLeaderInTerm = term;
      this.stats['elections']!++;
      this.inv.leaderElected(term, n.id);
      const snapIndex = raw.firstIndex() - 1;
      this.inv.checkLeaderCompleteness(n.id, term, snapIndex, (i) => (i > raw.lastIndex() || i < snapIndex ? undefined : raw.logTerm(i)));
    }
    // A node removed from the configuration is shut down once it applied its own removal.
    if (!raw.isVoter(n.id) && !raw.isLearner(n.id) && this.wasRemoved(n)) {
      this.nodes.delete(n.id);
      return;
    }
    if (n.appliedSinceSnapshot >= this.opts.snapshotEvery && raw.applied() > n.storage.snapshot().meta.index) {
      const applied = raw.applied();
      if (applied <= n.storage.lastIndex()) {
        n.storage.compactSync(applied, raw.confState(), n.sm.snapshot(), KEEP_ENTRIES);
        n.appliedSinceSnapshot = 0;
        this.stats['snapshotsTaken']!++;
      }
    }
  }

  private wasRemoved(n: SimNode): boolean {
    return !this.members.has(n.id) && n.raw !== null && n.raw.applied() > 0 && n.raw.voters().length > 0;
  }

  private deliver(m: Message): void {
    const n = this.nodes.get(m.to);
    if (n === undefined || n.raw === null) return;
    n.raw.step(m);
    this.processReady(n);
  }

  // ------------------------------------------------------------------ the operator and the nemesis

  private leaders(): SimNode[] {
    const out: SimNode[] = [];
    for (const n of this.nodes.values()) if (n.raw?.role() === 'leader') out.push(n);
    return out;
  }

  private propose(tag: string): void {
    const ls = this.leaders();
    if (ls.length === 0) return;
    const n = this.rng.pick(ls);
    const data = Buffer.from(`${tag}${this.proposals++}`);
    if (this.rng.chance(0.3)) {
      n.raw?.proposeBatch([data, Buffer.from(`${tag}${this.proposals++}`)]);
    } else {
      n.raw?.propose(data);
    }
    this.stats['proposals']!++;
    this.processReady(n);
  }

  private membership(): void {
    const ls = this.leaders();
    if (ls.length === 0) return;
    const leader = this.rng.pick(ls);
    const raw = leader.raw;
    if (raw === null) return;
    const learners = raw.learners();
    const voters = raw.voters();
    const choice = this.rng.int(0, 3);
    let res;
    if (choice === 0 && learners.length > 0) {
      const node = this.rng.pick(learners);
      const pr = raw.progressOf(node);
      // Promote only a learner that caught up, as the shell does.
      if (pr === undefined || pr.match < raw.committed()) return;
      res = raw.proposeConfChange({ type: 'promote', node, context: '' });
    } else if (choice === 1 && voters.length + learners.length < this.opts.nodes + 2) {
      const node = `n${this.nextId}`;
      res = raw.proposeConfChange({ type: 'addLearner', node, context: '' });
      if (res.ok) {
        this.nextId++;
        this.start(node, new MemoryStorage(), []);
      }
    } else if (choice === 2 && voters.length > 3) {
      const node = this.rng.pick(voters);
      res = raw.proposeConfChange({ type: 'remove', node, context: '' });
    } else {
      return;
    }
    if (res.ok) this.stats['confChanges']!++;
    this.processReady(leader);
  }

  private transfer(): void {
    const ls = this.leaders();
    if (ls.length === 0) return;
    const leader = this.rng.pick(ls);
    const raw = leader.raw;
    if (raw === null) return;
    const target = this.rng.pick(raw.voters());
    if (raw.transferLeader(target).ok) this.stats['transfers']!++;
    this.processReady(leader);
  }

  private nemesis(): void {
    const o = this.opts;
    const live = [...this.nodes.values()];
    if (this.rng.chance(o.crashRate) && live.length > 0) {
      const n = this.rng.pick(live);
      if (n.raw !== null) this.crash(n);
      else this.restart(n);
    }
    for (const n of live) if (n.raw === null && this.rng.chance(o.healRate)) this.restart(n);
    if (this.rng.chance(o.partitionRate)) {
      const ids = [...this.nodes.keys()].sort();
      if (this.rng.chance(0.7)) {
        const shuffled = ids.slice().sort(() => this.rng.next() - 0.5);
        const cut = this.rng.int(1, Math.max(2, shuffled.length));
        this.net.partition([shuffled.slice(0, cut), shuffled.slice(cut)]);
      } else {
        const from = this.rng.pick(ids);
        const to = this.rng.pick(ids);
        if (from !== to) this.net.cutOneWay(from, to);
      }
      this.stats['partitions']!++;
    }
    if (!this.net.isHealed() && this.rng.chance(o.healRate)) {
      this.net.heal();
      this.stats['heals']!++;
    }
    if (this.rng.chance(o.proposeRate)) this.propose('p');
    if (this.rng.chance(o.membershipRate)) this.membership();
    if (this.rng.chance(o.transferRate)) this.transfer();
  }

  /** One simulated millisecond: deliver what is due, tick who is due, let the nemesis act. */
  private stepMs(faults: boolean): void {
    this.now++;
    for (const n of [...this.nodes.values()]) {
      const w = n.writing;
      if (w !== null && w.doneAt <= this.now) {
        n.writing = null;
        this.finishReady(n, w.rd, w.applyFirst);
        this.processReady(n);
      }
    }
    for (const m of this.net.due(this.now)) this.deliver(m);
    for (const n of [...this.nodes.values()]) {
      if (n.raw !== null && this.now % TICK_MS === n.tickPhase) {
        n.raw.tick();
        this.processReady(n);
      }
    }
    if (faults) this.nemesis();
  }

  run(): SimResult {
    const replay = `pnpm sim -- --seed ${this.opts.seed} --nodes ${this.opts.nodes}`;
    try {
      for (let t = 0; t < this.opts.safetyMs; t++) this.stepMs(true);
      // Liveness: heal everything and require a leader that commits a fresh proposal in bounded time.
      this.faultsOn = false;
      this.net.heal();
      this.net.faults = { dropRate: 0, duplicateRate: 0, minDelayMs: 1, maxDelayMs: 3 };
      for (const n of [...this.nodes.values()]) if (n.raw === null) this.restart(n);
      const healedAt = this.now;
      let marker = -1;
      while (this.now - healedAt < this.opts.livenessMs) {
        this.stepMs(false);
        if (this.now % 50 === 0) {
          if (marker < 0) {
            const ls = this.leaders().filter((l) => l.raw?.leadTransferee() === '');
            const leader = ls[0];
            if (leader?.raw) {
              const res = leader.raw.propose(Buffer.from(`live${this.opts.seed}`));
              if (res.ok) marker = res.index;
              this.processReady(leader);
            }
          } else if (this.inv.maxApplied >= marker && this.committedOnLeader(marker)) {
            this.stats['livenessMs'] = this.now - healedAt;
            return { seed: this.opts.seed, ok: true, error: '', stats: this.stats, replay };
          } else if (this.leaders().length === 0 || this.now % 1000 === 0) {
            marker = -1; // leadership changed: propose again to the new leader
          }
        }
      }
      const status = [...this.nodes.values()].map((n) => {
        const s = n.raw?.status();
        return s ? `${n.id}:${s.role}/t${s.term}/c${s.commit}/l${s.lastIndex}/v[${s.confState.voters.join(',')}]` : `${n.id}:down`;
      });
      throw new InvariantViolation(`liveness: no new proposal committed within ${this.opts.livenessMs} ms after healing; ${status.join(' ')}`);
    } catch (e) {
      const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      return { seed: this.opts.seed, ok: false, error: `${error} (at ${this.now} ms)`, stats: this.stats, replay };
    }
  }

  private committedOnLeader(index: number): boolean {
    return this.leaders().some((l) => (l.raw?.committed() ?? 0) >= index && (l.raw?.applied() ?? 0) >= index);
  }
}

export function runSeed(seed: number, nodes: 3 | 5): SimResult {
  return new SimCluster(swarmOptions(seed, nodes)).run();
}
