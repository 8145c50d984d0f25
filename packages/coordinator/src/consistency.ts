/**
 * Cross-replica consistency check, like etcd's corrupt check. Checksums catch damage at rest;
 * this catches replicas whose lock state differs although their logs were read fine (a bug, a
 * record rewritten with a valid checksum, memory corruption). Periodically the leader hashes its
 * lock state at its applied index A and asks every other member for its hash at exactly A (a
 * member still behind waits until it applies A). The hashes a majority of members share are the
 * reference; every member with another hash is divergent: the leader logs an error, counts it,
 * records an alarm that `lockctl status` shows, and tells that member, which stops serving
 * clients. A leader that finds itself in the minority marks itself divergent and hands
 * leadership over.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { EventEmitter } from 'node:events';
import { quorumSize, type Logger } from '@quorumlock/raft';
import type { Metrics } from './metrics';
import { peerStub, type ConsistencyAnswer, type ConsistencyRequest, type PeerRef, type PeerStub } from './peer-rpc';
import type { Replica } from './replica';

/** One divergent state hash (lock.proto `ConsistencyAlarm`). */
export interface ConsistencyAlarm {
  readonly nodeId: string;
  readonly index: number;
  readonly hash: string;
  readonly expectedHash: string;
  readonly detectedBy: string;
}

/** The hex digest by which replicas compare their lock state (the canonical snapshot bytes). */
export function stateHash(snapshot: Uint8Array): string {
  return createHash('sha256').update(snapshot).digest('hex').slice(0, 32);
}

interface HashWaiter {
  readonly index: number;
  readonly resolve: (hash: string | null) => void;
}

/**
 * The lock state's hash at exact applied indexes. The lock machine only changes when it applies
 * a command, so its state "at A" is still there until the first command after A is applied: the
 * replica calls {@link beforeApply} before each command and {@link afterApply} after each
 * command and after each batch of applied entries.
 */
export class StateHashes {
  private waiters: HashWaiter[] = [];
  /**
   * The applied index the machine's state is at, as the replica reports it (Raft's own applied
   * index moves only after a whole batch); null right after a restore, until the next report.
   */
  private applied: number | null = null;

  constructor(private readonly snapshot: () => Uint8Array) {}

  /** The index the current state is at (null when unknown). */
  get appliedIndex(): number | null {
    return this.applied;
  }

  /** The hash at `index`: now, once this node applies it (within `waitMs`), or null if it is past it. */
  at(index: number, waitMs: number): Promise<string | null> {
    const applied = this.applied;
    if (applied === index) return Promise.resolve(stateHash(this.snapshot()));
    if (applied === null || applied > index || waitMs <= 0) return Promise.resolve(null);
    return new Promise((resolve) => {
      const waiter: HashWaiter = {
        index,
        resolve: (hash) => {
          clearTimeout(timer);
          resolve(hash);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(null);
      }, waitMs);
      this.waiters.push(waiter);
    });
  }

  /** A command at `index` is about to change the state: answer everyone waiting for an earlier one. */
  beforeApply(index: number): void {
    this.settle((w) => w.index < index, () => stateHash(this.snapshot()));
  }

  /** Everything up to `index` is applied: answer everyone waiting for it or earlier. */
  afterApply(index: number): void {
    if (this.applied === null || index > this.applied) this.applied = index;
    this.settle((w) => w.index <= index, () => stateHash(this.snapshot()));
  }

  /** A snapshot replaced the whole state: no earlier state can be hashed any more. */
  restored(): void {
    this.applied = null;
    this.settle(() => true, () => null);
  }

  private settle(due: (w: HashWaiter) => boolean, hash: () => string | null): void {
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter(due);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => !due(w));
    const h = hash();
    for (const w of ready) w.resolve(h);
  }
}

export interface ConsistencyEvents {
  /** This node's state was found divergent: it must stop serving clients. */
  divergent: [alarm: ConsistencyAlarm];
}

/** Alarms this node knows of, and whether it is itself divergent. */
export class ConsistencyMonitor extends EventEmitter<ConsistencyEvents> {
  private readonly known = new Map<string, ConsistencyAlarm>();
  private self: ConsistencyAlarm | null = null;

  constructor(
    private readonly selfId: string,
    private readonly logger: Logger,
    private readonly metrics?: Metrics,
  ) {
    super();
  }

  /** Set when this node's state hash was in the minority; it then serves no client. */
  get divergence(): ConsistencyAlarm | null {
    return this.self;
  }

  alarms(): ConsistencyAlarm[] {
    return [...this.known.values()];
  }

