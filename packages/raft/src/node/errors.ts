import type { NodeId } from '../core/types';

/** This node is not the leader; `leader` is the one it knows of ('' when none). */
export class NotLeaderError extends Error {
  override readonly name = 'NotLeaderError';
  readonly code = 'ERR_NOT_LEADER';
  constructor(readonly leader: NodeId, readonly leaderAddress: string, detail: string) {
    super(detail);
  }
}

/**
 * Leadership changed after the proposal was accepted: it may or may not commit. Retrying is
 * safe only for idempotent commands (the lock machine deduplicates by request id).
 */
export class OutcomeUnknownError extends Error {
  override readonly name = 'OutcomeUnknownError';
  readonly code = 'ERR_OUTCOME_UNKNOWN';
}

/** The proposal was refused for a reason other than leadership (e.g. a membership change is pending). */
export class ProposalRefusedError extends Error {
  override readonly name = 'ProposalRefusedError';
  readonly code = 'ERR_PROPOSAL_REFUSED';
}

export class NodeStoppedError extends Error {
  override readonly name = 'NodeStoppedError';
  readonly code = 'ERR_STOPPED';
}
