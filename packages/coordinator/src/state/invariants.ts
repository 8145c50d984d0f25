import type { MachineContext } from './context';
import { canGrant, isIdle } from './resources';

/**
 * Cross-checks the whole state and lists what is wrong (empty: consistent). For tests and the
 * simulator; O(state).
 */
export function invariantViolations(m: MachineContext): string[] {
  const v: string[] = [];
  const st = m.st;
  const { sessions, resources, now } = st;
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
      if (h.token > st.lastToken || h.token > r.latestToken) v.push(`${name}: token ${h.token} above the latest token`);
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
    if (s.done.size > m.limits.dedupeWindow) v.push(`session ${s.id}: remembers ${s.done.size} outcomes`);
  }
  if (sessionHolds !== holdCount) v.push(`sessions know ${sessionHolds} holds, resources ${holdCount}`);
  let values = 0;
  for (const r of resources.values()) values += r.value.byteLength;
  if (values !== m.valueBytes) v.push(`values take ${values} bytes but the machine counts ${m.valueBytes}`);
  if (sessionWaits !== waitCount) v.push(`sessions know ${sessionWaits} waits, queues ${waitCount}`);
  return v;
}
