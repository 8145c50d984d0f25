import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { ProposeResult } from '../core/raft';
import { RawNode, type Status } from '../core/raw-node';
import { silentLogger, type Logger } from '../core/logger';
import { sendableBeforePersist, type ConfState, type Entry, type Message, type NodeId, type Ready, type Role } from '../core/types';
import type { WritableStorage } from '../storage/storage';
import type { Transport } from '../transport/transport';
import { applyInSlices } from './apply-turns';
import { DeferredCommit } from './deferred-commit';
import { NodeStoppedError, NotLeaderError, OutcomeUnknownError, ProposalRefusedError } from './errors';
import { MemberDirectory } from './members';
import { rawNodeConfig, type MemberInfo, type RaftNodeEvents, type RaftNodeOptions, type RaftObserver } from './options';
import { roleChangeReason } from './role-change-reason';
import { unpackSnapshotEnvelope } from './snapshot-envelope';
import { Snapshotter } from './snapshotter';
import type { StateMachine } from './state-machine';
import { Waiters } from './waiters';

/**
 * The I/O shell around RawNode: real ticks, a WritableStorage, a Transport and the application's
 * StateMachine. Each Ready is processed strictly in order — persist (one batch, fsync when
 * needed), send, apply, advance — and everything that arrives meanwhile (proposals, messages)
 * accumulates into the next Ready, which is what batches many proposals into one fsync and one
 * AppendEntries.
 */
export class RaftNode<Result = unknown> extends EventEmitter<RaftNodeEvents> {
  readonly id: NodeId;
  private readonly raw: RawNode;
  private readonly storage: WritableStorage;
  private readonly transport: Transport;
  private readonly sm: StateMachine<Result>;
  private readonly logger: Logger;
  private readonly observer: RaftObserver;
  private readonly tickMs: number;
  private readonly snapshots: Snapshotter;
  private readonly waiters: Waiters<Result>;
  private readonly members: MemberDirectory;
  private ticker: NodeJS.Timeout | null = null;
  private pumping = false;
  private pumpScheduled = false;
  private stopped = false;
  private readSeq = 0;
  private role: Role = 'follower';
  private leader: NodeId = '';
  private term = 0;
  private readonly deferredCommit: DeferredCommit;
  /** The outstanding Ready's committed entries are applied and its persist is awaited (see applyEarly). */
  private readyApplied = false;

  private constructor(opts: RaftNodeOptions<Result>, raw: RawNode) {
    super();
    this.id = opts.id;
    this.raw = raw;
    this.storage = opts.storage;
    this.transport = opts.transport;
    this.sm = opts.stateMachine;
    this.logger = opts.logger ?? silentLogger;
    this.observer = opts.observer ?? {};
    this.waiters = new Waiters((seconds) => this.observer.committed?.(seconds));
    this.tickMs = opts.tickMs ?? 100;
    this.members = new MemberDirectory(this.id, opts.peerAddresses ?? opts.peers, this.transport, this.logger);
    this.snapshots = new Snapshotter({
      id: this.id,
      raw,
      storage: this.storage,
      stateMachine: this.sm,
      members: this.members,
      observer: this.observer,
      logger: this.logger,
      everyEntries: opts.snapshotEntries ?? 10_000,
      everyBytes: opts.snapshotBytes ?? 64 * 1024 * 1024,
      keepEntries: opts.keepEntries ?? 1_000,
    });
    this.deferredCommit = new DeferredCommit(this.storage, (e: unknown) => {
      this.logger.error({ id: this.id, err: e instanceof Error ? e.message : String(e) }, 'writing the commit index failed');
    });
  }

