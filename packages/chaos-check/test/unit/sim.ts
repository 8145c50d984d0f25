/**
 * A seeded simulation of a correct lock service and its clients, producing the history the
 * fault suite would record. The server applies each request atomically when it arrives, so
 * every acknowledged operation takes effect between its invoke and its completion, and every
 * client's validity window lies inside the server's hold. Faults: lost requests and lost
 * responses (recorded as `info`, after which the client process retires and its session
 * expires a TTL later), workers crashing mid-hold, workers cut off mid-hold (their lease
 * signal fires before the server expires them and their late release fails), wait timeouts.
 */
import type { AcquireRequest, History, HistoryEvent, LockMode, Validity, ValidityEnd } from '../../src';

export interface SimOptions {
  readonly seed: number;
  /** Concurrent client loops. */
  readonly clients: number;
  /** Capacity per resource (index = resource number); 1 = mutex. */
  readonly capacities: readonly number[];
  /** Stop invoking new operations after this many. */
  readonly operations: number;
  /** One-way latency bounds, ms. */
  readonly latency?: readonly [number, number];
  readonly ttl?: number;
  /** Probabilities per operation. */
  readonly pLostRequest?: number;
  readonly pLostResponse?: number;
  readonly pCrashHolding?: number;
  readonly pPartitionHolding?: number;
  readonly pWaitTimeout?: number;
  readonly pStaleFence?: number;
  /** When false the run stops as soon as the operation budget is spent, leaving ops and holds open. */
  readonly drain?: boolean;
}

export interface SimResult {
  readonly history: History;
  /** Tokens granted whose client never learned of them. */
  readonly hiddenGrants: number;
}

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Task {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
}

class Queue {
  private heap: Task[] = [];
  private seq = 0;
  push(at: number, run: () => void): void {
    const h = this.heap;
    h.push({ at, seq: this.seq++, run });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[p]!, h[i]!)) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }
  pop(): Task | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l]!, h[m]!)) m = l;
        if (r < h.length && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
}
function less(a: Task, b: Task): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

interface Waiter {
  readonly session: string;
  readonly units: number;
  readonly reply: (token: number) => void;
  readonly mode: LockMode;
}

interface Resource {
  readonly capacity: number;
  readonly holders: Map<number, { session: string; units: number }>;
  used: number;
  readonly queue: Waiter[];
  latestToken: number;
}

