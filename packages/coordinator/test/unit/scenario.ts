import fc from 'fast-check';
import type { ApplyOutput, GrantedEvent, LockStateMachine, RaftEntryLike } from '../../src/state';
import { type CommandInput, Driver } from './harness';

/**
 * Random command sequences over a few sessions, resources and time steps, resolved against the
 * machine as they run (so that release/put use current tokens often and stale ones sometimes,
 * and the leader-like ops use the machine's own queries). Invariants are checked after every
 * entry; the resulting log is then replayed to check determinism and restore(snapshot()).
 */

const SESSIONS = ['s0', 's1', 's2', 's3', 's4'];
const RESOURCES = ['r0', 'r1', 'r2'];
/** The capacity each resource is normally asked for (mismatches are generated too). */
const OWN_CAPACITY = [1, 2, 3];

type Op =
  | { k: 'open'; s: number; ttl: number }
  | { k: 'resume'; s: number }
  | { k: 'renew'; ss: readonly number[] }
  | { k: 'expire'; ss: readonly number[] }
  | { k: 'expireOverdue' }
  | { k: 'close'; s: number }
  | { k: 'adminExpire'; s: number }
  | {
      k: 'lock';
      s: number;
      r: number;
      cap: number | null;
      mode: 'exclusive' | 'shared';
      permits: number;
      priority: number;
      wait: number;
      tryOnly: boolean;
      delay: number;
    }
  | { k: 'release'; s: number; r: number; current: boolean; stale: number }
  | { k: 'put'; s: number; r: number; current: boolean; stale: number; v: number }
  | { k: 'cancel'; s: number; pick: number }
  | { k: 'resend'; pick: number }
  | { k: 'tick' }
  | { k: 'tickAtTimer' }
  | { k: 'revoke'; r: number; one: boolean };

interface Step {
  dt: number;
  newTerm: boolean;
  op: Op;
}

const session = fc.nat({ max: SESSIONS.length - 1 });
const resource = fc.nat({ max: RESOURCES.length - 1 });
const sessionSet = fc.uniqueArray(session, { maxLength: SESSIONS.length });

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('open' as const), s: session, ttl: fc.constantFrom(2000, 6000) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('resume' as const), s: session }) },
  { weight: 8, arbitrary: fc.record({ k: fc.constant('renew' as const), ss: fc.oneof(fc.constant([0, 1, 2, 3, 4]), sessionSet) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('expire' as const), ss: sessionSet }) },
  { weight: 2, arbitrary: fc.constant({ k: 'expireOverdue' as const }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('close' as const), s: session }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('adminExpire' as const), s: session }) },
  {
    weight: 18,
    arbitrary: fc.record({
      k: fc.constant('lock' as const),
      s: session,
      r: resource,
      cap: fc.oneof({ weight: 12, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat({ max: 4 }) }),
      mode: fc.constantFrom('exclusive' as const, 'shared' as const),
      permits: fc.nat({ max: 3 }),
      priority: fc.integer({ min: -1, max: 1 }),
      wait: fc.constantFrom(0, 0, 300, 1000),
      tryOnly: fc.nat({ max: 4 }).map((n) => n === 0),
      delay: fc.constantFrom(0, 0, 500),
    }),
  },
  { weight: 7, arbitrary: fc.record({ k: fc.constant('release' as const), s: session, r: resource, current: fc.nat({ max: 4 }).map((n) => n > 0), stale: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('put' as const), s: session, r: resource, current: fc.nat({ max: 4 }).map((n) => n > 0), stale: fc.nat(), v: fc.nat({ max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('cancel' as const), s: session, pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('resend' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ k: 'tick' as const }) },
  { weight: 2, arbitrary: fc.constant({ k: 'tickAtTimer' as const }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('revoke' as const), r: resource, one: fc.boolean() }) },
);

const step: fc.Arbitrary<Step> = fc.record({
  dt: fc.constantFrom(0, 1, 50, 400, 1500),
  newTerm: fc.nat({ max: 7 }).map((n) => n === 0),
  op,
});

export const steps = fc.array(step, { minLength: 1, maxLength: 80, size: 'max' });

/**
 * Contention on one semaphore (r2, capacity 3): mixed modes, permits and priorities, releases of
 * current holds, cancels, wait timeouts and keepalives, so that queue heads that cannot be granted
 * and smaller requests behind them are common.
 */
const focusedOp: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant('lock' as const),
      s: session,
      r: fc.constant(2),
      cap: fc.constant(null),
      mode: fc.constantFrom('exclusive' as const, 'shared' as const, 'shared' as const),
      permits: fc.nat({ max: 3 }),
      priority: fc.integer({ min: 0, max: 1 }),
      wait: fc.constantFrom(0, 0, 0, 1000),
      tryOnly: fc.constant(false),
      delay: fc.constant(0),
    }),
  },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('release' as const), s: session, r: fc.constant(2), current: fc.constant(true), stale: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('cancel' as const), s: session, pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ k: 'tickAtTimer' as const }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('renew' as const), ss: fc.constant([0, 1, 2, 3, 4]) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('open' as const), s: session, ttl: fc.constant(6000) }) },
);

