import type { Logger } from './logger';
import type { Rng } from './rng';
import type { NodeId } from './types';
import type { Storage } from './storage';

/** Invalid configuration; the message names the field and the value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface RaftConfig {
  readonly id: NodeId;
  readonly storage: Storage;
  /** Source of the randomized election timeout; seed it in tests. */
  readonly rng: Rng;
  /** A follower that hears nothing from a leader for this many ticks (randomized up to 2x) campaigns. */
  readonly electionTicks: number;
  /** A leader sends heartbeats every this many ticks. Must be less than electionTicks. */
  readonly heartbeatTicks: number;
  /** The state machine's applied index at start (entries after it are handed out again). */
  readonly applied: number;
  /** Upper bound of entry bytes in one AppendEntries message. */
  readonly maxBytesPerMsg: number;
  /** Upper bound of AppendEntries messages in flight to one follower while replicating. */
  readonly maxInflightMsgs: number;
  /** Upper bound of committed entry bytes handed out in one Ready. */
  readonly maxCommittedBytesPerReady: number;
  /** Bytes per InstallSnapshot chunk. */
  readonly snapshotChunkBytes: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  /** Members to start with when storage is empty (a new cluster); ignored on restart. */
  readonly peers: readonly NodeId[];
  readonly logger: Logger;
  /**
   * Checks a received snapshot's data before it is installed (and so persisted): null when it is
   * one the application can restore, else why not. A snapshot that fails is refused, so nothing
   * from a forged or damaged InstallSnapshot reaches the disk. Default: accept everything.
   */
  readonly validateSnapshot: (data: Uint8Array) => string | null;
}

export type RaftConfigInput = Pick<RaftConfig, 'id' | 'storage' | 'rng'> & Partial<Omit<RaftConfig, 'id' | 'storage' | 'rng'>>;

export const DEFAULT_RAFT_CONFIG = {
  electionTicks: 10,
  heartbeatTicks: 1,
  applied: 0,
  maxBytesPerMsg: 1 << 20,
  maxInflightMsgs: 256,
  maxCommittedBytesPerReady: 8 << 20,
  snapshotChunkBytes: 256 << 10,
  preVote: true,
  checkQuorum: true,
  peers: [] as readonly NodeId[],
  validateSnapshot: (): string | null => null,
} as const;

function positiveInt(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigError(`${name} must be a positive integer, got ${String(value)}`);
  }
}

/** Fill defaults and reject nonsense, naming the field and its value. */
export function validateConfig(input: RaftConfigInput, logger: Logger): RaftConfig {
  const cfg: RaftConfig = { ...DEFAULT_RAFT_CONFIG, logger, ...input };
  if (cfg.id === '') throw new ConfigError('id must be a non-empty node id');
  positiveInt('electionTicks', cfg.electionTicks);
  positiveInt('heartbeatTicks', cfg.heartbeatTicks);
  positiveInt('maxBytesPerMsg', cfg.maxBytesPerMsg);
  positiveInt('maxInflightMsgs', cfg.maxInflightMsgs);
  positiveInt('maxCommittedBytesPerReady', cfg.maxCommittedBytesPerReady);
  positiveInt('snapshotChunkBytes', cfg.snapshotChunkBytes);
  if (cfg.heartbeatTicks >= cfg.electionTicks) {
    throw new ConfigError(
      `heartbeatTicks (${cfg.heartbeatTicks}) must be less than electionTicks (${cfg.electionTicks})`,
    );
  }
  if (!Number.isSafeInteger(cfg.applied) || cfg.applied < 0) {
    throw new ConfigError(`applied must be a non-negative integer, got ${String(cfg.applied)}`);
  }
  const seen = new Set<string>();
  for (const p of cfg.peers) {
    if (p === '' || seen.has(p)) throw new ConfigError(`peers must be distinct non-empty ids, got ${JSON.stringify(cfg.peers)}`);
    seen.add(p);
  }
  return cfg;
}