export function simulate(o: SimOptions): SimResult {
  const random = rng(o.seed);
  const [lo, hi] = o.latency ?? [0.1, 4];
  const ttl = o.ttl ?? 200;
  const margin = ttl / 10;
  const clientTimeout = ttl / 2;
  const q = new Queue();
  const events: HistoryEvent[] = [];
  const validity: Validity[] = [];
  let now = 0;
  let invoked = 0;
  let hiddenGrants = 0;

  const latency = (): number => lo + random() * (hi - lo);
  const chance = (p: number | undefined): boolean => random() < (p ?? 0);
  const name = (i: number): string => `r${i}`;

  // ------------------------------------------------------------------ the server
  let index = 0;
  let lastToken = 0;
  const resources = new Map<string, Resource>();
  const sessions = new Map<string, { alive: boolean }>();

  const nextToken = (): number => (lastToken = Math.max(index, lastToken + 1));
  const settle = (rname: string, r: Resource): void => {
    for (let w = r.queue[0]; w !== undefined && r.used + w.units <= r.capacity; w = r.queue[0]) {
      r.queue.shift();
      const token = nextToken();
      r.holders.set(token, { session: w.session, units: w.units });
      r.used += w.units;
      r.latestToken = token;
      w.reply(token);
    }
    if (r.holders.size === 0 && r.queue.length === 0) resources.delete(rname);
  };
  const server = {
    acquire(session: string, rname: string, req: AcquireRequest, waitTimeout: number, reply: (token: number) => void, fail: (why: string) => void): void {
      index++;
      if (sessions.get(session)?.alive !== true) return fail('NOT_FOUND session');
      let r = resources.get(rname);
      if (r === undefined) {
        r = { capacity: req.capacity, holders: new Map(), used: 0, queue: [], latestToken: 0 };
        resources.set(rname, r);
      }
      const waiter: Waiter = { session, units: req.mode === 'exclusive' ? req.capacity : req.permits, reply, mode: req.mode };
      r.queue.push(waiter);
      if (waitTimeout > 0) {
        q.push(now + waitTimeout, () => {
          const res = resources.get(rname);
          const i = res?.queue.indexOf(waiter) ?? -1;
          if (res === undefined || i < 0) return;
          index++;
          res.queue.splice(i, 1);
          fail('DEADLINE_EXCEEDED');
          settle(rname, res);
        });
      }
      settle(rname, r);
    },
    release(session: string, rname: string, token: number): boolean {
      index++;
      const r = resources.get(rname);
      const h = r?.holders.get(token);
      if (r === undefined || h === undefined || h.session !== session) return false;
      r.holders.delete(token);
      r.used -= h.units;
      settle(rname, r);
      return true;
    },
    checkFence(rname: string, token: number): { current: boolean; latestToken: number } {
      const r = resources.get(rname);
      if (r === undefined) return { current: false, latestToken: 0 };
      return { current: r.holders.has(token), latestToken: r.latestToken };
    },
    expire(session: string): void {
      const s = sessions.get(session);
      if (s === undefined || !s.alive) return;
      index++;
      s.alive = false;
      for (const [rname, r] of [...resources]) {
        for (const [token, h] of [...r.holders]) {
          if (h.session !== session) continue;
          r.holders.delete(token);
          r.used -= h.units;
        }
        for (let i = r.queue.length - 1; i >= 0; i--) if (r.queue[i]!.session === session) r.queue.splice(i, 1);
        settle(rname, r);
      }
    },
  };

  // ------------------------------------------------------------------ the clients
  const grantsSeen: { resource: string; token: number }[] = [];
  const record = (e: HistoryEvent): void => {
    events.push(e);
  };

  const startClient = (k: number, gen: number): void => {
    const process = `c${k}${gen === 0 ? '' : `.${gen}`}`;
    sessions.set(process, { alive: true });
    // A retired process stops keeping its session alive; the server expires it a TTL later.
    const retire = (at: number): void => {
      q.push(at + ttl, () => server.expire(process));
      q.push(at + 1 + random() * 20, () => startClient(k, gen + 1));
    };
    const send = (fn: () => void): void => q.push(now + latency(), fn);

    const loop = (): void => {
      if (invoked >= o.operations) return;
      if (chance(o.pStaleFence) && grantsSeen.length > 0) {
        const g = grantsSeen[Math.floor(random() * grantsSeen.length)]!;
        staleFence(g.resource, g.token);
      } else acquire();
    };

    const staleFence = (resource: string, token: number): void => {
      invoked++;
      record({ process, resource, time: now, f: 'checkFence', type: 'invoke', value: { token } });
      const lost = chance(o.pLostResponse);
      send(() => {
        const result = server.checkFence(resource, token);
        if (lost) return;
        send(() => {
          record({ process, resource, time: now, f: 'checkFence', type: 'ok', value: result });
          q.push(now + random() * 5, loop);
        });
      });
      if (lost) {
        q.push(now + clientTimeout, () => {
          record({ process, resource, time: now, f: 'checkFence', type: 'info', value: { error: 'timeout' } });
          q.push(now + random() * 5, loop);
        });
      }
    };

    const acquire = (): void => {
      invoked++;
      const ri = Math.floor(random() * o.capacities.length);
      const resource = name(ri);
      const capacity = o.capacities[ri]!;
      const mode: LockMode = capacity === 1 || random() < 0.25 ? 'exclusive' : 'shared';
      const permits = mode === 'shared' ? 1 + Math.floor(random() * Math.min(2, capacity)) : 1;
      const req: AcquireRequest = { mode, permits, capacity };
      record({ process, resource, time: now, f: 'acquire', type: 'invoke', value: req });
      const fate = chance(o.pLostRequest) ? 'lostRequest' : chance(o.pLostResponse) ? 'lostResponse' : 'normal';
      const waitTimeout = chance(o.pWaitTimeout) ? 2 + random() * 30 : 0;
      if (fate !== 'normal') {
        q.push(now + clientTimeout, () => {
          record({ process, resource, time: now, f: 'acquire', type: 'info', value: { error: 'timeout' } });
          retire(now);
        });
        if (fate === 'lostRequest') return;
      }
      send(() =>
        server.acquire(
          process,
          resource,
          req,
          waitTimeout,
          (token) => {
            if (fate !== 'normal') {
              hiddenGrants++;
              return;
            }
            send(() => {
              record({ process, resource, time: now, f: 'acquire', type: 'ok', value: { ...req, token } });
              grantsSeen.push({ resource, token });
              hold(resource, token, req, now);
            });
          },
          (why) => {
            if (fate !== 'normal') return;
            send(() => {
              record({ process, resource, time: now, f: 'acquire', type: 'fail', value: { error: why } });
              q.push(now + random() * 5, loop);
            });
          },
        ),
      );
    };

    const valid = (resource: string, token: number, req: AcquireRequest, grantedAt: number, validUntil: number, end: ValidityEnd): void => {
      validity.push({ process, resource, token, grantedAt, validUntil, end, mode: req.mode, permits: req.permits, capacity: req.capacity });
    };

    const hold = (resource: string, token: number, req: AcquireRequest, grantedAt: number): void => {
      let fences = Math.floor(random() * 3);
      const step = (): void => {
        if (fences > 0 && invoked < o.operations) {
          fences--;
          invoked++;
          record({ process, resource, time: now, f: 'checkFence', type: 'invoke', value: { token } });
          send(() => {
            const result = server.checkFence(resource, token);
            send(() => {
              record({ process, resource, time: now, f: 'checkFence', type: 'ok', value: result });
              q.push(now + random() * 10, step);
            });
          });
          return;
        }
        if (chance(o.pCrashHolding)) {
          valid(resource, token, req, grantedAt, now, 'crash');
          retire(now);
          return;
        }
        if (chance(o.pPartitionHolding)) {
          // Cut off now: the last keepalive was acknowledged about now, so the client's lease
          // runs out at now + ttl - margin and the server's at now + ttl.
          const cut = now;
          valid(resource, token, req, grantedAt, cut + ttl - margin, 'signal');
          q.push(cut + ttl, () => server.expire(process));
          q.push(cut + ttl + 5 + random() * 20, () => {
            invoked++;
            record({ process, resource, time: now, f: 'release', type: 'invoke', value: { token } });
            send(() => {
              const released = server.release(process, resource, token);
              send(() => {
                record(
                  released
                    ? { process, resource, time: now, f: 'release', type: 'ok', value: { token } }
                    : { process, resource, time: now, f: 'release', type: 'fail', value: { error: 'NOT_FOUND' } },
                );
                q.push(now + 1, () => startClient(k, gen + 1));
              });
            });
          });
          return;
        }
        release();
      };
      const release = (): void => {
        invoked++;
        valid(resource, token, req, grantedAt, now, 'release');
        record({ process, resource, time: now, f: 'release', type: 'invoke', value: { token } });
        const fate = chance(o.pLostRequest) ? 'lostRequest' : chance(o.pLostResponse) ? 'lostResponse' : 'normal';
        if (fate !== 'normal') {
          q.push(now + clientTimeout, () => {
            record({ process, resource, time: now, f: 'release', type: 'info', value: { error: 'timeout' } });
            retire(now);
          });
          if (fate === 'lostRequest') return;
        }
        send(() => {
          const released = server.release(process, resource, token);
          if (fate !== 'normal') return;
          send(() => {
            record(
              released
                ? { process, resource, time: now, f: 'release', type: 'ok', value: { token } }
                : { process, resource, time: now, f: 'release', type: 'fail', value: { error: 'NOT_FOUND' } },
            );
            q.push(now + random() * 5, loop);
          });
        });
      };
      q.push(now + random() * 15, step);
    };

    q.push(now + random() * 5, loop);
  };

  for (let k = 0; k < o.clients; k++) startClient(k, 0);
  const drain = o.drain ?? true;
  for (let t = q.pop(); t !== undefined; t = q.pop()) {
    if (!drain && invoked >= o.operations) break;
    now = t.at;
    t.run();
  }
  // Holds still trusted when the recording stopped stay open.
  const closed = new Set(validity.map((v) => `${v.resource}/${v.token}`));
  const opens: Validity[] = [];
  for (const e of events) {
    if (e.f === 'acquire' && e.type === 'ok' && !closed.has(`${e.resource}/${e.value.token}`)) {
      const v = e.value;
      opens.push({ process: e.process, resource: e.resource, token: v.token, grantedAt: e.time, validUntil: Infinity, end: 'open', mode: v.mode, permits: v.permits, capacity: v.capacity });
    }
  }
  return { history: { events, validity: [...validity, ...opens] }, hiddenGrants };
}