  /**
   * Record an alarm (the latest per node); the first about this node makes it divergent.
   * Returns whether the node was not known to be divergent before.
   */
  raise(alarm: ConsistencyAlarm): boolean {
    const previous = this.known.get(alarm.nodeId);
    this.known.set(alarm.nodeId, alarm);
    if (previous === undefined) this.metrics?.consistencyAlarms.inc({ divergent: alarm.nodeId });
    if (alarm.nodeId !== this.selfId || this.self !== null) return previous === undefined;
    this.self = alarm;
    this.metrics?.divergent.set(1);
    this.logger.error(
      { ...alarm },
      `this node's lock state diverges from the majority at index ${alarm.index} (hash ${alarm.hash}, majority ${alarm.expectedHash}): ` +
        'it stops serving clients; remove it (`lockctl members remove`) and add it again with an empty data dir and --join',
    );
    this.emit('divergent', alarm);
    return previous === undefined;
  }
}

/** A round's hashing may take at most 1/20 of the time between rounds. */
const HASH_BUDGET_RATIO = 20;

/**
 * The leader's side (asking each member on its peer port, PeerService: with peer TLS, the
 * leader's peer certificate is what lets it ask, and what a divergence notice is taken from): every `intervalMs`, compare every member's hash at the leader's applied index. */
export class ConsistencyChecker {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  /**
   * Hashing encodes the whole lock state on every member; with a large state the rounds are
   * spaced so that it takes at most 1/HASH_BUDGET_RATIO of the time (`performance.now()` ms).
   */
  private notBefore = 0;
  private readonly clients = new Map<string, PeerStub>();

  constructor(
    private readonly replica: Replica,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.intervalMs <= 0 || this.timer !== null) return;
    this.timer = setInterval(() => {
      if (this.running || !this.replica.isLeader() || performance.now() < this.notBefore) return;
      this.running = true;
      this.round()
        .catch((e: unknown) => this.logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'consistency check failed'))
        .finally(() => {
          this.running = false;
        });
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  /** One comparison; resolves with the divergent members (exported for tests through the class). */
  async round(): Promise<ConsistencyAlarm[]> {
    const r = this.replica;
    const index = r.hashes.appliedIndex;
    if (index === null) return [];
    const hashStarted = performance.now();
    const own = await r.hashes.at(index, 0);
    const hashMs = performance.now() - hashStarted;
    this.notBefore = performance.now() + hashMs * HASH_BUDGET_RATIO;
    if (own === null) return [];
    const members = r.node.membersList();
    const others = members.filter((m) => m.id !== r.id);
    const waitMs = Math.max(100, Math.min(2000, Math.floor(this.intervalMs * 0.75)));
    const answers = await Promise.all(
      others.map(async (m) => ({ id: m.id, peer: r.peerRef(m.id), res: await this.ask(r.peerRef(m.id), { index, waitMs }, waitMs + 1000) })),
    );
    const hashes = new Map<string, string>([[r.id, own]]);
    for (const a of answers) if (a.res !== null && a.res.ok && a.res.index === index) hashes.set(a.id, a.res.hash);
    const counts = new Map<string, number>();
    for (const h of hashes.values()) counts.set(h, (counts.get(h) ?? 0) + 1);
    // Only a hash shared by a majority of all members is a reference; with fewer answers, wait.
    const [majority] = [...counts.entries()].find(([, n]) => n >= quorumSize(members.length)) ?? [];
    if (majority === undefined) {
      if (counts.size > 1) this.logger.warn({ index, hashes: Object.fromEntries(hashes) }, `state hashes at index ${index} differ, and no majority agrees yet`);
      return [];
    }
    const alarms: ConsistencyAlarm[] = [];
    for (const [id, hash] of hashes) {
      if (hash === majority) continue;
      const alarm: ConsistencyAlarm = { nodeId: id, index, hash, expectedHash: majority, detectedBy: r.id };
      alarms.push(alarm);
      const fresh = r.consistency.raise(alarm);
      // Every round finds it again: say it loudly once, then quietly.
      (fresh ? this.logger.error : this.logger.debug).call(
        this.logger,
        { ...alarm },
        `consistency check: node ${id}'s lock state at index ${index} has hash ${hash}, the majority's is ${majority}`,
      );
      if (id !== r.id) {
        void this.ask(answers.find((a) => a.id === id)?.peer ?? { id, address: '' }, { index, waitMs: 0, divergent: true, alarm }, 2000);
      }
    }
    return alarms;
  }

  private ask(peer: PeerRef, req: ConsistencyRequest, timeoutMs: number): Promise<ConsistencyAnswer | null> {
    if (peer.address === '') return Promise.resolve(null);
    const key = `${peer.id}@${peer.address}`;
    let c = this.clients.get(key);
    if (c === undefined) {
      c = peerStub(peer, this.replica.peerDialing);
      this.clients.set(key, c);
    }
    const client = c;
    return new Promise((resolve) => {
      client.checkConsistency(req, { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err !== null) this.logger.debug({ peer: peer.id, err: err.details }, 'consistency check: a member did not answer');
        resolve(err === null && res !== undefined ? res : null);
      });
    });
  }
}
