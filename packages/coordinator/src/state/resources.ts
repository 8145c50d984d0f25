import type { LockMode } from './commands';
import type { Hold, Resource, Waiter } from './model';
import { quote } from './status';
import type { WaitEdge } from './wait-for-graph';

/**
 * Queue and grant rules of one resource.
 *
 * - A resource exists from its first grant or wait until it is idle: no holders, no waiters, no
 *   value and no lock-delay running. Its capacity is fixed for that lifetime (also while only its
 *   value keeps it); a request for another capacity fails with FAILED_PRECONDITION.
 *
 * - A request takes `units` of the capacity: all of it if exclusive, `permits` if shared. It can
 *   be granted when no lock-delay runs and used + units <= capacity.
 * - The queue is ordered by priority (highest first), then arrival. Grants are made only from
 *   the head, stopping at the first waiter that cannot be granted: a request never overtakes an
 *   earlier one of the same or higher priority, so a large request at the head is not passed by
 *   smaller ones and a waiting exclusive is not starved by shared ones. A higher-priority request
 *   goes ahead of lower ones (but never preempts a holder).
 */

export const EMPTY_VALUE: Uint8Array = new Uint8Array(0);

export function newResource(name: string, capacity: number): Resource {
  return { name, capacity, holders: [], queue: [], used: 0, value: EMPTY_VALUE, latestToken: 0, lockDelayUntil: 0 };
}

export function unitsFor(capacity: number, mode: LockMode, permits: number): number {
  return mode === 'exclusive' ? capacity : permits;
}

export function canGrant(resource: Resource, units: number, now: number): boolean {
  return resource.lockDelayUntil <= now && resource.used + units <= resource.capacity;
}

/** Where a request of `priority` joins the queue: after every waiter of the same or higher priority. */
export function queuePosition(queue: readonly Waiter[], priority: number): number {
  let lo = 0;
  let hi = queue.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (queue[mid]!.priority >= priority) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function removeWaiter(resource: Resource, waiter: Waiter): void {
  const i = resource.queue.indexOf(waiter);
  if (i >= 0) resource.queue.splice(i, 1);
}

export function removeHold(resource: Resource, token: number): Hold | undefined {
  const i = resource.holders.findIndex((h) => h.token === token);
  if (i < 0) return undefined;
  const [hold] = resource.holders.splice(i, 1);
  if (hold !== undefined) resource.used -= hold.units;
  return hold;
}

/** Idle resources are dropped: nobody holds or waits, no value, no lock-delay running. */
export function isIdle(resource: Resource, now: number): boolean {
  return (
    resource.holders.length === 0 && resource.queue.length === 0 && resource.value.length === 0 && resource.lockDelayUntil <= now
  );
}

/**
 * Wait-for edges of a request of `units` by `sessionId` on `resource`: one to each other
 * session whose hold alone keeps the request from fitting (hold units + request units >
 * capacity). On a mutex that is every holder. On a semaphore, holders that only block together
 * (none of them alone) give no edge, so such cycles go undetected rather than reported falsely;
 * wait timeouts end them. Waiting behind another waiter is not an edge either.
 */
export function blockingEdges(resource: Resource, units: number, sessionId: string): WaitEdge[] {
  const edges: WaitEdge[] = [];
  for (const hold of resource.holders) {
    if (hold.sessionId !== sessionId && hold.units + units > resource.capacity) {
      edges.push({ from: sessionId, to: hold.sessionId, name: resource.name });
    }
  }
  return edges;
}

/** Why a try-only request cannot be granted now, for its FAILED_PRECONDITION message. */
export function describeBusy(resource: Resource, now: number): string {
  const what = quote(resource.name);
  if (resource.lockDelayUntil > now) return `${what} is in lock-delay until ${resource.lockDelayUntil} (another ${resource.lockDelayUntil - now} ms)`;
  if (resource.holders.length > 0) {
    const shown = resource.holders.slice(0, 3).map((h) => `session ${h.sessionId} (token ${h.token}, ${h.mode})`);
    const more = resource.holders.length > 3 ? ` and ${resource.holders.length - 3} more` : '';
    const ahead = resource.queue.length > 0 ? `, with ${resource.queue.length} waiting` : '';
    return `${what} is held by ${shown.join(', ')}${more}${ahead}`;
  }
  return `${what} has ${resource.queue.length} waiting ahead`;
}
