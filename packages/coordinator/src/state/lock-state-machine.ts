import { deleteValue, revoke } from './admin-commands';
import { applyBatch } from './batch';
import { decodeCommand } from './codec';
import type { Command } from './commands';
import { type MachineContext, newContext } from './context';
import type { ApplyOutput, FenceCheck, HoldRef, LockDescription, LockSummary, SessionView } from './events';
import type { MachineState } from './model';
import { invariantViolations } from './invariants';
import { DEFAULT_LIMITS, DEFAULT_MAX_CLOCK_SKEW_MS, type LockLimits, type LockStateMachineOptions } from './limits';
import { cancel, lock, put, release } from './lock-commands';
import * as queries from './queries';
import { adminExpireSession, closeSession, expireSessions, openSession, renew, resumeSession } from './session-commands';
import { decodeSnapshot, encodeSnapshot } from './snapshot';
import { ok, quote, refusal, type Status } from './status';
import { compactTimers, fireTimers, nextTimerAt, rebuildTimers, shiftForNewTerm } from './time';
import { checkStamp } from './validate';

/**
 * The shape of a Raft log entry as @quorumlock/raft hands it to a state machine
 * (`Entry` in packages/raft/src/core/types.ts), declared here so that this package does not
 * depend on raft internals.
 */
export interface RaftEntryLike {
  readonly term: number;
  readonly index: number;
  readonly type: string;
  readonly data: Uint8Array;
}

/** Where a command sits in the log. */
export interface ApplyMeta {
  readonly index: number;
  readonly term: number;
}

/** A committed entry that does not decode: the replica must stop rather than apply or skip it. */
export class CorruptEntryError extends Error {
  override readonly name = 'CorruptEntryError';
}

/**
 * The replicated lock state machine: pure and deterministic (DESIGN.md, STYLE.md 6.2). It never
 * reads a clock or a random source; its time is `max(now, stamp)` over the applied commands.
 * Plug it into Raft as a `StateMachine<ApplyOutput>`: `apply(entry)`, `snapshot()`, `restore()`.
 *
 * Each apply runs, in order: (1) on the first entry of a new term, every session deadline and
 * running lock-delay moves `maxClockSkewMs` later; (2) time advances to the command's stamp, and
 * due wait timeouts (DEADLINE_EXCEEDED) and lock-delay ends take effect, granting to the waiters
 * they unblock; (3) the command itself.
 *
 * Fencing tokens: a grant made while applying the entry at index i gets
 * `token = max(i, lastToken + 1)`. So a token is the Raft index of its granting entry whenever
 * that entry makes one grant (the usual case), and when one entry makes several grants (a release
 * that admits several shared waiters, an expiry that frees several resources) they get
 * consecutive numbers from i on. Tokens are unique and strictly increasing across the whole
 * machine (and so the cluster, since every replica applies the same log), survive failover and
 * restore (`lastToken` is in the snapshot), and stay close to the Raft index, far from 2^53.
 * `grantIndex` on a holder keeps the exact index of the granting entry.
 *
 * This class is the dispatcher: the state and what is derived from it live in one
 * MachineContext (context.ts), and each command is a function over it (session-commands.ts,
 * lock-commands.ts, admin-commands.ts on top of lock-table.ts, ledger.ts, time.ts, validate.ts;
 * views in queries.ts).
 *
 * Every replica must use the same options (they change answers).
 */
export class LockStateMachine {
  readonly maxClockSkewMs: number;
  readonly limits: LockLimits;
  private readonly m: MachineContext;
  /** The last snapshot validateSnapshot accepted, decoded, until the next restore (see there). */
  private validated: { readonly bytes: Uint8Array; readonly state: MachineState } | null = null;

