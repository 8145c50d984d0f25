/**
 * Plain data shared by the pure core, storage, transport and simulator. Everything here is
 * structured-clonable and msgpack-encodable: no classes, no bigint, no Map.
 */

/** A node's identity, stable across restarts and address changes. */
export type NodeId = string;

/** `normal` entries carry application data (empty data: the leader's term-start no-op). */
export type EntryType = 'normal' | 'confChange';

export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  /** Owned by the log once proposed: callers must not mutate it. */
  readonly data: Uint8Array;
}

/** What must be durable before a vote or an append acknowledgement leaves the node. */
export interface HardState {
  readonly term: number;
  /** The candidate voted for in `term`, or '' for none. */
  readonly vote: NodeId;
  readonly commit: number;
}

/** Cluster membership: voters decide elections and commits; learners only receive the log. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

/**
 * A single-server membership change, carried by a `confChange` entry and applied when the entry
 * is handed to the application (at most one is ever pending). `context` is opaque to the core;
 * the shell uses it for the node's address.
 */
export type ConfChangeType = 'addLearner' | 'promote' | 'remove';
export interface ConfChange {
  readonly type: ConfChangeType;
  readonly node: NodeId;
  readonly context: string;
}

export interface SnapshotMeta {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

export interface Snapshot {
  readonly meta: SnapshotMeta;
  /** The state machine's serialized state as of `meta.index`. */
  readonly data: Uint8Array;
}

/** Role of a node, as seen in status output and SoftState. */
export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** Volatile state that the application may want to observe; never persisted. */
export interface SoftState {
  readonly lead: NodeId;
  readonly role: Role;
}

/** A linearizable read that is ready: the application may serve `ctx` once it applied `index`. */
export interface ReadState {
  readonly index: number;
  readonly ctx: string;
}

/**
 * Messages between peers: a union discriminated on `type`. `term` is the sender's term (0 for
 * local-only messages). Indexes and terms are safe integers.
 */
export type Message =
  | AppendMessage
  | AppendResponse
  | VoteMessage
  | VoteResponse
  | HeartbeatMessage
  | HeartbeatResponse
  | SnapshotChunk
  | SnapshotResponse
  | TimeoutNowMessage;

interface MessageBase {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

/** AppendEntries: `entries` follow the entry at (`index`, `logTerm`). */
export interface AppendMessage extends MessageBase {
  readonly type: 'app';
  readonly index: number;
  readonly logTerm: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
}

/**
 * Reply to `app`. On success `index` is the last index now known to match. On rejection `index`
 * is the rejected `app.index`, and (`hintIndex`, `hintTerm`) point at the last entry of the
 * follower's log whose term is at most the leader's `logTerm`, so the leader can skip whole terms
 * of conflicting entries in one round trip.
 */
export interface AppendResponse extends MessageBase {
  readonly type: 'appResp';
  readonly index: number;
  readonly reject: boolean;
  readonly hintIndex: number;
  readonly hintTerm: number;
}

/** RequestVote (`preVote`: a trial election that does not bump anyone's term). */
export interface VoteMessage extends MessageBase {
  readonly type: 'vote' | 'preVote';
  readonly lastIndex: number;
  readonly lastTerm: number;
  /** Set for elections started by TimeoutNow: voters skip the leader-lease check. */
  readonly transfer: boolean;
}

export interface VoteResponse extends MessageBase {
  readonly type: 'voteResp' | 'preVoteResp';
  readonly reject: boolean;
}

/** Heartbeat: carries the commit index (capped at the peer's match) and an optional read ctx. */
export interface HeartbeatMessage extends MessageBase {
  readonly type: 'heartbeat';
  readonly commit: number;
  readonly ctx: string;
}

export interface HeartbeatResponse extends MessageBase {
  readonly type: 'heartbeatResp';
  readonly ctx: string;
}

/**
 * One chunk of InstallSnapshot. Chunks of a snapshot are sent in order; the follower
 * restores when it has received the chunk with `done`.
 */
export interface SnapshotChunk extends MessageBase {
  readonly type: 'snap';
  readonly meta: SnapshotMeta;
  readonly offset: number;
  readonly totalBytes: number;
  readonly data: Uint8Array;
  readonly done: boolean;
}

/**
 * Reply to a chunk. `nextOffset` is the byte the follower wants next; `reject` means the follower
 * lost track of the transfer (e.g. it restarted) and the leader must start over from 0.
 * `index` is the follower's last index after a completed install (0 otherwise).
 */
export interface SnapshotResponse extends MessageBase {
  readonly type: 'snapResp';
  readonly snapIndex: number;
  readonly nextOffset: number;
  readonly reject: boolean;
  readonly index: number;
}

/** Leadership transfer: the target starts an election at once, skipping PreVote and leases. */
export interface TimeoutNowMessage extends MessageBase {
  readonly type: 'timeoutNow';
}

export type MessageType = Message['type'];

/**
 * A batch of work for the shell, produced by `RawNode.ready()`. The shell must, in order:
 * 1. persist `hardState`, `entries` (appending after truncating any conflicting suffix) and
 *    `snapshot` in ONE synced write when `mustSync`;
 * 2. send `messages`;
 * 3. apply `committedEntries` (and restore `snapshot` into the state machine first, if set);
 * 4. call `advance(ready)`.
 */
export interface Ready {
  readonly softState: SoftState | null;
  readonly hardState: HardState | null;
  readonly entries: readonly Entry[];
  readonly snapshot: Snapshot | null;
  readonly committedEntries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly readStates: readonly ReadState[];
  readonly mustSync: boolean;
}

/**
 * Messages a leader may send before the Ready that carries them is persisted: they promise
 * nothing about this node's disk. The leader writes its log in parallel with its followers
 * (Raft thesis §10.2.1) and counts itself toward a quorum only once its entries are durable.
 * Everything else (votes, vote requests, append acknowledgements) waits for the persist.
 */
export function sendableBeforePersist(m: Message): boolean {
  return m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap' || m.type === 'timeoutNow';
}

/** Shape of the state a node recovers from storage at start. */
export interface InitialState {
  readonly hardState: HardState;
  readonly confState: ConfState;
}

export const EMPTY_HARD_STATE: HardState = Object.freeze({ term: 0, vote: '', commit: 0 });
