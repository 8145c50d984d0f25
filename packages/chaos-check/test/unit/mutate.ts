/**
 * Ways to break a valid history, each aimed at one property. Every mutation picks its victim
 * with a seeded generator among the places where the break is certain to be observable, and
 * returns undefined when the history has no such place.
 */
import { type AcquireOperation, type GrantValue, type History, type HistoryEvent, prepareHistory, type Validity } from '../../src';
import { rng } from './sim';

type Grant = AcquireOperation & { readonly grant: GrantValue };

function pick<T>(random: () => number, list: readonly T[]): T | undefined {
  return list.length === 0 ? undefined : list[Math.floor(random() * list.length)];
}

function validityOf(h: History, g: Grant): Validity | undefined {
  return h.validity.find((v) => v.resource === g.resource && v.token === g.grant.token && v.process === g.process);
}

/**
 * Swaps the tokens of two grants on one resource where the first returned before the second
 * was invoked, everywhere they appear: the later grant now carries the lower token.
 */
export function swapTokens(h: History, seed: number): History | undefined {
  const random = rng(seed);
  const grants = prepareHistory(h).grants;
  const pairs: [Grant, Grant][] = [];
  for (let i = 0; i < grants.length; i++) {
    const a = grants[i]!;
    // The next grant on the same resource that started after a returned.
    const b = grants.slice(i + 1).find((g) => g.resource === a.resource && g.start > a.end);
    if (b !== undefined) pairs.push([a, b]);
  }
  const pair = pick(random, pairs);
  if (pair === undefined) return undefined;
  const [a, b] = pair;
  const ta = a.grant.token;
  const tb = b.grant.token;
  const swap = (t: number): number => (t === ta ? tb : t === tb ? ta : t);
  const events = h.events.map((e): HistoryEvent => {
    if (e.resource !== a.resource || e.value === undefined) return e;
    if (e.f === 'acquire' && e.type === 'ok') return { ...e, value: { ...e.value, token: swap(e.value.token) } };
    if ((e.f === 'release' || e.f === 'checkFence') && e.type === 'invoke') return { ...e, value: { token: swap(e.value.token) } };
    if (e.f === 'release' && e.type === 'ok' && e.value !== undefined) return { ...e, value: { token: swap(e.value.token) } };
    if (e.f === 'checkFence' && e.type === 'ok') return { ...e, value: { ...e.value, latestToken: swap(e.value.latestToken) } };
    return e;
  });
  const validity = h.validity.map((v) => (v.resource === a.resource ? { ...v, token: swap(v.token) } : v));
  return { events, validity };
}

/** A second process is granted the very token of an existing grant, inside its window. */
export function duplicateToken(h: History, seed: number): History | undefined {
  const random = rng(seed);
  const grants = prepareHistory(h).grants;
  const g = pick(random, grants);
  if (g === undefined) return undefined;
  const v = validityOf(h, g);
  const at = g.end;
  const until = v === undefined ? at + 1 : Number.isFinite(v.validUntil) ? v.validUntil : at + 1;
  const process = 'intruder';
  const extra: HistoryEvent[] = [
    { process, resource: g.resource, time: g.start, f: 'acquire', type: 'invoke', value: g.grant },
    { process, resource: g.resource, time: at, f: 'acquire', type: 'ok', value: g.grant },
  ];
  return {
    events: [...h.events, ...extra],
    validity: [...h.validity, { process, resource: g.resource, token: g.grant.token, grantedAt: at, validUntil: until, end: 'signal' }],
  };
}

/**
 * A second exclusive holder inside an exclusive grant's window, with a token that fits the
 * order (between the holder's and the next one's), so only the double hold gives it away.
 */
export function doubleHolder(h: History, seed: number): History | undefined {
  const random = rng(seed);
  const p = prepareHistory(h);
  const candidates = p.grants.filter((g) => {
    const v = validityOf(h, g);
    return g.grant.mode === 'exclusive' && v !== undefined && v.validUntil - v.grantedAt > 0.4;
  });
  const g = pick(random, candidates);
  if (g === undefined) return undefined;
  const v = validityOf(h, g)!;
  const end = Number.isFinite(v.validUntil) ? v.validUntil : v.grantedAt + 10;
  const invokeAt = v.grantedAt + (end - v.grantedAt) * 0.25;
  const okAt = v.grantedAt + (end - v.grantedAt) * 0.5;
  const process = 'intruder';
  const token = g.grant.token + 0.5;
  const value: GrantValue = { ...g.grant, token };
  return {
    events: [
      ...h.events,
      { process, resource: g.resource, time: invokeAt, f: 'acquire', type: 'invoke', value: g.grant },
      { process, resource: g.resource, time: okAt, f: 'acquire', type: 'ok', value },
    ],
    validity: [...h.validity, { process, resource: g.resource, token, grantedAt: okAt, validUntil: end, end: 'release' }],
  };
}

/** Stretches an exclusive window past the start of the next window on its resource. */
export function shiftWindow(h: History, seed: number): History | undefined {
  const random = rng(seed);
  const finite = h.validity.filter((v) => Number.isFinite(v.validUntil) && v.validUntil > v.grantedAt);
  const pairs: [Validity, Validity][] = [];
  for (const v of finite) {
    if ((v.mode ?? 'exclusive') !== 'exclusive') continue;
    let next: Validity | undefined;
    for (const w of finite) {
      if (w.resource === v.resource && w !== v && w.grantedAt >= v.validUntil && (next === undefined || w.grantedAt < next.grantedAt)) next = w;
    }
    if (next !== undefined) pairs.push([v, next]);
  }
  const pair = pick(random, pairs);
  if (pair === undefined) return undefined;
  const [v, next] = pair;
  const stretched: Validity = { ...v, validUntil: next.grantedAt + Math.min(1, (next.validUntil - next.grantedAt) / 2) };
  return { events: h.events, validity: h.validity.map((w) => (w === v ? stretched : w)) };
}

/** After an acknowledged release, another process's checkFence says the token is still current. */
export function resurrectAfterRelease(h: History, seed: number): History | undefined {
  const random = rng(seed);
  const p = prepareHistory(h);
  const released = p.operations.filter((op) => op.f === 'release' && op.outcome === 'ok');
  const r = pick(random, released);
  if (r === undefined || r.f !== 'release') return undefined;
  const process = 'auditor';
  const latest = Math.max(r.token, ...p.grants.filter((g) => g.resource === r.resource && g.start < r.end).map((g) => g.grant.token));
  return {
    events: [
      ...h.events,
      { process, resource: r.resource, time: r.end + 0.01, f: 'checkFence', type: 'invoke', value: { token: r.token } },
      { process, resource: r.resource, time: r.end + 0.02, f: 'checkFence', type: 'ok', value: { current: true, latestToken: latest } },
    ],
    validity: h.validity,
  };
}