  /** Recover from storage (restoring the state machine from the latest snapshot) and start ticking. */
  static start<R>(opts: RaftNodeOptions<R>): RaftNode<R> {
    const snap = opts.storage.snapshot();
    let members: Record<NodeId, Record<string, string>> = {};
    if (snap.meta.index > 0) {
      const env = unpackSnapshotEnvelope(snap.data);
      opts.stateMachine.restore(env.app);
      members = env.members;
    }
    const raw = new RawNode(rawNodeConfig(opts, snap.meta.index));
    const node = new RaftNode<R>(opts, raw);
    node.members.load(members);
    for (const [id, addr] of Object.entries(opts.peers)) node.members.addFounder(id, addr, opts.founderContexts?.[id]);
    node.members.connect();
    opts.transport.onMessage((m) => {
      if (node.stopped) return;
      try {
        node.raw.step(m);
      } catch (e) {
        // Whatever reaches the peer port is untrusted: a message the core cannot take is dropped
        // and logged, never allowed to stop the node.
        node.logger.error(
          { id: node.id, from: m.from, type: m.type, term: m.term, err: e instanceof Error ? e.message : String(e) },
          `rejected ${m.type} from ${m.from}`,
        );
      }
      if (node.readyApplied) node.applyEarly();
      node.schedulePump();
    });
    opts.transport.onUnreachable((peer) => {
      if (node.stopped) return;
      node.raw.reportUnreachable(peer);
      node.schedulePump();
    });
    node.ticker = setInterval(() => {
      node.raw.tick();
      // While a Ready is being persisted the next one must wait, but the leader's heartbeats
      // need not: a slow fsync would otherwise silence it into an election.
      if (node.pumping) {
        const beats = node.raw.takeHeartbeats();
        if (beats.length > 0) node.transport.send(beats);
      }
      if (!node.pumping) node.deferredCommit.flush();
      node.schedulePump();
    }, node.tickMs);
    node.schedulePump();
    return node;
  }

  // ------------------------------------------------------------------ public API

  /**
   * Replicate `data` and resolve with the state machine's result once it is applied here.
   * Rejects with NotLeaderError at once on a follower, with OutcomeUnknownError if leadership is
   * lost before it applies.
   */
  propose(data: Uint8Array): Promise<{ index: number; result: Result }> {
    return this.track(this.raw.propose(data));
  }

  /** Propose several commands as consecutive entries (one Ready, one append per follower). */
  proposeBatch(items: readonly Uint8Array[]): Promise<{ index: number; result: Result }>[] {
    const res = this.raw.proposeBatch(items);
    if (!res.ok) return items.map(() => Promise.reject(this.refusal(res)));
    return items.map((_, i) => this.track({ ok: true, index: res.index + i, term: res.term }));
  }

  private track(res: ProposeResult): Promise<{ index: number; result: Result }> {
    if (this.stopped) return Promise.reject(new NodeStoppedError(`node ${this.id} is stopped`));
    if (!res.ok) return Promise.reject(this.refusal(res));
    this.schedulePump();
    return this.waiters.proposal(res.index, res.term);
  }

  private refusal(res: Extract<ProposeResult, { ok: false }>): Error {
    if (res.reason === 'notLeader') {
      const lead = this.raw.leader();
      return new NotLeaderError(lead, this.addressOf(lead, 'peer'), `node ${this.id} is not the leader: ${res.detail}`);
    }
    if (res.reason === 'transferring') {
      return new NotLeaderError('', '', `node ${this.id} is transferring leadership: ${res.detail}`);
    }
    return new ProposalRefusedError(res.detail);
  }

  /**
   * Linearizable read barrier (ReadIndex): resolves once this node, still the leader after a
   * heartbeat round, has applied everything committed before the call. Serve the read afterwards.
   */
  readBarrier(): Promise<number> {
    if (this.stopped) return Promise.reject(new NodeStoppedError(`node ${this.id} is stopped`));
    const ctx = `${this.id}:${++this.readSeq}`;
    if (!this.raw.readIndex(ctx)) {
      const lead = this.raw.leader();
      return Promise.reject(new NotLeaderError(lead, this.addressOf(lead, 'peer'), `node ${this.id} is not the leader`));
    }
    this.schedulePump();
    return this.waiters.read(ctx);
  }

  /** Hand leadership to `to` (or the most caught-up voter) and wait until someone else leads. */
  async transferLeadership(to?: NodeId, waitMs = 3000): Promise<NodeId> {
    const st = this.raw.status();
    if (st.role !== 'leader') throw new NotLeaderError(st.lead, this.addressOf(st.lead, 'peer'), `node ${this.id} is not the leader`);
    let target = to;
    if (target === undefined) {
      let best = -1;
      for (const [id, pr] of st.progress) {
        if (id === this.id || pr.learner) continue;
        if (pr.match > best) {
          best = pr.match;
          target = id;
        }
      }
    }
    if (target === undefined) throw new ProposalRefusedError('no other voter to transfer leadership to');
    const res = this.raw.transferLeader(target);
    if (!res.ok) throw this.refusal(res);
    this.schedulePump();
    const deadline = performance.now() + waitMs;
    while (performance.now() < deadline) {
      await sleep(Math.min(20, this.tickMs));
      if (this.role !== 'leader' && (this.leader !== '' || performance.now() >= deadline)) return this.leader; // stepped down at the vote request: wait to hear from the new leader
    }
    throw new ProposalRefusedError(`leadership transfer to ${target} did not finish within ${waitMs} ms`);
  }

