import { applyBatch } from './batch';
import { decodeCommand } from './codec';
import type {
  CancelCommand,
  Command,
  LockCommand,
  LockMode,
  OpenSessionCommand,
  PutCommand,
  ReleaseCommand,
  RevokeCommand,
} from './commands';
import type {
  ApplyOutput,
  FenceCheck,
  HoldRef,
  LockDescription,
  LockEvent,
  LockSummary,
  Observation,
  SessionView,
} from './events';
import {
  DEFAULT_LIMITS,
  DEFAULT_MAX_CLOCK_SKEW_MS,
  type LockLimits,
  type LockStateMachineOptions,
  MAX_WAIT_TIMEOUT_MS,
} from './limits';
import { emptyState, type MachineState, type Outcome, type Resource, type Session, type Waiter } from './model';
import {
  blockingEdges,
  canGrant,
  describeBusy,
  EMPTY_VALUE,
  isIdle,
  newResource,
  queuePosition,
  removeHold,
  removeWaiter,
  unitsFor,
} from './resources';
import { holdRefs, isOverdue, mayResume, newSession, ownershipOf, remember, renewSession, waitRefs } from './sessions';
import { decodeSnapshot, encodeSnapshot } from './snapshot';
import { Code, type Failure, type MachineErrorCode, ok, quote, refusal, type Status, utf8ByteLength } from './status';
import { TimerHeap } from './timers';
import { describeCycle, findCycle, type WaitEdge } from './wait-for-graph';

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

/** Longest revoke reason kept, in UTF-8 bytes. */
const MAX_REASON_BYTES = 1024;
const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;
const MIN_TIMER_COMPACT = 4096;

type Timer =
  | { readonly at: number; readonly kind: 'wait'; readonly waiter: Waiter }
  | { readonly at: number; readonly kind: 'delay'; readonly name: string };

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
 * Every replica must use the same options (they change answers).
 */
/**
 * The largest stamp the machine accepts. Deadlines are `now` plus a TTL, a wait timeout or a
 * lock-delay (and a skew shift per term): a stamp near 2^53 made them unsafe integers, a state
 * that applied fine but whose snapshot no replica could restore (found by `pnpm fuzz`). 2^52 ms
 * is beyond year 142,000, so no real clock reaches it, and it leaves 2^52 of headroom.
 */
const MAX_STAMP = 2 ** 52;

export class LockStateMachine {
  readonly maxClockSkewMs: number;
  readonly limits: LockLimits;
  private st: MachineState = emptyState();
  /** Derived from the state: every waiter's timeout and every lock-delay end (lazily deleted). */
  private readonly timers = new TimerHeap<Timer>();
  /** Events of the apply in progress. */
  private events: LockEvent[] = [];
  private observations: Observation[] = [];
  /** Heap size at which stale timers are swept out (amortized O(1) per timer). */
  private timerCompactAt = MIN_TIMER_COMPACT;
  /** Sum of every resource's value bytes: derived from the state (not in the snapshot). */
  private valueBytes = 0;
  /**
   * A lower bound of every session's deadline (derived, not state). Deadlines never move earlier
   * (renewals and term shifts only push them out) and a new session lowers it, so until the
   * clock reaches it `overdueSessions` has nothing to find and skips its O(sessions) scan, which
   * the leader would otherwise run every half tick.
   */
  private deadlineFloor = -Infinity;

