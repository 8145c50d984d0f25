import * as grpc from '@grpc/grpc-js';

/** Trailer naming the leader's client address on an UNAVAILABLE from a follower (lock.proto). */
export const LEADER_TRAILER = 'quorumlock-leader';
/** Trailer with the stable error code of STYLE.md's error table. */
export const ERROR_CODE_TRAILER = 'x-lock-error-code';

export interface StatusError extends Partial<grpc.StatusObject> {
  code: grpc.status;
  details: string;
  metadata: grpc.Metadata;
}

export function statusError(code: grpc.status, details: string, errorCode: string, extra: Record<string, string> = {}): StatusError {
  const metadata = new grpc.Metadata();
  metadata.set(ERROR_CODE_TRAILER, errorCode);
  for (const [k, v] of Object.entries(extra)) metadata.set(k, v);
  return { code, details, metadata };
}

/** UNAVAILABLE from a node that is not the leader: with the leader's address when known. */
export function notLeader(nodeId: string, leaderAddress: string): StatusError {
  if (leaderAddress === '') {
    return statusError(grpc.status.UNAVAILABLE, `node ${nodeId} is not the leader and knows no leader; retry another node`, 'ERR_NO_LEADER');
  }
  return statusError(grpc.status.UNAVAILABLE, `node ${nodeId} is not the leader; the leader is at ${leaderAddress}`, 'ERR_NOT_LEADER', {
    [LEADER_TRAILER]: leaderAddress,
  });
}

/** Map a state machine status code (a gRPC code) to the stable error code of the table. */
export function errorCodeFor(code: number): string {
  switch (code) {
    case grpc.status.INVALID_ARGUMENT:
      return 'ERR_INVALID_ARGUMENT';
    case grpc.status.NOT_FOUND:
      return 'ERR_NOT_FOUND';
    case grpc.status.FAILED_PRECONDITION:
      return 'ERR_FAILED_PRECONDITION';
    case grpc.status.ABORTED:
      return 'ERR_DEADLOCK';
    case grpc.status.DEADLINE_EXCEEDED:
      return 'ERR_DEADLINE';
    case grpc.status.RESOURCE_EXHAUSTED:
      return 'ERR_RESOURCE_EXHAUSTED';
    case grpc.status.CANCELLED:
      return 'ERR_CANCELLED';
    case grpc.status.UNAVAILABLE:
      return 'ERR_UNAVAILABLE';
    case grpc.status.PERMISSION_DENIED:
      return 'ERR_PERMISSION_DENIED';
    case grpc.status.UNAUTHENTICATED:
      return 'ERR_UNAUTHENTICATED';
    default:
      return 'ERR_INTERNAL';
  }
}
