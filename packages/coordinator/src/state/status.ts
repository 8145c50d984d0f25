/**
 * gRPC status codes used in the state machine's answers, as plain numbers so that the server can
 * put them on the wire unchanged (`RequestFailed.code`, or the status of a unary admin call).
 * DESIGN.md fixes which code means what; every message names the offending value.
 */
import { ERROR_CODES, GrpcStatus, type ErrorCode } from '@quorumlock/proto/error-codes';

export const Code = {
  OK: 0,
  CANCELLED: 1,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
} as const;
export type Code = (typeof Code)[keyof typeof Code];

/** The catalogue's codes whose gRPC status the machine answers with (those in `Code`). */
export type MachineErrorCode = {
  [K in ErrorCode]: (typeof GrpcStatus)[(typeof ERROR_CODES)[K]['status']] extends Code ? K : never;
}[ErrorCode];

/** The outcome of one command for whoever proposed it: `code` 0 is success. */
export interface Status {
  readonly code: Code;
  readonly message: string;
  /** Set on every failure: the catalogue's code (@quorumlock/proto error-codes), sent on the wire. */
  readonly errorCode?: MachineErrorCode;
}

/** A failed outcome: its gRPC status is the one the catalogue gives its code. */
export interface Failure extends Status {
  readonly errorCode: MachineErrorCode;
}

export function ok(message = 'ok'): Status {
  return { code: Code.OK, message };
}

export function refusal(errorCode: MachineErrorCode, message: string): Failure {
  // MachineErrorCode admits only codes whose status is in Code.
  return { code: GrpcStatus[ERROR_CODES[errorCode].status] as Code, message, errorCode };
}

/** The longest part of a user-supplied string that a message repeats. */
const QUOTE_MAX_CHARS = 64;

/** Printable ASCII except `"`, `'` and a backslash: what JSON.stringify and the quote escape leave alone. */
const PLAIN = /^[\x20\x21\x23-\x26\x28-\x5b\x5d-\x7e]*$/;

/**
 * A user-supplied string for an error message: single-quoted, control characters escaped, cut
 * to 64 characters (with the full length in bytes appended when cut) so that an oversized name
 * cannot blow up a message.
 */
export function quote(value: string): string {
  // Most names need no escape: printable ASCII without quotes or backslashes quotes as itself.
  if (value.length <= QUOTE_MAX_CHARS && PLAIN.test(value)) return `'${value}'`;
  const cut = value.length > QUOTE_MAX_CHARS;
  const shown = cut ? value.slice(0, QUOTE_MAX_CHARS) : value;
  const escaped = JSON.stringify(shown).slice(1, -1).replace(/'/g, "\\'");
  return cut ? `'${escaped}…' (${utf8ByteLength(value)} bytes)` : `'${escaped}'`;
}

/** UTF-8 length of a string without Buffer (lone surrogates count as 3 bytes, as TextEncoder does). */
export function utf8ByteLength(value: string): number {
  let bytes = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}
