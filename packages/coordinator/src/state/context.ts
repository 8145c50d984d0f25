import type { LockEvent, Observation } from './events';
import type { LockLimits } from './limits';
import { emptyState, type MachineState, type Resource, type Session, type Waiter } from './model';
import { TimerHeap } from './timers';

/** Heap size below which stale timers are never swept out. */
export const MIN_TIMER_COMPACT = 4096;

/** A waiter's timeout or the end of a resource's lock-delay (checked against the state when due). */
export type Timer =
  | { readonly at: number; readonly kind: 'wait'; readonly waiter: Waiter }
  | { readonly at: number; readonly kind: 'delay'; readonly name: string };

/**
 * What every module of the lock state machine works on: the replicated `MachineState` (`st`,
 * replaced whole on restore), the options every replica shares, what is derived from the state
 * (rebuilt on restore, never snapshotted) and the output of the apply in progress. The modules
 * are functions over one context, so that each of them can be read and tested on its own while
 * they all see the same state.
 */
export interface MachineContext {
  st: MachineState;
  readonly limits: LockLimits;
  readonly maxClockSkewMs: number;
  /** Derived from the state: every waiter's timeout and every lock-delay end (lazily deleted). */
  readonly timers: TimerHeap<Timer>;
  /** Heap size at which stale timers are swept out (amortized O(1) per timer). */
  timerCompactAt: number;
  /** Sum of every resource's value bytes: derived from the state (not in the snapshot). */
  valueBytes: number;
  /**
   * A lower bound of every session's deadline (derived, not state). Deadlines never move earlier
   * (renewals and term shifts only push them out) and a new session lowers it, so until the
   * clock reaches it `overdueSessions` has nothing to find and skips its O(sessions) scan, which
   * the leader would otherwise run every half tick.
   */
  deadlineFloor: number;
  /** Events of the apply in progress. */
  events: LockEvent[];
  observations: Observation[];
}

export function newContext(limits: LockLimits, maxClockSkewMs: number): MachineContext {
  return {
    st: emptyState(),
    limits,
    maxClockSkewMs,
    timers: new TimerHeap<Timer>(),
    timerCompactAt: MIN_TIMER_COMPACT,
    valueBytes: 0,
    deadlineFloor: -Infinity,
    events: [],
    observations: [],
  };
}

export function emit(m: MachineContext, event: LockEvent): void {
  m.events.push(event);
}

export function observe(m: MachineContext, o: Observation): void {
  m.observations.push(o);
}

/** A session the state says exists (a waiter's or holder's); its absence is a bug. */
export function sessionOf(m: MachineContext, id: string): Session {
  const s = m.st.sessions.get(id);
  if (s === undefined) throw new Error(`invariant: unknown session ${id}`);
  return s;
}

/** A resource the state says exists (held or waited for); its absence is a bug. */
export function resourceOf(m: MachineContext, name: string): Resource {
  const r = m.st.resources.get(name);
  if (r === undefined) throw new Error(`invariant: unknown resource ${name}`);
  return r;
}
