import {
  type AcquireOperation,
  type GrantValue,
  type History,
  type LockMode,
  type PreparedHistory,
  prepareHistory,
  relativeTime,
  type Validity,
} from './history';
import { type CheckResult, type ReportLimits, ViolationSink } from './violation';

const sep = '\u0000';

/** Reports what the recorder got wrong: unpaired or mismatched events. */
export function checkHistoryWellFormed(history: History | PreparedHistory, limits: ReportLimits = {}): CheckResult {
  const h = prepareHistory(history);
  const sink = new ViolationSink(h, 'history', limits);
  for (const p of h.problems) sink.add({ kind: 'malformedHistory', message: p.message, resources: [p.resource], from: p.time, to: p.time });
  return sink.result();
}

interface Window {
  readonly v: Validity;
  readonly mode: LockMode;
  readonly units: number;
  readonly capacity: number;
}

/**
 * Mutual exclusion and capacity, judged by the workers' own validity windows (half-open
 * [grantedAt, validUntil), so a release and the next grant may share a millisecond): no
 * exclusive window overlaps any other window of its resource, and overlapping shared windows
 * never take more permits than the capacity. A sweep over window edges, O(n log n) plus the
 * size of the overlapping sets.
 */
export function checkCapacity(history: History | PreparedHistory, limits: ReportLimits = {}): CheckResult {
  const h = prepareHistory(history);
  const at = (t: number): string => relativeTime(h.startTime, t);
  const sink = new ViolationSink(h, 'capacity', limits);
  const grantsByToken = new Map<string, AcquireOperation[]>();
  const capacityOf = new Map<string, number>();
  for (const g of h.grants) {
    const key = `${g.resource}${sep}${g.grant.token}`;
    const list = grantsByToken.get(key);
    if (list === undefined) grantsByToken.set(key, [g]);
    else list.push(g);
    capacityOf.set(g.resource, Math.max(capacityOf.get(g.resource) ?? 1, g.grant.capacity));
  }

  const perResource = new Map<string, Window[]>();
  for (const v of h.history.validity) {
    if (!(v.validUntil > v.grantedAt)) continue; // an empty window was never relied on
    const candidates = grantsByToken.get(`${v.resource}${sep}${v.token}`) ?? [];
    const grant: GrantValue | undefined = (candidates.find((g) => g.process === v.process) ?? candidates[0])?.grant;
    const mode = v.mode ?? grant?.mode ?? 'exclusive';
    const capacity = Math.max(1, v.capacity ?? grant?.capacity ?? capacityOf.get(v.resource) ?? 1);
    const permits = Math.max(1, v.permits ?? grant?.permits ?? 1);
    const w: Window = { v, mode, capacity, units: mode === 'exclusive' ? capacity : permits };
    const list = perResource.get(v.resource);
    if (list === undefined) perResource.set(v.resource, [w]);
    else list.push(w);
  }

  for (const [resource, windows] of perResource) {
    // Ends sort before starts at the same instant: half-open windows.
    const edges: { t: number; start: boolean; w: Window }[] = [];
    for (const w of windows) {
      edges.push({ t: w.v.grantedAt, start: true, w });
      edges.push({ t: w.v.validUntil, start: false, w });
    }
    edges.sort((a, b) => a.t - b.t || Number(a.start) - Number(b.start));
    const active = new Set<Window>();
    let used = 0;
    for (const e of edges) {
      if (!e.start) {
        if (active.delete(e.w)) used -= e.w.units;
        continue;
      }
      const w = e.w;
      // Capacities can differ only across lifetimes of the resource (the coordinator rejects a
      // mismatch while it lives), so overlapping windows are held to the smallest one.
      let capacity = w.capacity;
      let exclusive = w.mode === 'exclusive';
      for (const o of active) {
        capacity = Math.min(capacity, o.capacity);
        exclusive ||= o.mode === 'exclusive';
      }
      if (used + w.units > capacity && active.size > 0) {
        const others = [...active];
        const to = Math.min(w.v.validUntil, Math.max(...others.map((o) => o.v.validUntil)));
        const describe = (x: Window): string =>
          `${x.v.process} token ${x.v.token} (${x.mode}${x.mode === 'shared' ? ` ${x.units}` : ''}) [${at(x.v.grantedAt)}, ${at(x.v.validUntil)})`;
        sink.add({
          kind: exclusive ? 'exclusiveOverlap' : 'capacityExceeded',
          message: exclusive
            ? `${resource}: ${describe(w)} overlaps ${others.map(describe).join(', ')} while one of them is exclusive`
            : `${resource}: ${used + w.units} permits held at ${at(w.v.grantedAt)} with capacity ${capacity}: ${[w, ...others].map(describe).join(', ')}`,
          resources: [resource],
          from: w.v.grantedAt,
          to,
          windows: [...others.map((o) => o.v), w.v],
          contextFrom: Math.min(...others.map((o) => o.v.grantedAt)),
        });
      }
      active.add(w);
      used += w.units;
    }
  }
  return sink.result();
}

/** Options of {@link checkTokens}. */
export interface TokenCheckOptions extends ReportLimits {
  /**
   * `cluster` (the default) holds every pair of grants to real-time order, as lock.proto
   * promises (tokens are Raft indexes, strictly increasing cluster-wide); `resource` only
   * pairs on the same resource (the minimum a fenced store relies on). Uniqueness is always
   * cluster-wide.
   */
  readonly scope?: 'cluster' | 'resource';
}