  /**
   * Add a member: as a learner first, then, once it has caught up with the commit index, promote
   * it to voter (so a new, empty node never weakens the quorum while it copies the log).
   */
  async addMember(id: NodeId, context: Readonly<Record<string, string>>, catchUpMs = 30_000): Promise<void> {
    if (!context['peer']) throw new ProposalRefusedError(`member ${id} needs a peer address in its context`);
    if (!this.raw.isLearner(id)) await this.proposeConfChange({ type: 'addLearner', node: id, context: JSON.stringify(context) }); // a retry promotes
    const deadline = performance.now() + catchUpMs;
    for (;;) {
      const st = this.raw.status();
      if (st.role !== 'leader') throw new NotLeaderError(st.lead, this.addressOf(st.lead, 'peer'), 'lost leadership while adding a member');
      const pr = st.progress.get(id);
      if (pr !== undefined && pr.match >= st.commit) break;
      if (performance.now() > deadline) throw new ProposalRefusedError(`learner ${id} did not catch up within ${catchUpMs} ms (match ${pr?.match ?? 0}, commit ${st.commit})`);
      await sleep(this.tickMs);
    }
    await this.proposeConfChange({ type: 'promote', node: id, context: '' });
  }

  async removeMember(id: NodeId): Promise<void> {
    await this.proposeConfChange({ type: 'remove', node: id, context: '' });
  }

  private async proposeConfChange(cc: { type: 'addLearner' | 'promote' | 'remove'; node: NodeId; context: string }): Promise<void> {
    const res = this.raw.proposeConfChange(cc);
    await this.track(res);
  }

  status(): Status {
    return this.raw.status();
  }

  membersList(): MemberInfo[] {
    const cs: ConfState = this.raw.confState();
    const out: MemberInfo[] = [];
    for (const id of cs.voters) out.push(this.members.info(id, true));
    for (const id of cs.learners) out.push(this.members.info(id, false));
    return out;
  }

  /** An address from a member's context ('' if unknown). */
  addressOf(id: NodeId, key: string): string {
    return this.members.addressOf(id, key);
  }

  isLeader(): boolean {
    return this.role === 'leader';
  }

  leaderId(): NodeId {
    return this.leader;
  }

  currentTerm(): number {
    return this.term;
  }

