import { isErrorCode } from '@quorumlock/proto/error-codes';
import type { Hold, MachineState, Outcome, Session, Waiter } from './model';
import { refusal, type Code, type MachineErrorCode } from './status';

/** What both snapshot decoders (snapshot.ts, snapshot-read.ts) share. */

/** Thrown by `decodeSnapshot` for bytes that are not a snapshot this version can read. */
export class SnapshotFormatError extends Error {
  override readonly name = 'SnapshotFormatError';
}

/**
 * A session's holds and waits are not in the snapshot: they are rebuilt from the resources, in
 * token and seq order (the order they were made in).
 */
export function linkSessions(state: MachineState, holds: { name: string; hold: Hold }[], waiters: Waiter[]): void {
  holds.sort((x, y) => x.hold.token - y.hold.token);
  for (const { name, hold } of holds) sessionOf(state, hold.sessionId).holds.set(name, hold.token);
  waiters.sort((x, y) => x.seq - y.seq);
  for (const w of waiters) {
    const s = sessionOf(state, w.sessionId);
    s.pending.set(w.requestId, w);
    s.waiting.set(w.name, w);
  }
}

function sessionOf(state: MachineState, id: string): Session {
  const s = state.sessions.get(id);
  if (s === undefined) throw new SnapshotFormatError(`a hold or waiter belongs to unknown session ${id}`);
  return s;
}

export function outcome(kind: unknown, a: unknown, b: unknown, errorCode: unknown): Outcome {
  if (kind === 'failed' && typeof a === 'number' && typeof b === 'string') {
    const code = errorCode === undefined ? legacyErrorCode(a) : errorCode;
    if (!isErrorCode(code) || refusal(code as MachineErrorCode, '').code !== a) {
      throw new SnapshotFormatError(`outcome error code ${String(errorCode)} does not go with status ${a}`);
    }
    return { kind, code: a as Code, message: b, errorCode: code as MachineErrorCode };
  }
  if ((kind === 'granted' || kind === 'released' || kind === 'valuePut') && typeof a === 'string' && typeof b === 'number') {
    return { kind, name: a, token: b };
  }
  throw new SnapshotFormatError(`bad outcome ${String(kind)}`);
}

/** The code of a failure remembered by a snapshot from before error codes: the one its status alone gives. */
function legacyErrorCode(code: number): MachineErrorCode | undefined {
  const byStatus: Record<number, MachineErrorCode> = {
    1: 'ERR_CANCELLED',
    3: 'ERR_INVALID_ARGUMENT',
    4: 'ERR_DEADLINE',
    5: 'ERR_SESSION_NOT_FOUND',
    8: 'ERR_QUEUE_FULL',
    9: 'ERR_FAILED_PRECONDITION',
    10: 'ERR_DEADLOCK',
  };
  return byStatus[code];
}