/**
 * Fencing tokens: unique cluster-wide, and if grant A's ok precedes grant B's invoke in real
 * time then token(A) < token(B). Concurrent grants may come back in either order. O(n log n):
 * B's invoke is compared with the largest token among grants that returned before it.
 */
export function checkTokens(history: History | PreparedHistory, options: TokenCheckOptions = {}): CheckResult {
  const h = prepareHistory(history);
  const at = (t: number): string => relativeTime(h.startTime, t);
  const sink = new ViolationSink(h, 'tokens', options);

  const byToken = new Map<number, (AcquireOperation & { grant: GrantValue })[]>();
  for (const g of h.grants) {
    const list = byToken.get(g.grant.token);
    if (list === undefined) byToken.set(g.grant.token, [g]);
    else list.push(g);
  }
  for (const [token, list] of byToken) {
    if (list.length < 2) continue;
    sink.add({
      kind: 'duplicateToken',
      message: `token ${token} granted ${list.length} times: ${list.map((g) => `${g.process} on ${g.resource} at ${at(g.end)}`).join(', ')}`,
      resources: [...new Set(list.map((g) => g.resource))],
      from: Math.min(...list.map((g) => g.start)),
      to: Math.max(...list.map((g) => g.end)),
    });
  }

  const groups = new Map<string, (AcquireOperation & { grant: GrantValue })[]>();
  for (const g of h.grants) {
    const key = options.scope === 'resource' ? g.resource : '';
    const list = groups.get(key);
    if (list === undefined) groups.set(key, [g]);
    else list.push(g);
  }
  for (const grants of groups.values()) {
    const byInvoke = grants; // already in invoke order
    const byReturn = [...grants].sort((a, b) => a.end - b.end);
    let i = 0;
    let max: (AcquireOperation & { grant: GrantValue }) | undefined;
    for (const b of byInvoke) {
      for (; i < byReturn.length && byReturn[i]!.end < b.start; i++) {
        const a = byReturn[i]!;
        if (max === undefined || a.grant.token > max.grant.token) max = a;
      }
      // Equal tokens are reported once, as duplicates, above.
      if (max !== undefined && max.grant.token > b.grant.token) {
        sink.add({
          kind: 'tokenOrder',
          message:
            `${b.process} was granted ${b.resource} with token ${b.grant.token} (invoked at ${at(b.start)}) after ` +
            `${max.process}'s grant of ${max.resource} with the higher token ${max.grant.token} had returned (at ${at(max.end)})`,
          resources: [...new Set([max.resource, b.resource])],
          from: max.start,
          to: b.end,
        });
      }
    }
  }
  return sink.result();
}

/**
 * Every acknowledged release ends its hold: once a release of token t on R has returned ok, no
 * checkFence of t on R invoked later says `current: true`, no acquire invoked later is granted
 * t again, and the release named a token that was granted on R at all.
 */
export function checkReleases(history: History | PreparedHistory, limits: ReportLimits = {}): CheckResult {
  const h = prepareHistory(history);
  const at = (t: number): string => relativeTime(h.startTime, t);
  const sink = new ViolationSink(h, 'releases', limits);
  const granted = new Map<string, AcquireOperation[]>();
  for (const g of h.grants) {
    const key = `${g.resource}${sep}${g.grant.token}`;
    const list = granted.get(key);
    if (list === undefined) granted.set(key, [g]);
    else list.push(g);
  }
  const fencedCurrent = new Map<string, { start: number; end: number; process: string }[]>();
  for (const op of h.operations) {
    if (op.f !== 'checkFence' || op.result === undefined || !op.result.current) continue;
    const key = `${op.resource}${sep}${op.token}`;
    const list = fencedCurrent.get(key);
    const entry = { start: op.start, end: op.end, process: op.process };
    if (list === undefined) fencedCurrent.set(key, [entry]);
    else list.push(entry);
  }

  for (const op of h.operations) {
    if (op.f !== 'release' || op.outcome !== 'ok') continue;
    const key = `${op.resource}${sep}${op.token}`;
    const grants = granted.get(key) ?? [];
    const acknowledged = op.end;
    if (!grants.some((g) => g.start <= acknowledged)) {
      sink.add({
        kind: 'releaseOfUnknownHold',
        message: `${op.process}'s release of ${op.resource} token ${op.token} was acknowledged at ${at(acknowledged)}, but no grant of that token on ${op.resource} was invoked before it`,
        resources: [op.resource],
        from: op.start,
        to: op.end,
      });
    }
    for (const g of grants) {
      if (g.start > acknowledged) {
        sink.add({
          kind: 'releaseNotHonoured',
          message: `${op.resource} token ${op.token} was released (ack at ${at(acknowledged)}) and then granted again to ${g.process} (invoked at ${at(g.start)})`,
          resources: [op.resource],
          from: op.start,
          to: g.end,
        });
      }
    }
    // checkFence ops are in invoke order; the first one past the ack shows the problem, the
    // rest repeat it.
    const checks = fencedCurrent.get(key) ?? [];
    const late = checks.find((c) => c.start > acknowledged);
    if (late !== undefined) {
      const more = checks.filter((c) => c.start > acknowledged).length - 1;
      sink.add({
        kind: 'releaseNotHonoured',
        message:
          `${op.resource} token ${op.token} was released by ${op.process} (ack at ${at(acknowledged)}) but ${late.process}'s checkFence ` +
          `invoked at ${at(late.start)} says it is still current${more > 0 ? ` (and ${more} later checks agree)` : ''}`,
        resources: [op.resource],
        from: op.start,
        to: late.end,
      });
    }
  }
  return sink.result();
}