  /** Resolve once this node has applied `index`. */
  waitApplied(index: number): Promise<void> {
    if (this.raw.applied() >= index) return Promise.resolve();
    return this.waiters.applied(index);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.ticker !== null) clearInterval(this.ticker);
    this.failAll(new NodeStoppedError(`node ${this.id} stopped`));
    while (this.pumping) await sleep(1);
    this.deferredCommit.flush();
    await this.transport.close();
    await this.storage.close();
  }

  // ------------------------------------------------------------------ the Ready loop

  private schedulePump(): void {
    if (this.pumpScheduled || this.pumping || this.stopped) return;
    this.pumpScheduled = true;
    // setImmediate lets every message and proposal that is already queued join this Ready.
    setImmediate(() => {
      this.pumpScheduled = false;
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.pumping || this.stopped) return;
    this.pumping = true;
    try {
      while (!this.stopped && this.raw.hasReady()) {
        const rd = this.raw.ready();
        await this.handleReady(rd);
        this.raw.advance(rd);
        await this.snapshots.maybeSnapshot();
      }
      if (this.snapshots.hasRequests() && !this.stopped) await this.snapshots.maybeSnapshot();
    } catch (e) {
      this.fatal(e);
    } finally {
      this.pumping = false;
    }
    if (!this.stopped && this.raw.hasReady()) this.schedulePump();
  }

  private fatal(e: unknown): void {
    const err = e instanceof Error ? e : new Error(String(e));
    this.logger.error({ id: this.id, err: err.message }, 'raft node stopped by a fatal error');
    this.stopped = true;
    if (this.ticker !== null) clearInterval(this.ticker);
    this.failAll(err);
    this.emit('fatal', err);
  }

  /**
   * Apply what committed while the outstanding Ready is still being persisted (RawNode
   * takeCommitted): the answer to a client need not wait for the next fsync to finish.
   */
  private applyEarly(): void {
    try {
      const ents = this.raw.takeCommitted();
      const last = ents[ents.length - 1];
      if (last === undefined) return;
      for (const e of ents) this.applyEntry(e);
      this.afterApply(last.index);
    } catch (e) {
      // As in the Ready loop: a state machine that throws stops the node.
      this.fatal(e);
    }
  }

  private async handleReady(rd: Ready): Promise<void> {
    const early: Message[] = [];
    const late: Message[] = [];
    for (const m of rd.messages) (sendableBeforePersist(m) ? early : late).push(m);
    // Followers write the new entries while the leader does: one fsync off the commit path.
    if (early.length > 0) this.transport.send(early);
    let written: Promise<void> | null = null;
    if (rd.entries.length > 0 || rd.snapshot !== null || rd.mustSync) {
      const started = performance.now();
      const sync = rd.mustSync;
      const hardState = this.deferredCommit.take(rd.hardState);
      written = this.storage.persist({ hardState, entries: rd.entries, snapshot: rd.snapshot }, { sync }).then(() => {
        this.observer.persisted?.((performance.now() - started) / 1000, sync);
      });
    } else if (rd.hardState !== null) {
      // Only the commit index moved: no fsync, and no batch of its own (DeferredCommit).
      this.deferredCommit.defer(rd.hardState);
    }
    if (rd.snapshot !== null) {
      if (written !== null) await written;
      written = null;
      this.installSnapshot(rd.snapshot.data);
    }
    // Committed entries are durable on a quorum already: apply them while this Ready's new
    // entries are still being written; in slices, so a burst leaves the loop to ticks and peers.
    await applyInSlices(rd.committedEntries, (e) => this.applyEntry(e));
    if (written !== null) {
      this.readyApplied = true;
      try {
        await written;
      } finally {
        this.readyApplied = false;
      }
    }
    if (late.length > 0) this.transport.send(late);
    if (rd.softState !== null) this.onSoftState(rd.softState.role, rd.softState.lead);
    for (const rs of rd.readStates) {
      // Entries applied early (applyEarly) count too.
      const applied = Math.max(rd.committedEntries[rd.committedEntries.length - 1]?.index ?? 0, this.raw.applied());
      this.waiters.readState(rs.ctx, rs.index, applied);
    }
    const last = rd.committedEntries[rd.committedEntries.length - 1];
    if (last !== undefined) this.afterApply(last.index);
  }

  private installSnapshot(data: Uint8Array): void {
    this.observer.snapshotInstalled?.(data.byteLength);
    const env = unpackSnapshotEnvelope(data);
    this.sm.restore(env.app);
    this.members.load(env.members);
    this.members.connect();
    this.snapshots.installed();
  }

  private applyEntry(e: Entry): void {
    this.snapshots.counted(e);
    let result: Result | undefined;
    if (e.type === 'confChange') {
      this.members.applyChange(e);
    } else if (e.data.byteLength > 0) {
      result = this.sm.apply(e);
    }
    this.waiters.entryApplied(e, result);
  }

  private afterApply(index: number): void {
    this.waiters.appliedTo(index);
    this.emit('applied', index);
  }

  private onSoftState(role: Role, lead: NodeId): void {
    const wasLeader = this.role === 'leader';
    const previous = this.leader;
    const previousRole = this.role;
    this.role = role;
    this.leader = lead;
    this.term = this.raw.term();
    if (wasLeader && role !== 'leader') {
      // Nothing proposed here can be confirmed any more from this node's point of view.
      this.waiters.rejectInFlight(new OutcomeUnknownError(`node ${this.id} lost leadership in term ${this.term}`));
    }
    const reason = roleChangeReason(previousRole, role, previous, lead);
    this.logger.info({ id: this.id, role, leader: lead, previousLeader: previous, term: this.term, reason }, 'role changed');
    if (lead !== previous) this.observer.leaderChanged?.({ term: this.term, leader: lead, previous, role, reason });
    this.emit('leader', { role, leader: lead, term: this.term });
  }

  /**
   * Snapshot the state machine now and compact the log (an operator's request). Resolves with the
   * snapshot's index and size; the index is unchanged when nothing was applied since the last one.
   */
  async takeSnapshot(): Promise<{ index: number; bytes: number }> {
    if (this.stopped) throw new NodeStoppedError(`node ${this.id} is stopped`);
    const done = this.snapshots.request();
    this.schedulePump();
    await done;
    const snap = this.storage.snapshot();
    return { index: snap.meta.index, bytes: snap.data.byteLength };
  }

  private failAll(err: Error): void {
    this.snapshots.rejectAll(err);
    this.waiters.rejectAll(err);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
