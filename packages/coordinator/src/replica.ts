import { EventEmitter } from 'node:events';
import {
  GrpcTransport,
  LevelStorage,
  NotLeaderError,
  RaftNode,
  type Logger,
  type NodeId,
  type PeerSecurity,
  type Snapshot,
  type StateMachine,
} from '@quorumlock/raft';
import { LockStateMachine } from './state/lock-state-machine';
import { encodeCommand } from './state/codec';
import { decideEmptyFounderStart, removeOldIncarnation } from './founder-check';
import type { PeerDialing, PeerRef } from './peer-rpc';
import { peerService } from './server/peer-service';
import { ConsistencyChecker, ConsistencyMonitor, StateHashes } from './consistency';
import type { Command } from './state/commands';
import type { ApplyOutput } from './state/events';
import type { LockLimits } from './state/limits';
import { LeaderClock, type MonotonicSource } from './leader-clock';
import { raftObserverFor, type Metrics } from './metrics';
import { RequestBatcher, type RequestDone } from './request-batcher';
import { stampedEntry } from './stamped-entry';
import { RenewBatcher, type RenewListener } from './renew-batcher';

/** A command as the server builds it; the leader adds its clock stamp when it proposes. */
export type UnstampedCommand = Command extends infer C ? (C extends Command ? Omit<C, 'stamp'> : never) : never;

/** The requests a session's stream sends, answered by events addressed to that session. */
export type StreamRequest = Extract<UnstampedCommand, { type: 'lock' | 'release' | 'put' | 'cancel' }>;

/** A founding member: where its peers and its clients reach it. */
export interface MemberAddresses {
  readonly peer: string;
  readonly client: string;
}

export interface ReplicaOptions {
  readonly id: NodeId;
  readonly dataDir: string;
  readonly clusterId: string;
  /** Address the Raft transport binds (host:port). */
  readonly peerListen: string;
  /** This node's client address as other nodes should advertise it in redirects. */
  readonly clientAddress: string;
  /**
   * Founders: they bootstrap an empty data dir. When joining, the existing members: not founders
   * of this node's log, but the transport needs their addresses to answer the leader.
   */
  readonly initialCluster: Readonly<Record<NodeId, MemberAddresses>>;
  /** Start empty and wait to be added by the leader (AdminService.AddMember). */
  readonly join: boolean;
  /**
   * The node adds itself (StatefulSet discovery): with an empty data dir and --join, the old
   * incarnation of this id, if the configuration still lists one, is removed before Raft starts.
   */
  readonly autoJoin?: boolean;
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly maxClockSkewMs: number;
  /** Keepalives that arrive within this interval share one `renew` entry. */
  readonly renewIntervalMs: number;
  readonly snapshotEntries: number;
  /** Also snapshot after this many bytes of entries applied since the last one (default: RaftNode's). */
  readonly snapshotBytes?: number;
  readonly keepEntries: number;
  readonly limits?: Partial<LockLimits>;
  /** How often the leader compares every member's lock-state hash (consistency.ts); 0: never. */
  readonly consistencyCheckMs?: number;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** Mutual TLS and sender identity checks on the peer port (raft's peer-tls.ts); plaintext without. */
  readonly peerSecurity?: PeerSecurity | undefined;
  /** The leader clock's time source (tests); `performance.now()` by default, never the wall clock. */
  readonly monotonic?: MonotonicSource;
}

export interface ReplicaEvents {
  /** Every entry this node applied to the lock machine, in log order. */
  applied: [out: ApplyOutput];
  /** Role or leader changed. */
  leader: [info: { isLeader: boolean; leader: NodeId; term: number }];
  fatal: [error: Error];
}

/**
 * One coordinator node: the lock state machine replicated by a RaftNode over LevelDB and gRPC.
 * On the leader it also does what only the leader may: stamp commands with its clock (a
 * LeaderClock: the applied machine time carried forward monotonically, never the wall clock), batch
 * keepalive renewals into one entry per interval, propose expiry of overdue sessions (decided
 * again at apply time), and propose a `tick` when a wait timeout or lock-delay falls due.
 */
export class Replica extends EventEmitter<ReplicaEvents> {
  readonly sm: LockStateMachine;
  readonly node: RaftNode<ApplyOutput>;
  /** The lock state's hash at exact applied indexes, for the consistency check. */
  readonly hashes: StateHashes;
  /** Divergence alarms; `divergence` set means this node must not serve clients. */
  readonly consistency: ConsistencyMonitor;
  private readonly checker: ConsistencyChecker;
  private readonly opts: ReplicaOptions;
  private readonly renewals: RenewBatcher;
  private dutyTimer: NodeJS.Timeout | null = null;
  private expiring = new Set<string>();
  private tickInFlight = false;
  private stopped = false;
  /** Whether this leader has proposed the entry that lets its clock catch up (once per term). */
  private ownEntryProposed = false;
  /** Proposals held until this leader's first entry applied (see LeaderClock). */
  private heldForClock: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private transport: GrpcTransport | null = null;
  /** Stream requests gathered into shared entries; see RequestBatcher. */
  private readonly batcher = new RequestBatcher<StreamRequest>(
    (requests) => this.proposeRequests(requests),
    (r) => (r.type === 'cancel' ? 0 : r.name.length) + (r.type === 'put' ? r.value.byteLength : 0),
  );
  /** A founder that found its data dir empty in a running cluster: it must add itself back (MemberKeeper). */
  rejoined = false;
  /** The snapshot the store holds now: a backup's source (server/snapshot-export.ts). */
  storedSnapshot: () => Snapshot = () => {
    throw new Error('the replica is not open');
  };

