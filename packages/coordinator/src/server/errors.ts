import * as grpc from '@grpc/grpc-js';
import { ERROR_CODE_METADATA_KEY, grpcStatusOf, type ErrorCode } from '@quorumlock/proto';

/** Trailer naming the leader's client address on an UNAVAILABLE from a follower (lock.proto). */
export const LEADER_TRAILER = 'quorumlock-leader';
/** Trailer with the catalogue's error code (@quorumlock/proto error-codes, README "Error codes"). */
export const ERROR_CODE_TRAILER = ERROR_CODE_METADATA_KEY;

export interface StatusError extends Partial<grpc.StatusObject> {
  code: grpc.status;
  details: string;
  metadata: grpc.Metadata;
}

/** An error status for `errorCode`: the catalogue's gRPC status, and the code in the trailer. */
export function statusError(errorCode: ErrorCode, details: string, extra: Record<string, string> = {}): StatusError {
  const metadata = new grpc.Metadata();
  metadata.set(ERROR_CODE_TRAILER, errorCode);
  for (const [k, v] of Object.entries(extra)) metadata.set(k, v);
  return { code: grpcStatusOf(errorCode), details, metadata };
}

/** UNAVAILABLE from a node that is not the leader: with the leader's address when known. */
export function notLeader(nodeId: string, leaderAddress: string): StatusError {
  if (leaderAddress === '') {
    return statusError('ERR_NO_LEADER', `node ${nodeId} is not the leader and knows no leader; retry another node`);
  }
  return statusError('ERR_NOT_LEADER', `node ${nodeId} is not the leader; the leader is at ${leaderAddress}`, {
    [LEADER_TRAILER]: leaderAddress,
  });
}