export const focusedSteps = fc.array(fc.record({ dt: fc.constantFrom(0, 10, 100), newTerm: fc.constant(false), op: focusedOp }), {
  minLength: 1,
  maxLength: 60,
  size: 'max',
});

/** Runs the steps, checking invariants after each entry; returns the log and every output. */
export function runChecked(plan: Step[]): { log: RaftEntryLike[]; outputs: ApplyOutput[]; machine: LockStateMachine } {
  const d = new Driver({ maxClockSkewMs: 200 });
  const m = d.machine;
  const outputs: ApplyOutput[] = [];
  const requests: CommandInput[] = []; // request commands applied so far, for resends
  const tokensSeen: number[] = [];
  const incarnation = new Map<string, number>();
  /** token -> which request got it */
  const grantOwner = new Map<number, string>();
  const granted = new Set<string>();
  /** request key -> arrival index and priority, set when the request is first queued or granted */
  const arrival = new Map<string, { index: number; priority: number }>();
  const lastRequestId = new Map<string, number>();
  const nextRequestId = (sessionId: string): number => {
    const id = (lastRequestId.get(sessionId) ?? 0) + 1;
    lastRequestId.set(sessionId, id);
    return id;
  };
  const key = (sessionId: string, requestId: number): string => `${sessionId}@${incarnation.get(sessionId) ?? 0}#${requestId}`;

  const opening: Step[] = SESSIONS.map((_, s) => ({ dt: 0, newTerm: false, op: { k: 'open', s, ttl: 6000 } }));
  for (const { dt, newTerm, op: o } of [...opening, ...plan]) {
    d.advance(dt);
    if (newTerm) d.newTerm();
    const input = resolve(o);
    if (input === undefined) continue;
    if (input.type === 'lock' || input.type === 'release' || input.type === 'put' || input.type === 'cancel') requests.push(input);
    const lastTokenBefore = m.lastToken;
    const out = d.run(input);
    outputs.push(out);
    check(out, input, lastTokenBefore);
  }
  return { log: d.log, outputs, machine: m };

  function resolve(o: Op): CommandInput | undefined {
    const sid = (i: number): string => SESSIONS[i]!;
    switch (o.k) {
      case 'open':
        return { type: 'openSession', sessionId: sid(o.s), ttlMs: o.ttl, clientName: `c${o.s}` };
      case 'resume':
        return { type: 'resumeSession', sessionId: sid(o.s) };
      case 'renew':
        return { type: 'renew', sessionIds: o.ss.map(sid) };
      case 'expire':
        return { type: 'expireSessions', sessionIds: o.ss.map(sid) };
      case 'expireOverdue':
        return { type: 'expireSessions', sessionIds: m.overdueSessions(d.clock) };
      case 'close':
        return { type: 'closeSession', sessionId: sid(o.s) };
      case 'adminExpire':
        return { type: 'adminExpireSession', sessionId: sid(o.s) };
      case 'lock': {
        const capacity = o.cap ?? OWN_CAPACITY[o.r]!;
        return {
          type: 'lock',
          sessionId: sid(o.s),
          requestId: nextRequestId(sid(o.s)),
          name: RESOURCES[o.r]!,
          capacity,
          mode: o.mode,
          permits: Math.min(o.permits, Math.max(1, capacity)),
          priority: o.priority,
          waitTimeoutMs: o.wait,
          tryOnly: o.tryOnly,
          lockDelayMs: o.delay,
        };
      }
      case 'release':
      case 'put': {
        // Mostly a current hold (of any session), otherwise a random session, name and old token.
        const holds = m.listSessions().flatMap((x) => x.holds.map((h) => ({ sessionId: x.sessionId, name: h.name, token: h.token })));
        const current = o.current ? holds[o.stale % Math.max(1, holds.length)] : undefined;
        const target = current ?? {
          sessionId: sid(o.s),
          name: RESOURCES[o.r]!,
          token: tokensSeen[o.stale % Math.max(1, tokensSeen.length)] ?? 1,
        };
        const requestId = nextRequestId(target.sessionId);
        return o.k === 'release'
          ? { type: 'release', requestId, ...target }
          : { type: 'put', requestId, ...target, value: new Uint8Array(o.v).fill(o.v) };
      }
      case 'cancel': {
        // Mostly a queued request of the session; otherwise an answered or never used id.
        const waits = m.getSession(sid(o.s))?.waits ?? [];
        const used = lastRequestId.get(sid(o.s)) ?? 0;
        const fallback = o.pick % 4 === 0 || used === 0 ? nextRequestId(sid(o.s)) : (o.pick % used) + 1;
        const target = waits[o.pick % Math.max(1, waits.length)]?.requestId ?? fallback;
        return { type: 'cancel', sessionId: sid(o.s), requestId: target };
      }
      case 'resend':
        return requests.length === 0 ? undefined : requests[o.pick % requests.length];
      case 'tick':
        return { type: 'tick' };
      case 'tickAtTimer': {
        const at = m.nextTimerAt();
        if (at !== undefined) d.clock = Math.max(d.clock, at);
        return { type: 'tick' };
      }
      case 'revoke': {
        const name = RESOURCES[o.r]!;
        const first = m.describeLock(name)?.holders[0];
        return o.one && first !== undefined ? { type: 'revoke', name, token: first.token, reason: 'test' } : { type: 'revoke', name, reason: '' };
      }
    }
  }

  function check(out: ApplyOutput, input: CommandInput, lastTokenBefore: number): void {
    const violations = m.invariantViolations();
    assert(violations.length === 0, `invariants: ${violations.join('; ')}`);

    for (const e of out.events) {
      if (e.type === 'sessionOpened' && !e.resumed) incarnation.set(e.sessionId, (incarnation.get(e.sessionId) ?? 0) + 1);
    }
    // Arrivals: the first queued/granted answer of a request.
    const priority = input.type === 'lock' ? input.priority : 0;
    for (const e of out.events) {
      if ((e.type === 'queued' || e.type === 'granted') && !arrival.has(key(e.sessionId, e.requestId))) {
        arrival.set(key(e.sessionId, e.requestId), { index: out.index, priority });
      }
    }

    // Tokens: new grants are unique, strictly increasing, at least the entry index; resends reuse theirs.
    const newGrants: GrantedEvent[] = [];
    let previous = lastTokenBefore;
    for (const e of out.events) {
      if (e.type !== 'granted') continue;
      const owner = `${key(e.sessionId, e.requestId)}:${e.name}`;
      // A resend answered in the same entry that granted it repeats that grant (same token):
      // it is an answer, not a new grant.
      const replayOfThisEntry = grantOwner.get(e.token) === owner;
      if (e.token > lastTokenBefore && !replayOfThisEntry) {
        assert(e.token > previous, `token ${e.token} not above ${previous}`);
        assert(e.token >= out.index, `token ${e.token} below entry index ${out.index}`);
        assert(!grantOwner.has(e.token), `token ${e.token} granted twice`);
        assert(!granted.has(owner), `second grant for ${owner}`); // never a second grant for one request
        granted.add(owner);
        grantOwner.set(e.token, owner);
        tokensSeen.push(e.token);
        previous = e.token;
        newGrants.push(e);
      } else {
        assert(grantOwner.get(e.token) === owner, `resent grant ${e.token} belongs to ${grantOwner.get(e.token)}, not ${owner}`);
        assert(m.checkFence(e.name, e.token).current, `resent grant ${e.token} is not current`);
      }
    }
    assert(m.lastToken === previous, `lastToken ${m.lastToken} is not the newest grant ${previous}`);

    // Capacity and exclusivity, recomputed from the public views.
    for (const lock of m.listLocks()) {
      const desc = m.describeLock(lock.name)!;
      const used = desc.holders.reduce((sum, h) => sum + (h.mode === 'exclusive' ? desc.capacity : h.permits), 0);
      assert(used <= desc.capacity, `${lock.name}: ${used} of ${desc.capacity} permits held`);
      if (desc.holders.some((h) => h.mode === 'exclusive')) assert(desc.holders.length === 1, `${lock.name}: exclusive hold shared`);
      assert(new Set(desc.holders.map((h) => h.sessionId)).size === desc.holders.length, `${lock.name}: a session holds twice`);
    }

    // FIFO within priority: nobody still waiting arrived earlier with the same or higher priority.
    for (const g of newGrants) {
      const mine = arrival.get(key(g.sessionId, g.requestId))!;
      for (const w of m.describeLock(g.name)?.queue ?? []) {
        const theirs = arrival.get(key(w.sessionId, w.requestId));
        assert(theirs !== undefined && w.priority === theirs.priority, `waiter ${w.sessionId}/${w.requestId} has no arrival`);
        if (w.priority >= mine.priority) {
          assert(theirs.index > mine.index, `grant ${g.token} on ${g.name} overtook ${w.sessionId}/${w.requestId} (priority ${w.priority})`);
        }
      }
    }
  }
}


function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}