  private constructor(
    opts: ReplicaOptions,
    sm: LockStateMachine,
    node: RaftNode<ApplyOutput>,
    private readonly clock: LeaderClock,
    hashes: StateHashes,
  ) {
    super();
    this.opts = opts;
    this.sm = sm;
    this.node = node;
    this.hashes = hashes;
    this.consistency = new ConsistencyMonitor(opts.id, opts.logger, opts.metrics);
    this.checker = new ConsistencyChecker(this, opts.consistencyCheckMs ?? 0, opts.logger);
    this.renewals = new RenewBatcher(opts.renewIntervalMs, async (sessionIds) => {
      opts.metrics?.renewBatchSize.observe(sessionIds.length);
      const out = await this.propose({ type: 'renew', sessionIds });
      const gone = new Set<string>();
      for (const e of out.events) if (e.type === 'renewed') for (const id of e.notFound) gone.add(id);
      return gone;
    });
  }

  static async open(opts: ReplicaOptions): Promise<Replica> {
    const storage = await LevelStorage.open(opts.dataDir, { identity: { clusterId: opts.clusterId, nodeId: opts.id } });
    const empty = storage.lastIndex() === 0 && storage.snapshot().meta.index === 0 && storage.initialState().hardState.term === 0;
    let join = opts.join;
    try {
      const base = { self: opts.id, clusterId: opts.clusterId, logger: opts.logger, security: opts.peerSecurity };
      if (empty && !join) {
        const start = await decideEmptyFounderStart({ ...base, initialCluster: opts.initialCluster, listenPeer: opts.peerListen });
        join = start === 'rejoin';
      } else if (empty && opts.autoJoin === true) {
        await removeOldIncarnation(base, Object.entries(opts.initialCluster).map(([id, a]) => ({ id, address: a.peer })));
      }
    } catch (e) {
      await storage.close();
      throw e;
    }
    const peers: Record<NodeId, string> = {};
    const contexts: Record<NodeId, Record<string, string>> = {};
    for (const [id, a] of Object.entries(opts.initialCluster)) {
      peers[id] = a.peer;
      contexts[id] = { peer: a.peer, client: a.client };
    }
    const transport = new GrpcTransport({
      clusterId: opts.clusterId,
      selfId: opts.id,
      listenAddress: opts.peerListen,
      peers,
      logger: opts.logger,
      security: opts.peerSecurity,
      services: [peerService({ replica: () => replica, tls: opts.peerSecurity !== undefined, logger: opts.logger })],
    });
    // Declared before the transport serves PeerService, which answers UNAVAILABLE until it is set.
    let replica: Replica | undefined;
    await transport.start();
    const sm = new LockStateMachine({ maxClockSkewMs: opts.maxClockSkewMs, ...(opts.limits ? { limits: opts.limits } : {}) });
    const clock = new LeaderClock(opts.monotonic);
    const hashes = new StateHashes(() => sm.snapshot());
    // Every apply output reaches the server in log order straight from this adapter (the Replica's
    // `applied`); the clock learns each applied machine time and when this node applied it.
    const machine: StateMachine<ApplyOutput> = {
      apply: (entry) => {
        hashes.beforeApply(entry.index);
        const out = sm.apply(entry);
        hashes.afterApply(entry.index);
        clock.applied(out.now, entry.term);
        if (clock.hasOwnEntryApplied) replica?.releaseHeld();
        replica?.emit('applied', out);
        return out;
      },
      snapshot: () => sm.snapshot(),
      restore: (data) => {
        sm.restore(data);
        clock.restored();
        hashes.restored();
      },
      validateSnapshot: (data) => sm.validateSnapshot(data),
    };
    const node = RaftNode.start<ApplyOutput>({
      id: opts.id,
      storage,
      transport,
      stateMachine: machine,
      peers: join ? {} : peers,
      // A joining node is no founder, but it reaches the members it was told about its own way
      // (not through addresses from the leader's configuration).
      peerAddresses: peers,
      founderContexts: contexts,
      tickMs: opts.tickMs,
      electionTicks: opts.electionTicks,
      snapshotEntries: opts.snapshotEntries,
      ...(opts.snapshotBytes === undefined ? {} : { snapshotBytes: opts.snapshotBytes }),
      keepEntries: opts.keepEntries,
      logger: opts.logger,
      ...(opts.metrics ? { observer: raftObserverFor(opts.metrics) } : {}),
    });
    const r = new Replica(opts, sm, node, clock, hashes);
    r.rejoined = join && !opts.join;
    r.storedSnapshot = () => storage.snapshot();
    replica = r;
    r.transport = transport;
    node.on('applied', (index) => hashes.afterApply(index));
    r.consistency.on('divergent', () => r.onDivergent());
    r.checker.start();
    node.on('leader', (info) => r.onLeader(info.role === 'leader', info.leader, info.term));
    node.on('fatal', (e) => r.emit('fatal', e));
    r.dutyTimer = setInterval(() => r.leaderDuties(), Math.max(10, Math.floor(opts.tickMs / 2)));
    return r;
  }

