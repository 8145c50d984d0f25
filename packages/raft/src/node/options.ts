import type { RaftConfigInput } from '../core/config';
import { silentLogger, type Logger } from '../core/logger';
import { SeededRng, type Rng } from '../core/rng';
import type { NodeId, Role } from '../core/types';
import type { WritableStorage } from '../storage/storage';
import type { Transport } from '../transport/transport';
import { validateSnapshotEnvelope } from './snapshot-envelope';
import type { StateMachine } from './state-machine';

/** A member and the opaque context it joined with (the shell stores its addresses there). */
export interface MemberInfo {
  readonly id: NodeId;
  readonly voter: boolean;
  readonly peerAddress: string;
  readonly context: Readonly<Record<string, string>>;
}

export interface RaftNodeOptions<Result> {
  readonly id: NodeId;
  readonly storage: WritableStorage;
  readonly transport: Transport;
  readonly stateMachine: StateMachine<Result>;
  /** Founding members and their peer addresses; used to bootstrap an empty store and to find founders. */
  readonly peers: Readonly<Record<NodeId, string>>;
  /**
   * How this node reaches other members, from its own configuration: these addresses win over
   * the ones replicated in membership entries and snapshots (which carry the leader's view).
   * Default `peers`; a node that joins an existing cluster has no founders but still knows how
   * to reach the members it was told about.
   */
  readonly peerAddresses?: Readonly<Record<NodeId, string>>;
  /**
   * Extra context of founding members (e.g. `{ client: 'host:port' }`), merged with their peer
   * address; members added later bring theirs in the membership entry.
   */
  readonly founderContexts?: Readonly<Record<NodeId, Readonly<Record<string, string>>>>;
  /** Milliseconds per Raft tick (default 100: 1 s election timeout with 10 election ticks). */
  readonly tickMs?: number;
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  /** Take a snapshot once this many entries were applied since the last one. */
  readonly snapshotEntries?: number;
  /**
   * Also take one once this many bytes of entry data were applied since the last one (default
   * 64 MiB): with entries of very different sizes, a count alone does not bound the log.
   */
  readonly snapshotBytes?: number;
  /** Entries kept below a snapshot so slightly slow followers need no snapshot. */
  readonly keepEntries?: number;
  readonly maxBytesPerMsg?: number;
  readonly maxInflightMsgs?: number;
  readonly snapshotChunkBytes?: number;
  readonly logger?: Logger;
  readonly rng?: Rng;
  readonly observer?: RaftObserver;
}

/**
 * Optional callbacks for metrics, called synchronously from the Ready loop: keep them cheap and
 * never throw. Every field is optional so an observer takes only what it needs.
 */
export interface RaftObserver {
  /** The leader this node knows of changed (`leader` '' while an election runs). */
  leaderChanged?(info: { readonly term: number; readonly leader: NodeId; readonly previous: NodeId; readonly role: Role; readonly reason: string }): void;
  /** A proposal of this node (as leader) was applied here `seconds` after it was proposed. */
  committed?(seconds: number): void;
  /** One storage batch (entries, hard state, snapshot) was written in `seconds`. */
  persisted?(seconds: number, synced: boolean): void;
  snapshotTaken?(bytes: number): void;
  snapshotInstalled?(bytes: number): void;
}

export interface RaftNodeEvents {
  /** Role or known leader changed. */
  leader: [info: { role: Role; leader: NodeId; term: number }];
  /** An entry was applied (after the state machine ran it). */
  applied: [index: number];
  /** A fatal storage failure: the node stopped. */
  fatal: [error: Error];
}

/** The core's configuration for a node started with `opts`, its state machine restored up to `applied`. */
export function rawNodeConfig<Result>(opts: RaftNodeOptions<Result>, applied: number): RaftConfigInput {
  return {
    id: opts.id,
    storage: opts.storage,
    rng: opts.rng ?? new SeededRng(Math.floor(Math.random() * 2 ** 31)),
    applied,
    peers: Object.keys(opts.peers).sort(),
    logger: opts.logger ?? silentLogger,
    ...(opts.electionTicks === undefined ? {} : { electionTicks: opts.electionTicks }),
    ...(opts.heartbeatTicks === undefined ? {} : { heartbeatTicks: opts.heartbeatTicks }),
    ...(opts.maxBytesPerMsg === undefined ? {} : { maxBytesPerMsg: opts.maxBytesPerMsg }),
    ...(opts.maxInflightMsgs === undefined ? {} : { maxInflightMsgs: opts.maxInflightMsgs }),
    ...(opts.snapshotChunkBytes === undefined ? {} : { snapshotChunkBytes: opts.snapshotChunkBytes }),
    validateSnapshot: (data) => validateSnapshotEnvelope(data, opts.stateMachine),
  };
}