  constructor(options: LockStateMachineOptions = {}) {
    const skew = options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
    if (!Number.isSafeInteger(skew) || skew < 0) throw new RangeError(`maxClockSkewMs ${skew} is not a non-negative integer`);
    this.maxClockSkewMs = skew;
    this.limits = Object.freeze({ ...DEFAULT_LIMITS, ...options.limits });
    for (const [key, value] of Object.entries(this.limits)) {
      if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`limit ${key} ${String(value)} is not a positive integer`);
    }
    this.m = newContext(this.limits, skew);
  }

  // ---------------------------------------------------------------- Raft StateMachine interface

  /**
   * Applies one committed entry: decodes its data (msgpack, see codec.ts) and runs the command.
   * A decodable value that is no valid command changes nothing but the term and answers
   * INVALID_ARGUMENT. Bytes that are not MessagePack at all throw {@link CorruptEntryError}: the
   * leader encodes every entry, so they mean corruption or a bug, and skipping them would let
   * this replica diverge from the others. The node must stop instead.
   *
   * RaftNode hands over only committed `normal` entries with data, once each and in index order
   * (StateMachine's contract in @quorumlock/raft, pinned by its state-machine-contract test), and
   * every entry's index and term are safe integers (LevelStorage checks each entry it writes or
   * reads, the peer message decoder each one it receives). None of that is checked again here: an
   * empty entry counts as undecodable.
   */
  apply(entry: RaftEntryLike): ApplyOutput {
    const parsed = decodeCommand(entry.data);
    if (parsed.ok) return this.applyCommand(parsed.command, entry);
    if ('undecodable' in parsed) {
      throw new CorruptEntryError(`entry ${entry.index} (term ${entry.term}) does not decode: ${parsed.message}; refusing to apply or skip it`);
    }
    this.begin(entry);
    return this.finish(refusal('ERR_INVALID_ARGUMENT', `entry ${entry.index}: ${parsed.message}`));
  }

  /** The state as of the last applied entry, as canonical msgpack bytes (equal states, equal bytes). */
  snapshot(): Uint8Array {
    return encodeSnapshot(this.m.st);
  }

  /**
   * Null when `restore(data)` would accept `data`, else why not; changes nothing. A follower
   * validates a leader's snapshot on receipt and restores it right after: the state decoded here
   * is kept (with a copy of its bytes) for a restore of the same bytes, so that it is decoded once.
   */
  validateSnapshot(data: Uint8Array): string | null {
    this.validated = null;
    try {
      this.validated = { bytes: new Uint8Array(data), state: decodeSnapshot(data) };
      return null;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  /** Replaces the whole state with one from `snapshot()` (of any replica). */
  restore(data: Uint8Array): void {
    const m = this.m;
    const validated = this.validated;
    this.validated = null;
    m.st = validated !== null && sameBytes(validated.bytes, data) ? validated.state : decodeSnapshot(data);
    m.deadlineFloor = -Infinity;
    rebuildTimers(m);
    m.valueBytes = 0;
    for (const r of m.st.resources.values()) m.valueBytes += r.value.byteLength;
  }

  // ---------------------------------------------------------------- commands

  /** Applies one command at log position `meta` and reports what it produced. */
  applyCommand(command: Command, meta: ApplyMeta): ApplyOutput {
    this.begin(meta);
    return this.finish(this.step(command));
  }

  /** One command at the current log position: its stamp moves time on, due timers fire, it runs. */
  private step(command: Command): Status {
    const badStamp = checkStamp(command.stamp);
    if (badStamp !== undefined) return badStamp;
    this.m.st.now = Math.max(this.m.st.now, command.stamp);
    fireTimers(this.m);
    return this.run(command);
  }

  /** One case per command type: a new command is a new case here and a function in its module. */
  private run(c: Command): Status {
    const m = this.m;
    switch (c.type) {
      case 'batch': // stream requests sharing one entry (state/batch.ts)
        return applyBatch(c, (sub) => this.step(sub));
      case 'openSession':
        return openSession(m, c);
      case 'resumeSession':
        return resumeSession(m, c);
      case 'renew':
        return renew(m, c.sessionIds);
      case 'expireSessions':
        return expireSessions(m, c.sessionIds);
      case 'closeSession':
        return closeSession(m, c.sessionId);
      case 'adminExpireSession':
        return adminExpireSession(m, c.sessionId);
      case 'lock':
        return lock(m, c);
      case 'release':
        return release(m, c);
      case 'cancel':
        return cancel(m, c);
      case 'put':
        return put(m, c);
      case 'tick':
        return ok('tick');
      case 'revoke':
        return revoke(m, c);
      case 'deleteValue':
        return deleteValue(m, c.name);
      default: {
        const unknown: { type?: unknown } = c;
        return refusal('ERR_INVALID_ARGUMENT', `unknown command type ${quote(String(unknown.type))}`);
      }
    }
  }

  /** Start of every apply: position in the log, and the clock-skew shift on a new term. */
  private begin(meta: ApplyMeta): void {
    const m = this.m;
    m.events = [];
    m.observations = [];
    m.st.index = meta.index;
    if (meta.term > m.st.term) {
      m.st.term = meta.term;
      shiftForNewTerm(m);
    }
  }

  /** End of every apply: the timer sweep, and the output, handed over (the next apply starts afresh). */
  private finish(result: Status): ApplyOutput {
    const m = this.m;
    compactTimers(m);
    const { events, observations } = m;
    m.events = [];
    m.observations = [];
    return { index: m.st.index, now: m.st.now, status: result, events, observations };
  }

  // ---------------------------------------------------------------- read-only queries

  /** The machine's time: the largest stamp applied so far (0 before any). */
  get now(): number {
    return this.m.st.now;
  }

  /** Term of the last applied entry. */
  get term(): number {
    return this.m.st.term;
  }

  /** Index of the last applied entry (restored with a snapshot). */
  get appliedIndex(): number {
    return this.m.st.index;
  }

  /** Total bytes of every resource's fenced value (what `maxTotalValueBytes` bounds). */
  get totalValueBytes(): number {
    return this.m.valueBytes;
  }

  /** The newest fencing token granted (0: none). */
  get lastToken(): number {
    return this.m.st.lastToken;
  }

  getSession(sessionId: string): SessionView | undefined {
    return queries.getSession(this.m.st, sessionId);
  }

  /** Every session, in the order they were opened. */
  listSessions(): SessionView[] {
    return queries.listSessions(this.m.st);
  }

  /** What a session holds, in token order (for `opened` on resume); undefined if it does not exist. */
  sessionHolds(sessionId: string): HoldRef[] | undefined {
    return queries.sessionHolds(this.m.st, sessionId);
  }

  /** Every resource whose name starts with `prefix`, sorted by name. */
  listLocks(prefix = ''): LockSummary[] {
    return queries.listLocks(this.m.st, prefix);
  }

  describeLock(name: string): LockDescription | undefined {
    return queries.describeLock(this.m.st, name);
  }

  /** lock.proto `CheckFence`: whether `token` is a current hold of `name`, and the newest token granted on it. */
  checkFence(name: string, token: number): FenceCheck {
    return queries.checkFence(this.m.st, name, token);
  }

  /**
   * When the next wait timeout or lock-delay end falls due (leader time), or undefined if none:
   * the leader proposes a `tick` stamped at or after it unless another entry comes first.
   */
  nextTimerAt(): number | undefined {
    return nextTimerAt(this.m);
  }

  /** Sessions whose deadline is at or before `now` (leader clock): candidates for `expireSessions`. */
  overdueSessions(now: number): string[] {
    return queries.overdueSessions(this.m, now);
  }

  /** How many sessions exist (O(1), unlike listSessions). */
  sessionCount(): number {
    return this.m.st.sessions.size;
  }

  /** Bytes every fenced value takes together, against `limits.maxTotalValueBytes` (the value quota). */
  valueBytesUsed(): number {
    return this.m.valueBytes;
  }

  /** The earliest session deadline, or undefined with no sessions. */
  nextSessionDeadline(): number | undefined {
    return queries.nextSessionDeadline(this.m.st);
  }

  /** Queued requests now, and the machine time the longest-waiting one was queued (for metrics; O(waiters)). */
  waitStats(): { waiters: number; oldestEnqueuedAt: number | undefined } {
    return queries.waitStats(this.m.st);
  }

  /**
   * Cross-checks the whole state and lists what is wrong (empty: consistent). For tests and the
   * simulator; O(state).
   */
  invariantViolations(): string[] {
    return invariantViolations(this.m);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