  get id(): NodeId {
    return this.opts.id;
  }

  get clusterId(): string {
    return this.opts.clusterId;
  }

  isLeader(): boolean {
    return this.node.isLeader();
  }

  /** The Raft transport's send queues and drop count, for metrics. */
  transportStatus(): { queues: Map<NodeId, number>; dropped: number } {
    if (this.transport === null) return { queues: new Map(), dropped: 0 };
    return { queues: this.transport.queueDepths(), dropped: this.transport.stats().messagesDropped };
  }

  /** The leader's client address ('' if no leader is known or it is this node). */
  leaderClientAddress(): string {
    const lead = this.node.leaderId();
    if (lead === '' || lead === this.opts.id) return '';
    return this.node.addressOf(lead, 'client') || this.localAddresses(lead).client;
  }

  /**
   * How this node's own configuration (--initial-cluster) reaches `id` ('' when it does not list
   * it). The founders' addresses are not in the replicated log (the bootstrap entries carry no
   * context), so a node that joined later knows them only from here.
   */
  /** How this node dials its peers' PeerService (its peer TLS; undefined: plaintext). */
  get peerDialing(): PeerDialing {
    return this.opts.peerSecurity;
  }

  /** A member's id and peer address, as this node knows them. */
  peerRef(id: NodeId): PeerRef {
    return { id, address: id === '' ? '' : this.node.addressOf(id, 'peer') || this.localAddresses(id).peer };
  }