  constructor(options: LockStateMachineOptions = {}) {
    const skew = options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
    if (!Number.isSafeInteger(skew) || skew < 0) throw new RangeError(`maxClockSkewMs ${skew} is not a non-negative integer`);
    this.maxClockSkewMs = skew;
    this.limits = Object.freeze({ ...DEFAULT_LIMITS, ...options.limits });
    for (const [key, value] of Object.entries(this.limits)) {
      if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`limit ${key} ${String(value)} is not a positive integer`);
    }
  }

  // ---------------------------------------------------------------- Raft StateMachine interface

  /**
   * Applies one committed entry: decodes its data (msgpack, see codec.ts) and runs the command.
   * Entries that are not `normal` are ignored; an empty one (a leader no-op) only starts its term;
   * a decodable value that is no valid command changes nothing but the term and answers
   * INVALID_ARGUMENT. Bytes that are not MessagePack at all throw {@link CorruptEntryError}: the
   * leader encodes every entry, so they mean corruption or a bug, and skipping them would let
   * this replica diverge from the others. The node must stop instead.
   */
  apply(entry: RaftEntryLike): ApplyOutput {
    if (entry.type !== 'normal') return this.output(entry.index, ok(`ignored ${entry.type} entry`));
    const meta = { index: entry.index, term: entry.term };
    if (entry.data.length === 0) {
      this.begin(meta);
      return this.finish(ok('no-op'));
    }
    const parsed = decodeCommand(entry.data);
    if (!parsed.ok && 'undecodable' in parsed) {
      throw new CorruptEntryError(`entry ${entry.index} (term ${entry.term}) does not decode: ${parsed.message}; refusing to apply or skip it`);
    }
    if (!parsed.ok) {
      this.begin(meta);
      return this.finish(refusal('ERR_INVALID_ARGUMENT', `entry ${entry.index}: ${parsed.message}`));
    }
    return this.applyCommand(parsed.command, meta);
  }

  /** The state as of the last applied entry, as canonical msgpack bytes (equal states, equal bytes). */
  snapshot(): Uint8Array {
    return encodeSnapshot(this.st);
  }

  /** Null when `restore(data)` would accept `data`, else why not; changes nothing. */
  validateSnapshot(data: Uint8Array): string | null {
    try {
      decodeSnapshot(data);
      return null;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  /** Replaces the whole state with one from `snapshot()` (of any replica). */
  restore(data: Uint8Array): void {
    this.st = decodeSnapshot(data);
    this.deadlineFloor = -Infinity;
    this.rebuildTimers();
    this.valueBytes = 0;
    for (const r of this.st.resources.values()) this.valueBytes += r.value.byteLength;
  }

  /**
   * Refills the timer heap from the state: one entry per waiter with a timeout and per running
   * lock-delay. Run on restore, and whenever stale entries (waiters granted or cancelled before
   * their timeout) have doubled the heap, so that it stays proportional to the live timers.
   */
  private rebuildTimers(): void {
    this.timers.clear();
    for (const r of this.st.resources.values()) {
      if (r.lockDelayUntil > 0) this.timers.push({ at: r.lockDelayUntil, kind: 'delay', name: r.name });
      for (const w of r.queue) if (w.deadline > 0) this.timers.push({ at: w.deadline, kind: 'wait', waiter: w });
    }
    this.timerCompactAt = Math.max(MIN_TIMER_COMPACT, 2 * this.timers.size);
  }

  // ---------------------------------------------------------------- commands

  /** Applies one command at log position `meta` and reports what it produced. */
  applyCommand(command: Command, meta: ApplyMeta): ApplyOutput {
    this.begin(meta);
    return this.finish(this.step(command));
  }

  /** One command at the current log position: its stamp moves time on, due timers fire, it runs. */
  private step(command: Command): Status {
    if (!Number.isSafeInteger(command.stamp) || command.stamp < 0 || command.stamp > MAX_STAMP) return refusal('ERR_INVALID_ARGUMENT', `stamp ${command.stamp} is not an integer in [0, ${MAX_STAMP}]`);
    this.st.now = Math.max(this.st.now, command.stamp);
    this.fireTimers();
    return this.run(command);
  }

  private run(c: Command): Status {
    switch (c.type) {
      case 'batch': // stream requests sharing one entry (state/batch.ts)
        return applyBatch(c, (sub) => this.step(sub));
      case 'openSession':
        return this.openSession(c);
      case 'resumeSession':
        return this.resumeSession(c);
      case 'renew':
        return this.renew(c.sessionIds);
      case 'expireSessions':
        return this.expireSessions(c.sessionIds);
      case 'closeSession':
        return this.closeSession(c.sessionId);
      case 'adminExpireSession':
        return this.adminExpireSession(c.sessionId);
      case 'lock':
        return this.lock(c);
      case 'release':
        return this.release(c);
      case 'cancel':
        return this.cancel(c);
      case 'put':
        return this.put(c);
      case 'tick':
        return ok('tick');
      case 'revoke':
        return this.revoke(c);
      case 'deleteValue':
        return this.deleteValue(c.name);
      default: {
        const unknown: { type?: unknown } = c;
        return refusal('ERR_INVALID_ARGUMENT', `unknown command type ${quote(String(unknown.type))}`);
      }
    }
  }

  /** Start of every apply: position in the log, and the clock-skew shift on a new term. */
  private begin(meta: ApplyMeta): void {
    this.events = [];
    this.observations = [];
    if (!Number.isSafeInteger(meta.index) || !Number.isSafeInteger(meta.term)) {
      throw new RangeError(`entry index ${meta.index} / term ${meta.term} is not a safe integer`);
    }
    this.st.index = meta.index;
    if (meta.term > this.st.term) {
      this.st.term = meta.term;
      this.shiftForNewTerm();
    }
  }

  private finish(result: Status): ApplyOutput {
    if (this.timers.size > this.timerCompactAt) this.rebuildTimers();
    return this.output(this.st.index, result);
  }

  private output(index: number, result: Status): ApplyOutput {
    const events = this.events;
    const observations = this.observations;
    this.events = [];
    this.observations = [];
    return { index, now: this.st.now, status: result, events, observations };
  }

  /**
   * A new leader's clock may run ahead of the previous one's by up to `maxClockSkewMs`: move every
   * deadline (and lock-delay end) that much later rather than resetting leases to a full TTL, so a
   * failover neither expires a live holder early nor keeps a dead one for another TTL. Elections
   * are more than an election timeout apart, so repeated ones cannot keep a dead session alive.
   */
  private shiftForNewTerm(): void {
    const skew = this.maxClockSkewMs;
    if (skew === 0) return;
    for (const s of this.st.sessions.values()) s.deadline += skew;
    for (const r of this.st.resources.values()) {
      if (r.lockDelayUntil > 0) {
        r.lockDelayUntil += skew;
        this.timers.push({ at: r.lockDelayUntil, kind: 'delay', name: r.name });
      }
    }
  }

  /**
   * Wait timeouts and lock-delay ends at or before `now`, in (time, waits before delays, seq or
   * name) order: first every due waiter leaves its queue, then lock-delays end, then the touched
   * resources grant what they can, in the order they were first touched.
   */
  private fireTimers(): void {
    const now = this.st.now;
    const due: Timer[] = [];
    for (let top = this.timers.peek(); top !== undefined && top.at <= now; top = this.timers.peek()) {
      this.timers.pop();
      if (this.timerLive(top)) due.push(top);
    }
    if (due.length === 0) return;
    due.sort(compareTimers);
    const touched = new Set<Resource>();
    for (const t of due) {
      if (!this.timerLive(t)) continue;
      if (t.kind === 'wait') {
        const w = t.waiter;
        const r = this.resource(w.name);
        const s = this.session(w.sessionId);
        const position = r.queue.indexOf(w) + 1;
        this.dropWaiter(r, s, w);
        this.observe({ type: 'lockAnswered', outcome: 'timeout', requestedAt: w.enqueuedAt, waited: true });
        this.answer(s, w.requestId, {
          kind: 'failed',
          code: Code.DEADLINE_EXCEEDED,
          errorCode: 'ERR_DEADLINE',
          message: `request ${w.requestId} timed out after ${w.deadline - w.enqueuedAt} ms waiting for ${quote(w.name)} (position ${position} of ${r.queue.length + 1})`,
        });
        touched.add(r);
      } else {
        const r = this.resource(t.name);
        r.lockDelayUntil = 0;
        touched.add(r);
      }
    }
    for (const r of touched) this.settle(r);
  }

  private timerLive(t: Timer): boolean {
    if (t.kind === 'wait') return this.st.sessions.get(t.waiter.sessionId)?.pending.get(t.waiter.requestId) === t.waiter;
    const r = this.st.resources.get(t.name);
    return r !== undefined && r.lockDelayUntil === t.at;
  }

  // ---------------------------------------------------------------- sessions

  private openSession(c: OpenSessionCommand): Status {
    const bad =
      checkText('session_id', c.sessionId, this.limits.maxSessionIdBytes, false) ??
      checkText('client_name', c.clientName, this.limits.maxClientNameBytes, true);
    if (bad !== undefined) return refusal('ERR_INVALID_ARGUMENT', bad);
    if (!Number.isSafeInteger(c.ttlMs) || c.ttlMs < 1 || c.ttlMs > this.limits.maxTtlMs) {
      return refusal('ERR_INVALID_ARGUMENT', `ttl_ms ${c.ttlMs} is out of bounds (1 to ${this.limits.maxTtlMs})`);
    }
    if (this.st.sessions.has(c.sessionId)) return refusal('ERR_SESSION_EXISTS', `session ${c.sessionId} already exists`);
    if (this.st.sessions.size >= this.limits.maxSessions) {
      return refusal('ERR_TOO_MANY_SESSIONS', `the cluster has ${this.st.sessions.size} sessions open; the limit is ${this.limits.maxSessions} (max_sessions)`);
    }
    const s = newSession(c.sessionId, c.clientName, c.ttlMs, this.st.now, ownershipOf(c));
    this.st.sessions.set(s.id, s);
    if (s.deadline < this.deadlineFloor) this.deadlineFloor = s.deadline;
    this.emit({ type: 'sessionOpened', sessionId: s.id, ttlMs: s.ttlMs, resumed: false, holds: [], queued: [], deadline: s.deadline });
    return ok(`session ${s.id} opened`);
  }

  private resumeSession(c: Extract<Command, { type: 'resumeSession' }>): Status {
    const s = this.st.sessions.get(c.sessionId);
    if (s === undefined || !mayResume(s.ownership, c)) return sessionNotFound(c.sessionId);
    renewSession(s, this.st.now);
    this.emit({
      type: 'sessionOpened',
      sessionId: c.sessionId,
      ttlMs: s.ttlMs,
      resumed: true,
      holds: holdRefs(s, this.st.resources),
      queued: waitRefs(s, this.st.resources),
      deadline: s.deadline,
    });
    return ok(`session ${c.sessionId} resumed`);
  }

  private renew(sessionIds: readonly string[]): Status {
    const renewed: string[] = [];
    const notFound: string[] = [];
    for (const id of new Set(sessionIds)) {
      const s = this.st.sessions.get(id);
      if (s === undefined) notFound.push(id);
      else {
        renewSession(s, this.st.now);
        renewed.push(id);
      }
    }
    this.emit({ type: 'renewed', sessionIds: renewed, notFound });
    return ok(`renewed ${renewed.length} sessions, ${notFound.length} not found`);
  }

  /** Expires the candidates whose deadline has passed at `now`; a renewal applied earlier wins. */
  private expireSessions(sessionIds: readonly string[]): Status {
    let expired = 0;
    let alive = 0;
    let missing = 0;
    for (const id of new Set(sessionIds)) {
      const s = this.st.sessions.get(id);
      if (s === undefined) missing++;
      else if (!isOverdue(s, this.st.now)) alive++;
      else {
        expired++;
        this.expireOverdue(s);
      }
    }
    return ok(`expired ${expired} sessions; ${alive} renewed in time, ${missing} not found`);
  }

  private expireOverdue(s: Session): void {
    const silentMs = this.st.now - s.lastRenewal;
    this.endSession(s, 'expired', `session ${s.id} expired: no keepalive for ${silentMs} ms (ttl ${s.ttlMs} ms)`, 'ttl');
  }

  private closeSession(sessionId: string): Status {
    const s = this.st.sessions.get(sessionId);
    if (s === undefined) return sessionNotFound(sessionId);
    this.endSession(s, 'closed', `session ${sessionId} closed`);
    return ok(`session ${sessionId} closed`);
  }

  private adminExpireSession(sessionId: string): Status {
    const s = this.st.sessions.get(sessionId);
    if (s === undefined) return sessionNotFound(sessionId);
    this.endSession(s, 'expired', `session ${sessionId} expired by an administrator`, 'admin');
    return ok(`session ${sessionId} expired`);
  }

  /**
   * Ends a session in one step: its holds end (by expiry: holders get `lost` and lock-delays
   * start; by close: plain releases), its queued requests fail with CANCELLED, it and its
   * remembered outcomes are dropped, and then each resource it touched grants to its next waiters.
   */
  private endSession(s: Session, how: 'expired' | 'closed', reason: string, cause: 'ttl' | 'admin' = 'ttl'): void {
    const touched = new Set<Resource>();
    const released: HoldRef[] = [];
    for (const [name, token] of s.holds) {
      const r = this.resource(name);
      const hold = removeHold(r, token);
      if (hold === undefined) throw new Error(`invariant: session ${s.id} holds ${name} with token ${token} but the resource has no such holder`);
      released.push({ name, token, mode: hold.mode, permits: hold.permits, requestId: hold.requestId });
      this.observe({ type: 'holdEnded', ended: how === 'expired' ? 'session_expired' : 'released', grantedAt: hold.grantedAt });
      if (how === 'expired') {
        this.startLockDelay(r, hold.lockDelayMs);
        this.emit({ type: 'lost', sessionId: s.id, name, token, reason, cause: 'expired' });
      }
      touched.add(r);
    }
    s.holds.clear();
    for (const w of [...s.pending.values()]) {
      const r = this.resource(w.name);
      this.dropWaiter(r, s, w);
      this.observe({ type: 'lockAnswered', outcome: 'session_ended', requestedAt: w.enqueuedAt, waited: true });
      this.emit({
        type: 'failed',
        sessionId: s.id,
        requestId: w.requestId,
        code: Code.CANCELLED,
        errorCode: 'ERR_CANCELLED',
        message: `request ${w.requestId} for ${quote(w.name)} ended with its session: ${reason}`,
      });
      touched.add(r);
    }
    this.st.sessions.delete(s.id);
    if (how === 'expired') this.observe({ type: 'sessionExpired', cause });
    this.emit(how === 'expired' ? { type: 'sessionExpired', sessionId: s.id, reason } : { type: 'sessionClosed', sessionId: s.id, released });
    for (const r of touched) this.settle(r);
  }

  // ---------------------------------------------------------------- requests

  private lock(c: LockCommand): Status {
    const s = this.st.sessions.get(c.sessionId);
    const refuse = (result: Status, outcome: 'refused' | 'deadlock' = 'refused'): Status => {
      this.observe({ type: 'lockAnswered', outcome, requestedAt: this.st.now, waited: false });
      return result;
    };
    if (s === undefined) return refuse(this.failUnrecorded(c.sessionId, c.requestId, sessionNotFound(c.sessionId)));
    const badId = checkRequestId(c.requestId);
    if (badId !== undefined) return refuse(this.failUnrecorded(s.id, c.requestId, badId));
    const replayed = this.replay(s, c.requestId);
    if (replayed !== undefined) return replayed;

    const invalid = this.validateLock(c);
    if (invalid !== undefined) return refuse(this.fail(s, c.requestId, 'ERR_INVALID_ARGUMENT', invalid));
    const capacity = Math.max(1, c.capacity);
    const permits = Math.max(1, c.permits);
    const name = c.name;
    const existing = this.st.resources.get(name);
    if (existing !== undefined && existing.capacity !== capacity) {
      return refuse(this.fail(s, c.requestId, 'ERR_CAPACITY_MISMATCH',
        `capacity ${c.capacity} requested for ${quote(name)}, which has capacity ${existing.capacity}`));
    }
    const heldToken = s.holds.get(name);
    if (heldToken !== undefined) {
      const hold = existing?.holders.find((h) => h.token === heldToken);
      // The same request again after its outcome was forgotten: still the same grant.
      if (hold !== undefined && hold.requestId === c.requestId) return this.replayGrant(s, c.requestId, name, heldToken);
      return refuse(this.fail(s, c.requestId, 'ERR_ALREADY_HELD', `session ${s.id} already holds ${quote(name)} (token ${heldToken})`));
    }
    const waiting = s.waiting.get(name);
    if (waiting !== undefined) {
      return refuse(this.fail(s, c.requestId, 'ERR_ALREADY_WAITING',
        `session ${s.id} is already waiting for ${quote(name)} (request ${waiting.requestId})`));
    }

    const taken = s.holds.size + s.pending.size;
    if (taken >= this.limits.maxHoldsPerSession) {
      return this.fail(s, c.requestId, 'ERR_TOO_MANY_HOLDS',
        `session ${s.id} has ${s.holds.size} holds and ${s.pending.size} queued requests; the limit is ${this.limits.maxHoldsPerSession} (max_holds_per_session)`);
    }
    if (existing === undefined && this.st.resources.size >= this.limits.maxResources) {
      return this.fail(s, c.requestId, 'ERR_TOO_MANY_LOCKS',
        `${quote(name)} would be resource ${this.st.resources.size + 1}; the limit is ${this.limits.maxResources} (max_resources)`);
    }

    const units = unitsFor(capacity, c.mode, permits);
    const r = existing ?? newResource(name, capacity);
    const position = queuePosition(r.queue, c.priority);
    if (position === 0 && canGrant(r, units, this.st.now)) {
      if (existing === undefined) this.st.resources.set(name, r);
      this.grant(r, s, { requestId: c.requestId, mode: c.mode, permits, units, lockDelayMs: c.lockDelayMs });
      this.observe({ type: 'lockAnswered', outcome: 'granted', requestedAt: this.st.now, waited: false });
      return ok(`granted ${quote(name)}`);
    }
    // Not grantable now, so the resource exists (a new one is always grantable).
    if (c.tryOnly) return refuse(this.fail(s, c.requestId, 'ERR_LOCK_HELD', describeBusy(r, this.st.now)));
    if (r.queue.length >= this.limits.maxQueueLength) {
      return refuse(this.fail(s, c.requestId, 'ERR_QUEUE_FULL',
        `the queue of ${quote(name)} is full (${r.queue.length} waiting; the limit is ${this.limits.maxQueueLength})`));
    }
    const cycle = findCycle(s.id, blockingEdges(r, units, s.id), (id) => this.waitEdges(id));
    if (cycle !== undefined) return refuse(this.fail(s, c.requestId, 'ERR_DEADLOCK', describeCycle(cycle)), 'deadlock');

    const waiter: Waiter = {
      seq: this.st.nextSeq++,
      sessionId: s.id,
      requestId: c.requestId,
      name,
      mode: c.mode,
      permits,
      units,
      priority: c.priority,
      enqueuedAt: this.st.now,
      deadline: c.waitTimeoutMs > 0 ? this.st.now + c.waitTimeoutMs : 0,
      lockDelayMs: c.lockDelayMs,
    };
    r.queue.splice(position, 0, waiter);
    s.pending.set(waiter.requestId, waiter);
    s.waiting.set(name, waiter);
    if (waiter.deadline > 0) this.timers.push({ at: waiter.deadline, kind: 'wait', waiter });
    this.observe({ type: 'lockQueued', requestedAt: this.st.now });
    this.emit({ type: 'queued', sessionId: s.id, requestId: c.requestId, name, position: position + 1 });
    return ok(`queued on ${quote(name)} at position ${position + 1}`);
  }

  private validateLock(c: LockCommand): string | undefined {
    const nameError = this.checkName(c.name);
    if (nameError !== undefined) return nameError;
    if (!Number.isSafeInteger(c.capacity) || c.capacity < 0) return `capacity ${c.capacity} is not a non-negative integer`;
    if (c.capacity > this.limits.maxCapacity) return `capacity ${c.capacity} is above the limit of ${this.limits.maxCapacity}`;
    if (c.mode !== 'exclusive' && c.mode !== 'shared') return `mode ${quote(String(c.mode))} is neither 'exclusive' nor 'shared'`;
    if (!Number.isSafeInteger(c.permits) || c.permits < 0) return `permits ${c.permits} is not a non-negative integer`;
    if (c.permits > Math.max(1, c.capacity)) return `permits ${c.permits} is more than the capacity ${Math.max(1, c.capacity)} of ${quote(c.name)}`;
    if (!Number.isInteger(c.priority) || c.priority < INT32_MIN || c.priority > INT32_MAX) return `priority ${c.priority} is not a 32-bit integer`;
    if (!Number.isSafeInteger(c.waitTimeoutMs) || c.waitTimeoutMs < 0 || c.waitTimeoutMs > MAX_WAIT_TIMEOUT_MS) {
      return `wait_timeout_ms ${c.waitTimeoutMs} is out of bounds (0 to ${MAX_WAIT_TIMEOUT_MS})`;
    }
    if (!Number.isSafeInteger(c.lockDelayMs) || c.lockDelayMs < 0 || c.lockDelayMs > this.limits.maxLockDelayMs) {
      return `lock_delay_ms ${c.lockDelayMs} is out of bounds (0 to ${this.limits.maxLockDelayMs})`;
    }
    if (typeof c.tryOnly !== 'boolean') return `try_only ${String(c.tryOnly)} is not a boolean`;
    return undefined;
  }

  /**
   * What a release and a put check first: the session, the request id, a replay of an earlier
   * answer, then name and token. Returns the session to go on with, or the answer.
   */
  private tokenRequest(c: { sessionId: string; requestId: number; name: string; token: number }): Session | Status {
    const s = this.st.sessions.get(c.sessionId);
    if (s === undefined) return this.failUnrecorded(c.sessionId, c.requestId, sessionNotFound(c.sessionId));
    const badId = checkRequestId(c.requestId);
    if (badId !== undefined) return this.failUnrecorded(s.id, c.requestId, badId);
    const replayed = this.replay(s, c.requestId);
    if (replayed !== undefined) return replayed;
    const invalid = this.checkName(c.name) ?? checkToken(c.token);
    if (invalid !== undefined) return this.fail(s, c.requestId, 'ERR_INVALID_ARGUMENT', invalid);
    return s;
  }

  private release(c: ReleaseCommand): Status {
    const s = this.tokenRequest(c);
    if ('code' in s) return s;
    const stale = this.checkHold(s, c.name, c.token);
    if (stale !== undefined) return this.fail(s, c.requestId, 'ERR_NOT_HOLDER', stale);

    const r = this.resource(c.name);
    const hold = removeHold(r, c.token);
    if (hold !== undefined) this.observe({ type: 'holdEnded', ended: 'released', grantedAt: hold.grantedAt });
    s.holds.delete(c.name);
    this.answer(s, c.requestId, { kind: 'released', name: c.name, token: c.token });
    this.settle(r);
    return ok(`released ${quote(c.name)} (token ${c.token})`);
  }

  private put(c: PutCommand): Status {
    const s = this.tokenRequest(c);
    if ('code' in s) return s;
    if (!(c.value instanceof Uint8Array)) return this.fail(s, c.requestId, 'ERR_INVALID_ARGUMENT', 'value is not bytes');
    if (c.value.byteLength > this.limits.maxValueBytes) {
      return this.fail(
        s,
        c.requestId,
        'ERR_VALUE_TOO_LARGE',
        `value for ${quote(c.name)} is ${c.value.byteLength} bytes; the limit is ${this.limits.maxValueBytes}`,
      );
    }
    const stale = this.checkHold(s, c.name, c.token);
    if (stale !== undefined) return this.fail(s, c.requestId, 'ERR_NOT_HOLDER', stale);

    const r = this.resource(c.name);
    const grows = c.value.byteLength - r.value.byteLength;
    if (grows > 0 && this.valueBytes + grows > this.limits.maxTotalValueBytes) {
      return this.fail(
        s,
        c.requestId,
        'ERR_QUOTA',
        `value quota: values take ${this.valueBytes} bytes and ${quote(c.name)} would add ${grows}; the limit is ${this.limits.maxTotalValueBytes} (quota_value_bytes); free space with delete-value`,
      );
    }
    this.valueBytes += grows;
    // Copy: decoded values are views into the entry's bytes.
    r.value = c.value.byteLength === 0 ? EMPTY_VALUE : new Uint8Array(c.value);
    this.answer(s, c.requestId, { kind: 'valuePut', name: c.name, token: c.token });
    return ok(`value of ${quote(c.name)} set (${c.value.byteLength} bytes)`);
  }

  /**
   * Cancels a queued lock request (`requestId` is the lock's id): it leaves its queue and is
   * answered with `failed` CANCELLED. A request already answered is left alone (no event). An id
   * the session has never used is remembered as cancelled, so a lock request with that id that
   * arrives later fails the same way instead of being granted behind the client's back.
   */
  private cancel(c: CancelCommand): Status {
    const s = this.st.sessions.get(c.sessionId);
    if (s === undefined) return this.failUnrecorded(c.sessionId, c.requestId, sessionNotFound(c.sessionId));
    const badId = checkRequestId(c.requestId);
    if (badId !== undefined) return this.failUnrecorded(s.id, c.requestId, badId);
    const waiter = s.pending.get(c.requestId);
    if (waiter !== undefined) {
      const r = this.resource(waiter.name);
      this.dropWaiter(r, s, waiter);
      this.observe({ type: 'lockAnswered', outcome: 'cancelled', requestedAt: waiter.enqueuedAt, waited: true });
      this.answer(s, c.requestId, {
        kind: 'failed',
        code: Code.CANCELLED,
        errorCode: 'ERR_CANCELLED',
        message: `request ${c.requestId} for ${quote(waiter.name)} was cancelled`,
      });
      this.settle(r);
      return ok(`request ${c.requestId} cancelled`);
    }
    if (s.done.has(c.requestId) || this.holdOfRequest(s, c.requestId) !== undefined) {
      return ok(`request ${c.requestId} was already answered`);
    }
    this.answer(s, c.requestId, {
      kind: 'failed',
      code: Code.CANCELLED,
      errorCode: 'ERR_CANCELLED',
      message: `request ${c.requestId} was cancelled before it was queued`,
    });
    return ok(`request ${c.requestId} cancelled before it arrived`);
  }

  /** Admin: ends one hold of `name` (`token`) or all of them; holders get `lost`, lock-delays start. */
  private revoke(c: RevokeCommand): Status {
    const invalid =
      this.checkName(c.name) ??
      (c.token === undefined ? undefined : checkToken(c.token)) ??
      checkText('reason', c.reason, MAX_REASON_BYTES, true);
    if (invalid !== undefined) return refusal('ERR_INVALID_ARGUMENT', invalid);
    const r = this.st.resources.get(c.name);
    if (r === undefined) return refusal('ERR_NOT_FOUND', `no lock named ${quote(c.name)}`);
    const targets = c.token === undefined ? [...r.holders] : r.holders.filter((h) => h.token === c.token);
    if (targets.length === 0) {
      return refusal(
        'ERR_NOT_HOLDER',
        c.token === undefined ? `${quote(c.name)} has no holders` : `token ${c.token} is not a current hold of ${quote(c.name)}`,
      );
    }
    const reason = c.reason === '' ? 'revoked by an administrator' : c.reason;
    for (const hold of targets) {
      removeHold(r, hold.token);
      this.observe({ type: 'holdEnded', ended: 'revoked', grantedAt: hold.grantedAt });
      this.session(hold.sessionId).holds.delete(c.name);
      this.startLockDelay(r, hold.lockDelayMs);
      this.emit({ type: 'lost', sessionId: hold.sessionId, name: c.name, token: hold.token, reason, cause: 'revoked' });
    }
    this.settle(r);
    return ok(`revoked ${targets.length} holds of ${quote(c.name)}`);
  }

  /** Admin: drops the value of `name`; the resource goes too when nothing else keeps it. */
  private deleteValue(name: string): Status {
    const invalid = this.checkName(name);
    if (invalid !== undefined) return refusal('ERR_INVALID_ARGUMENT', invalid);
    const r = this.st.resources.get(name);
    if (r === undefined) return refusal('ERR_NOT_FOUND', `no lock named ${quote(name)}`);
    const bytes = r.value.byteLength;
    this.valueBytes -= bytes;
    r.value = EMPTY_VALUE;
    const resourceDeleted = isIdle(r, this.st.now);
    if (resourceDeleted) this.st.resources.delete(name);
    this.emit({ type: 'valueDeleted', sessionId: '', name, bytes, resourceDeleted });
    return ok(`value of ${quote(name)} deleted (${bytes} bytes)${resourceDeleted ? '; the idle resource is gone' : ''}`);
  }

  // ---------------------------------------------------------------- grant machinery

  private nextToken(): number {
    this.st.lastToken = Math.max(this.st.index, this.st.lastToken + 1);
    return this.st.lastToken;
  }

  private grant(
    r: Resource,
    s: Session,
    req: { requestId: number; mode: LockMode; permits: number; units: number; lockDelayMs: number },
  ): void {
    const token = this.nextToken();
    r.holders.push({
      sessionId: s.id,
      requestId: req.requestId,
      token,
      mode: req.mode,
      permits: req.permits,
      units: req.units,
      grantedAt: this.st.now,
      grantIndex: this.st.index,
      lockDelayMs: req.lockDelayMs,
    });
    r.used += req.units;
    r.latestToken = token;
    s.holds.set(r.name, token);
    remember(s, req.requestId, { kind: 'granted', name: r.name, token }, this.limits.dedupeWindow);
    this.emit({
      type: 'granted',
      sessionId: s.id,
      requestId: req.requestId,
      name: r.name,
      token,
      mode: req.mode,
      permits: req.permits,
      value: r.value,
    });
  }

  /**
   * Grants from the head of the queue while the head fits, then drops the resource if idle.
   * A head whose session is overdue (its deadline passed with no renewal applied) is not granted:
   * its client can no longer trust a grant, and the next waiter would wait for the expiry plus
   * any lock-delay. The session expires here, as the leader's sweep would have it a moment later,
   * and the queue moves on.
   */
  private settle(r: Resource): void {
    for (let head = r.queue[0]; head !== undefined && canGrant(r, head.units, this.st.now); head = r.queue[0]) {
      const s = this.session(head.sessionId);
      if (isOverdue(s, this.st.now)) {
        this.expireOverdue(s); // leaves this queue (and settles it again)
        continue;
      }
      this.dropWaiter(r, s, head);
      this.grant(r, s, head);
      this.observe({ type: 'lockAnswered', outcome: 'granted', requestedAt: head.enqueuedAt, waited: true });
    }
    if (isIdle(r, this.st.now) && this.st.resources.get(r.name) === r) this.st.resources.delete(r.name);
  }

  private dropWaiter(r: Resource, s: Session, w: Waiter): void {
    removeWaiter(r, w);
    s.pending.delete(w.requestId);
    if (s.waiting.get(w.name) === w) s.waiting.delete(w.name);
  }

  private startLockDelay(r: Resource, ms: number): void {
    if (ms <= 0) return;
    const until = this.st.now + ms;
    if (until <= r.lockDelayUntil) return;
    r.lockDelayUntil = until;
    this.timers.push({ at: until, kind: 'delay', name: r.name });
  }

  /** Wait-for edges of a session: for each of its queued requests, the holders that alone block it. */
  private waitEdges(sessionId: string): WaitEdge[] {
    const s = this.st.sessions.get(sessionId);
    if (s === undefined) return [];
    const edges: WaitEdge[] = [];
    for (const w of s.pending.values()) edges.push(...blockingEdges(this.resource(w.name), w.units, sessionId));
    return edges;
  }

  // ---------------------------------------------------------------- answers and deduplication

  private emit(event: LockEvent): void {
    this.events.push(event);
  }

  private observe(o: Observation): void {
    this.observations.push(o);
  }

  /** Records a finished request's outcome (for resends) and emits the matching event. */
  private answer(s: Session, requestId: number, outcome: Outcome): void {
    remember(s, requestId, outcome, this.limits.dedupeWindow);
    this.emitOutcome(s, requestId, outcome);
  }

  private emitOutcome(s: Session, requestId: number, o: Outcome): void {
    switch (o.kind) {
      case 'failed':
        this.emit({ type: 'failed', sessionId: s.id, requestId, code: o.code, message: o.message, errorCode: o.errorCode });
        return;
      case 'released':
        this.emit({ type: 'released', sessionId: s.id, requestId, name: o.name, token: o.token });
        return;
      case 'valuePut':
        this.emit({ type: 'valuePut', sessionId: s.id, requestId, name: o.name, token: o.token });
        return;
      case 'granted':
        this.replayGrant(s, requestId, o.name, o.token);
        return;
    }
  }

  private fail(s: Session, requestId: number, errorCode: MachineErrorCode, message: string): Status {
    const failure = refusal(errorCode, message);
    this.answer(s, requestId, { kind: 'failed', code: failure.code, message, errorCode });
    return failure;
  }

  /** A failure that cannot be remembered (no session, or no usable request id). */
  private failUnrecorded(sessionId: string, requestId: number, result: Failure): Status {
    this.emit({ type: 'failed', sessionId, requestId, code: result.code, message: result.message, errorCode: result.errorCode });
    return result;
  }

  /**
   * The answer to a request id the session has used before, or undefined for a new one: a queued
   * request gets `queued` with its current position; a finished one gets its first answer again.
   */
  private replay(s: Session, requestId: number): Status | undefined {
    const waiter = s.pending.get(requestId);
    if (waiter !== undefined) {
      const position = this.resource(waiter.name).queue.indexOf(waiter) + 1;
      this.emit({ type: 'queued', sessionId: s.id, requestId, name: waiter.name, position });
      return ok(`request ${requestId} is queued on ${quote(waiter.name)} at position ${position}`);
    }
    const outcome = s.done.get(requestId);
    if (outcome === undefined) return undefined;
    if (outcome.kind === 'granted') return this.replayGrant(s, requestId, outcome.name, outcome.token);
    this.emitOutcome(s, requestId, outcome);
    return outcome.kind === 'failed' ? refusal(outcome.errorCode, outcome.message) : ok(`request ${requestId} answered before`);
  }

  /**
   * A grant answered again: `granted` with the same token (and the current value) while the hold
   * lasts. Once it has ended the first answer would mislead, so the resend fails instead: never
   * a second grant.
   */
  private replayGrant(s: Session, requestId: number, name: string, token: number): Status {
    const r = this.st.resources.get(name);
    const hold = s.holds.get(name) === token ? r?.holders.find((h) => h.token === token) : undefined;
    if (r === undefined || hold === undefined) {
      const message = `request ${requestId} was granted ${quote(name)} with token ${token}, which is no longer held`;
      const stale = refusal('ERR_STALE_TOKEN', message);
      this.emit({ type: 'failed', sessionId: s.id, requestId, code: stale.code, message, errorCode: stale.errorCode });
      return stale;
    }
    this.emit({ type: 'granted', sessionId: s.id, requestId, name, token, mode: hold.mode, permits: hold.permits, value: r.value });
    return ok(`granted ${quote(name)}`);
  }

  // ---------------------------------------------------------------- checks

  private checkName(name: string): string | undefined {
    if (typeof name !== 'string') return `name ${String(name)} is not a string`;
    if (name.length === 0) return 'name must not be empty';
    const bytes = utf8ByteLength(name);
    if (bytes > this.limits.maxNameBytes) return `name ${quote(name)} is ${bytes} bytes long; the limit is ${this.limits.maxNameBytes}`;
    return undefined;
  }

  /** Why `token` is not the session's current hold of `name`, or undefined when it is. */
  private checkHold(s: Session, name: string, token: number): string | undefined {
    const held = s.holds.get(name);
    if (held === token) return undefined;
    if (held === undefined) return `token ${token} is not a current hold of ${quote(name)}: session ${s.id} holds nothing there`;
    return `token ${token} is not a current hold of ${quote(name)}: session ${s.id} holds it with token ${held}`;
  }

  private holdOfRequest(s: Session, requestId: number): number | undefined {
    for (const [name, token] of s.holds) {
      if (this.st.resources.get(name)?.holders.find((h) => h.token === token)?.requestId === requestId) return token;
    }
    return undefined;
  }

  private session(id: string): Session {
    const s = this.st.sessions.get(id);
    if (s === undefined) throw new Error(`invariant: unknown session ${id}`);
    return s;
  }

  private resource(name: string): Resource {
    const r = this.st.resources.get(name);
    if (r === undefined) throw new Error(`invariant: unknown resource ${name}`);
    return r;
  }

  // ---------------------------------------------------------------- read-only queries

  /** The machine's time: the largest stamp applied so far (0 before any). */
  get now(): number {
    return this.st.now;
  }

  /** Term of the last applied entry. */
  get term(): number {
    return this.st.term;
  }

  /** Index of the last applied entry (restored with a snapshot). */
  get appliedIndex(): number {
    return this.st.index;
  }

  /** Total bytes of every resource's fenced value (what `maxTotalValueBytes` bounds). */
  get totalValueBytes(): number {
    return this.valueBytes;
  }

  /** The newest fencing token granted (0: none). */
  get lastToken(): number {
    return this.st.lastToken;
  }

  getSession(sessionId: string): SessionView | undefined {
    const s = this.st.sessions.get(sessionId);
    return s === undefined ? undefined : this.sessionView(s);
  }

  /** Every session, in the order they were opened. */
  listSessions(): SessionView[] {
    return [...this.st.sessions.values()].map((s) => this.sessionView(s));
  }

  /** What a session holds, in token order (for `opened` on resume); undefined if it does not exist. */
  sessionHolds(sessionId: string): HoldRef[] | undefined {
    const s = this.st.sessions.get(sessionId);
    return s === undefined ? undefined : holdRefs(s, this.st.resources);
  }

  /** Every resource whose name starts with `prefix`, sorted by name. */
  listLocks(prefix = ''): LockSummary[] {
    const out: LockSummary[] = [];
    for (const r of this.st.resources.values()) if (r.name.startsWith(prefix)) out.push(this.summary(r));
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  describeLock(name: string): LockDescription | undefined {
    const r = this.st.resources.get(name);
    if (r === undefined) return undefined;
    const clientName = (id: string): string => this.st.sessions.get(id)?.clientName ?? '';
    return {
      ...this.summary(r),
      holders: r.holders.map((h) => ({
        sessionId: h.sessionId,
        clientName: clientName(h.sessionId),
        requestId: h.requestId,
        token: h.token,
        mode: h.mode,
        permits: h.permits,
        grantedAt: h.grantedAt,
        grantIndex: h.grantIndex,
        lockDelayMs: h.lockDelayMs,
      })),
      queue: r.queue.map((w, i) => ({
        position: i + 1,
        sessionId: w.sessionId,
        clientName: clientName(w.sessionId),
        requestId: w.requestId,
        mode: w.mode,
        permits: w.permits,
        priority: w.priority,
        enqueuedAt: w.enqueuedAt,
        deadline: w.deadline,
      })),
    };
  }

  /**
   * lock.proto `CheckFence`: whether `token` is a current hold of `name`, and the newest token
   * granted on it. A resource is forgotten once idle (no holders, waiters, value or lock-delay),
   * and with it its latest token: for an unknown name the answer is {current: false, latestToken: 0}.
   * Tokens are globally increasing, so `lastToken` bounds every token ever granted.
   */
  checkFence(name: string, token: number): FenceCheck {
    const r = this.st.resources.get(name);
    if (r === undefined) return { current: false, latestToken: 0 };
    return { current: r.holders.some((h) => h.token === token), latestToken: r.latestToken };
  }

  /**
   * When the next wait timeout or lock-delay end falls due (leader time), or undefined if none:
   * the leader proposes a `tick` stamped at or after it unless another entry comes first.
   */
  nextTimerAt(): number | undefined {
    for (let top = this.timers.peek(); top !== undefined; top = this.timers.peek()) {
      if (this.timerLive(top)) return top.at;
      this.timers.pop(); // stale: the waiter left or the lock-delay moved
    }
    return undefined;
  }

  /** Sessions whose deadline is at or before `now` (leader clock): candidates for `expireSessions`. */
  overdueSessions(now: number): string[] {
    const ids: string[] = [];
    if (now < this.deadlineFloor) return ids;
    let floor = Infinity;
    for (const s of this.st.sessions.values()) {
      if (isOverdue(s, now)) ids.push(s.id);
      if (s.deadline < floor) floor = s.deadline;
    }
    this.deadlineFloor = floor;
    return ids;
  }

  /** How many sessions exist (O(1), unlike listSessions). */
  sessionCount(): number {
    return this.st.sessions.size;
  }

  /** Bytes every fenced value takes together, against `limits.maxTotalValueBytes` (the value quota). */
  valueBytesUsed(): number {
    return this.valueBytes;
  }

  /** The earliest session deadline, or undefined with no sessions. */
  nextSessionDeadline(): number | undefined {
    let next: number | undefined;
    for (const s of this.st.sessions.values()) if (next === undefined || s.deadline < next) next = s.deadline;
    return next;
  }

  /** Queued requests now, and the machine time the longest-waiting one was queued (for metrics; O(waiters)). */
  waitStats(): { waiters: number; oldestEnqueuedAt: number | undefined } {
    let waiters = 0;
    let oldest: number | undefined;
    for (const r of this.st.resources.values()) {
      waiters += r.queue.length;
      for (const w of r.queue) if (oldest === undefined || w.enqueuedAt < oldest) oldest = w.enqueuedAt;
    }
    return { waiters, oldestEnqueuedAt: oldest };
  }

  /**
   * Cross-checks the whole state and lists what is wrong (empty: consistent). For tests and the
   * simulator; O(state).
   */
  invariantViolations(): string[] {
    const v: string[] = [];
    const { sessions, resources, now } = this.st;
    const tokens = new Set<number>();
    let holdCount = 0;
    let waitCount = 0;
    for (const [name, r] of resources) {
      if (r.name !== name) v.push(`resource ${name} is stored under another name`);
      const used = r.holders.reduce((sum, h) => sum + h.units, 0);
      if (used !== r.used) v.push(`${name}: used ${r.used} but holders take ${used}`);
      if (used > r.capacity) v.push(`${name}: ${used} permits held of capacity ${r.capacity}`);
      if (r.holders.some((h) => h.mode === 'exclusive') && r.holders.length > 1) v.push(`${name}: exclusive hold shares the resource`);
      for (let i = 0; i < r.holders.length; i++) {
        const h = r.holders[i]!;
        holdCount++;
        if (tokens.has(h.token)) v.push(`token ${h.token} held twice`);
        tokens.add(h.token);
        if (h.token > this.st.lastToken || h.token > r.latestToken) v.push(`${name}: token ${h.token} above the latest token`);
        if (i > 0 && r.holders[i - 1]!.token >= h.token) v.push(`${name}: holders out of token order`);
        if (sessions.get(h.sessionId)?.holds.get(name) !== h.token) v.push(`${name}: holder ${h.sessionId} does not know its hold`);
      }
      for (let i = 0; i < r.queue.length; i++) {
        const w = r.queue[i]!;
        waitCount++;
        const prev = r.queue[i - 1];
        if (prev !== undefined && (prev.priority < w.priority || (prev.priority === w.priority && prev.seq >= w.seq))) {
          v.push(`${name}: queue out of order at position ${i + 1}`);
        }
        const s = sessions.get(w.sessionId);
        if (s?.pending.get(w.requestId) !== w || s.waiting.get(name) !== w) v.push(`${name}: waiter ${w.sessionId}/${w.requestId} unknown to its session`);
      }
      const head = r.queue[0];
      if (head !== undefined && canGrant(r, head.units, now)) v.push(`${name}: head of queue could be granted but waits`);
      if (isIdle(r, now)) v.push(`${name}: idle resource kept`);
      if (r.lockDelayUntil > 0 && r.lockDelayUntil <= now) v.push(`${name}: lock-delay ended but still set`);
    }
    let sessionHolds = 0;
    let sessionWaits = 0;
    for (const s of sessions.values()) {
      sessionHolds += s.holds.size;
      sessionWaits += s.pending.size;
      if (s.waiting.size !== s.pending.size) v.push(`session ${s.id}: waiting and pending disagree`);
      if (s.done.size > this.limits.dedupeWindow) v.push(`session ${s.id}: remembers ${s.done.size} outcomes`);
    }
    if (sessionHolds !== holdCount) v.push(`sessions know ${sessionHolds} holds, resources ${holdCount}`);
    let values = 0;
    for (const r of resources.values()) values += r.value.byteLength;
    if (values !== this.valueBytes) v.push(`values take ${values} bytes but the machine counts ${this.valueBytes}`);
    if (sessionWaits !== waitCount) v.push(`sessions know ${sessionWaits} waits, queues ${waitCount}`);
    return v;
  }

  private sessionView(s: Session): SessionView {
    return {
      sessionId: s.id,
      clientName: s.clientName,
      ttlMs: s.ttlMs,
      openedAt: s.openedAt,
      lastRenewal: s.lastRenewal,
      deadline: s.deadline,
      holds: holdRefs(s, this.st.resources), waits: waitRefs(s, this.st.resources),
      ...(s.ownership === undefined ? {} : { ownership: s.ownership }),
    };
  }

  private summary(r: Resource): LockSummary {
    return {
      name: r.name,
      capacity: r.capacity,
      usedPermits: r.used,
      holderCount: r.holders.length,
      waiterCount: r.queue.length,
      latestToken: r.latestToken,
      valueBytes: r.value.byteLength,
      lockDelayUntil: r.lockDelayUntil,
    };
  }
}

function compareTimers(a: Timer, b: Timer): number {
  if (a.at !== b.at) return a.at - b.at;
  if (a.kind !== b.kind) return a.kind === 'wait' ? -1 : 1;
  if (a.kind === 'wait' && b.kind === 'wait') return a.waiter.seq - b.waiter.seq;
  if (a.kind === 'delay' && b.kind === 'delay') return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  return 0;
}

function sessionNotFound(sessionId: string): Failure {
  return refusal('ERR_SESSION_NOT_FOUND', `session ${quote(sessionId)} not found (unknown, closed or expired)`);
}

function checkRequestId(requestId: number): Failure | undefined {
  if (Number.isSafeInteger(requestId) && requestId >= 0) return undefined;
  return refusal('ERR_INVALID_ARGUMENT', `request_id ${String(requestId)} is not a non-negative integer`);
}

function checkToken(token: number): string | undefined {
  return Number.isSafeInteger(token) && token >= 0 ? undefined : `token ${String(token)} is not a non-negative integer`;
}

function checkText(field: string, value: string, maxBytes: number, mayBeEmpty: boolean): string | undefined {
  if (typeof value !== 'string') return `${field} is not a string`;
  if (!mayBeEmpty && value.length === 0) return `${field} must not be empty`;
  const bytes = utf8ByteLength(value);
  if (bytes > maxBytes) return `${field} ${quote(value)} is ${bytes} bytes long; the limit is ${maxBytes}`;
  return undefined;
}
