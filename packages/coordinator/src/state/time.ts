import { type MachineContext, MIN_TIMER_COMPACT, observe, resourceOf, sessionOf, type Timer } from './context';
import { answer } from './ledger';
import { dropWaiter, settle } from './lock-table';
import type { Resource, Waiter } from './model';
import { Code, quote } from './status';

/**
 * The machine's time: its clock only moves with the stamps of applied commands, so wait
 * timeouts and lock-delay ends fire when an entry brings the clock past them, and a new term
 * moves every deadline by the allowed clock skew.
 */

/**
 * A new leader's clock may run ahead of the previous one's by up to `maxClockSkewMs`: move every
 * deadline (and lock-delay end) that much later rather than resetting leases to a full TTL, so a
 * failover neither expires a live holder early nor keeps a dead one for another TTL. Elections
 * are more than an election timeout apart, so repeated ones cannot keep a dead session alive.
 */
export function shiftForNewTerm(m: MachineContext): void {
  const skew = m.maxClockSkewMs;
  if (skew === 0) return;
  for (const s of m.st.sessions.values()) s.deadline += skew;
  for (const r of m.st.resources.values()) {
    if (r.lockDelayUntil > 0) {
      r.lockDelayUntil += skew;
      m.timers.push({ at: r.lockDelayUntil, kind: 'delay', name: r.name });
    }
  }
}

/**
 * Wait timeouts and lock-delay ends at or before `now`, in (time, waits before delays, seq or
 * name) order: first every due waiter leaves its queue, then lock-delays end, then the touched
 * resources grant what they can, in the order they were first touched.
 */
export function fireTimers(m: MachineContext): void {
  const now = m.st.now;
  const due: Timer[] = [];
  for (let top = m.timers.peek(); top !== undefined && top.at <= now; top = m.timers.peek()) {
    m.timers.pop();
    if (timerLive(m, top)) due.push(top);
  }
  if (due.length === 0) return;
  due.sort(compareTimers);
  const touched = new Set<Resource>();
  for (const t of due) {
    if (!timerLive(m, t)) continue;
    if (t.kind === 'wait') {
      touched.add(timeOut(m, t.waiter));
    } else {
      const r = resourceOf(m, t.name);
      r.lockDelayUntil = 0;
      touched.add(r);
    }
  }
  for (const r of touched) settle(m, r);
}

/** A waiter whose wait timeout has come leaves its queue with DEADLINE_EXCEEDED; returns its resource. */
function timeOut(m: MachineContext, w: Waiter): Resource {
  const r = resourceOf(m, w.name);
  const s = sessionOf(m, w.sessionId);
  const position = r.queue.indexOf(w) + 1;
  dropWaiter(r, s, w);
  observe(m, { type: 'lockAnswered', outcome: 'timeout', requestedAt: w.enqueuedAt, waited: true });
  answer(m, s, w.requestId, {
    kind: 'failed',
    code: Code.DEADLINE_EXCEEDED,
    errorCode: 'ERR_DEADLINE',
    message: `request ${w.requestId} timed out after ${w.deadline - w.enqueuedAt} ms waiting for ${quote(w.name)} (position ${position} of ${r.queue.length + 1})`,
  });
  return r;
}

function timerLive(m: MachineContext, t: Timer): boolean {
  if (t.kind === 'wait') return m.st.sessions.get(t.waiter.sessionId)?.pending.get(t.waiter.requestId) === t.waiter;
  const r = m.st.resources.get(t.name);
  return r !== undefined && r.lockDelayUntil === t.at;
}

/**
 * Refills the timer heap from the state: one entry per waiter with a timeout and per running
 * lock-delay. Run on restore, and whenever stale entries (waiters granted or cancelled before
 * their timeout) have doubled the heap, so that it stays proportional to the live timers.
 */
export function rebuildTimers(m: MachineContext): void {
  m.timers.clear();
  for (const r of m.st.resources.values()) {
    if (r.lockDelayUntil > 0) m.timers.push({ at: r.lockDelayUntil, kind: 'delay', name: r.name });
    for (const w of r.queue) if (w.deadline > 0) m.timers.push({ at: w.deadline, kind: 'wait', waiter: w });
  }
  m.timerCompactAt = Math.max(MIN_TIMER_COMPACT, 2 * m.timers.size);
}

/** End of every apply: sweeps stale timers out once they have grown the heap past its threshold. */
export function compactTimers(m: MachineContext): void {
  if (m.timers.size > m.timerCompactAt) rebuildTimers(m);
}

/** When the next live timer falls due, or undefined; drops the stale ones it meets on top. */
export function nextTimerAt(m: MachineContext): number | undefined {
  for (let top = m.timers.peek(); top !== undefined; top = m.timers.peek()) {
    if (timerLive(m, top)) return top.at;
    m.timers.pop(); // stale: the waiter left or the lock-delay moved
  }
  return undefined;
}

function compareTimers(a: Timer, b: Timer): number {
  if (a.at !== b.at) return a.at - b.at;
  if (a.kind !== b.kind) return a.kind === 'wait' ? -1 : 1;
  if (a.kind === 'wait' && b.kind === 'wait') return a.waiter.seq - b.waiter.seq;
  if (a.kind === 'delay' && b.kind === 'delay') return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  return 0;
}