  localAddresses(id: NodeId): MemberAddresses {
    return this.opts.initialCluster[id] ?? { peer: '', client: '' };
  }

  /**
   * Session time: on the leader its LeaderClock, elsewhere the applied machine time. Every
   * expiry, timeout and grant is judged by this (or by the machine at apply), never by Date.
   */
  now(): number {
    return this.node.isLeader() ? this.clock.now(this.sm.now) : this.sm.now;
  }

  /**
   * Propose a command stamped with this leader's clock; resolves with its entry's apply output,
   * the answer to its proposer (an admin call, a session-level command, a renew batch). Requests
   * of a stream go through `submit` instead.
   */
  async propose(cmd: UnstampedCommand): Promise<ApplyOutput> {
    // A new leader stamps no deadline before its clock caught up (LeaderClock): one round trip.
    if (this.node.isLeader() && !this.clock.hasOwnEntryApplied) {
      await new Promise<void>((resolve, reject) => this.heldForClock.push({ resolve, reject }));
    }
    return this.proposeNow(cmd);
  }

  /**
   * Propose a stream's request (lock, release, put, cancel). Resolves once the entry carrying it
   * applied here, and with nothing: its answer is an event addressed to its session, and events
   * reach the streams one way only, through `applied`, in log order. Rejects as `propose` does
   * when the entry may not apply (NotLeaderError, OutcomeUnknownError).
   */
  submit(cmd: StreamRequest): Promise<void> {
    return new Promise<void>((resolve, reject) => this.submitRequest(cmd, (err) => (err === undefined ? resolve() : reject(err))));
  }

  /**
   * `submit` with a callback instead of a promise (the lock service's path: no promise per
   * request). `done` is always called on a later microtask or turn, never from within this call.
   */
  submitRequest(cmd: StreamRequest, done: RequestDone): void {
    if (!this.node.isLeader()) {
      const err = new NotLeaderError(this.node.leaderId(), this.leaderClientAddress(), `node ${this.id} is not the leader`);
      queueMicrotask(() => done(err));
      return;
    }
    if (!this.clock.hasOwnEntryApplied) {
      // Released from within an apply: the request joins the batcher after it, as an awaited
      // promise's continuation would.
      this.heldForClock.push({ resolve: () => queueMicrotask(() => this.enqueueRequest(cmd, done)), reject: (e) => queueMicrotask(() => done(e)) });
      return;
    }
    this.enqueueRequest(cmd, done);
  }

  private enqueueRequest(cmd: StreamRequest, done: RequestDone): void {
    this.opts.metrics?.proposals.inc({ type: cmd.type }); // each request once, whatever entry carries it
    this.batcher.add(cmd, done);
  }

  /** One entry for the batcher's requests (stampedEntry), stamped with this leader's clock. */
  private proposeRequests(requests: readonly StreamRequest[]): Promise<unknown> {
    const entry = stampedEntry(requests, this.clock.now(this.sm.now));
    return this.node.propose(encodeCommand(entry));
  }

  private async proposeNow(cmd: UnstampedCommand): Promise<ApplyOutput> {
    // Stream requests that arrived before this command go into the log before it.
    this.batcher.flush();
    const stamped = { ...cmd, stamp: this.clock.now(this.sm.now) } as Command;
    this.opts.metrics?.proposals.inc({ type: stamped.type });
    const { result } = await this.node.propose(encodeCommand(stamped));
    return result;
  }

  /** Linearizable read barrier: resolves once this leader applied everything committed before the call. */
  async readBarrier(): Promise<void> {
    await this.node.readBarrier();
  }

  /**
   * Renew `sessionId` with the next batched `renew` entry. `listener` hears `renewed(seq, true)`
   * once that entry applied with the session alive (only then may the keepalive be acknowledged),
   * `renewed(seq, false)` if the session no longer exists, or `renewFailed` when the entry may not
   * have applied.
   */
  renew(sessionId: string, seq: number, listener: RenewListener): void {
    if (!this.node.isLeader()) {
      const err = new NotLeaderError(this.node.leaderId(), this.leaderClientAddress(), `node ${this.id} is not the leader`);
      queueMicrotask(() => listener.renewFailed(err));
      return;
    }
    this.renewals.add(sessionId, seq, listener);
  }

  private releaseHeld(): void {
    for (const h of this.heldForClock.splice(0)) h.resolve();
  }

  /** Leader-only timers, checked every half tick: expire overdue sessions, fire due timers. */
  private leaderDuties(): void {
    if (this.stopped || !this.node.isLeader()) return;
    if (!this.clock.hasOwnEntryApplied) {
      // The clock catches up to the previous leader's time once an entry of this term applied.
      // This `tick` sets no deadline, so it may carry the clock's lower start; nothing else is
      // stamped (nor any session judged overdue) until it applied.
      if (!this.ownEntryProposed) {
        this.ownEntryProposed = true;
        this.proposeNow({ type: 'tick' }).catch(() => {
          this.ownEntryProposed = false;
        });
      }
      return;
    }
    const now = this.clock.now(this.sm.now);
    const overdue = this.sm.overdueSessions(now).filter((id) => !this.expiring.has(id));
    if (overdue.length > 0) {
      for (const id of overdue) this.expiring.add(id);
      this.propose({ type: 'expireSessions', sessionIds: overdue })
        .catch(() => undefined)
        .finally(() => {
          for (const id of overdue) this.expiring.delete(id);
        });
    }
    const due = this.sm.nextTimerAt();
    if (due !== undefined && due <= now && !this.tickInFlight) {
      this.tickInFlight = true;
      this.propose({ type: 'tick' })
        .catch(() => undefined)
        .finally(() => {
          this.tickInFlight = false;
        });
    }
  }

  private onLeader(isLeader: boolean, leader: NodeId, term: number): void {
    if (isLeader && this.consistency.divergence !== null) this.onDivergent();
    if (isLeader) {
      this.clock.lead(term, this.sm.now);
      this.ownEntryProposed = false;
      setImmediate(() => this.leaderDuties()); // the catch-up tick now, not half a tick later
    } else {
      this.clock.follow();
      const err = new NotLeaderError(leader, this.leaderClientAddress(), `node ${this.id} lost leadership in term ${term}`);
      for (const h of this.heldForClock.splice(0)) h.reject(err);
      this.batcher.failQueued(err);
      this.renewals.fail(err);
    }
    this.emit('leader', { isLeader, leader, term });
  }

  /** Found divergent: serve no one (the server checks `consistency.divergence`), lead no one. */
  private onDivergent(): void {
    if (!this.node.isLeader()) return;
    this.node.transferLeadership(undefined, 3000).catch((e: unknown) => {
      this.opts.logger.error({ err: e instanceof Error ? e.message : String(e) }, 'a divergent leader could not hand leadership over');
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.checker.stop();
    const err = new NotLeaderError('', '', `node ${this.id} is stopping`);
    for (const h of this.heldForClock.splice(0)) h.reject(err);
    this.batcher.failQueued(err);
    if (this.dutyTimer !== null) clearInterval(this.dutyTimer);
    this.renewals.fail(err);
    await this.node.stop();
  }
}
