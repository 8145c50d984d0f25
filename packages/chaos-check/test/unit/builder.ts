import type { AcquireRequest, History, HistoryEvent, Validity, ValidityEnd } from '../../src';

const MUTEX: AcquireRequest = { mode: 'exclusive', permits: 1, capacity: 1 };

/** Writes hand-made histories tersely: each call records an invoke and its completion. */
export class HistoryBuilder {
  readonly events: HistoryEvent[] = [];
  readonly validity: Validity[] = [];

  /** An acquire that returned `token`. */
  grant(process: string, resource: string, [at, okAt]: readonly [number, number], token: number, req: AcquireRequest = MUTEX): this {
    this.events.push({ process, resource, time: at, f: 'acquire', type: 'invoke', value: req });
    this.events.push({ process, resource, time: okAt, f: 'acquire', type: 'ok', value: { ...req, token } });
    return this;
  }

  /** An acquire with unknown outcome (`info` at `infoAt`, or no completion at all). */
  acquireUnknown(process: string, resource: string, at: number, infoAt?: number, req: AcquireRequest = MUTEX): this {
    this.events.push({ process, resource, time: at, f: 'acquire', type: 'invoke', value: req });
    if (infoAt !== undefined) this.events.push({ process, resource, time: infoAt, f: 'acquire', type: 'info', value: { error: 'timeout' } });
    return this;
  }

  acquireFailed(process: string, resource: string, [at, failAt]: readonly [number, number], req: AcquireRequest = MUTEX): this {
    this.events.push({ process, resource, time: at, f: 'acquire', type: 'invoke', value: req });
    this.events.push({ process, resource, time: failAt, f: 'acquire', type: 'fail', value: { error: 'DEADLINE_EXCEEDED' } });
    return this;
  }

  release(process: string, resource: string, [at, doneAt]: readonly [number, number | undefined], token: number, outcome: 'ok' | 'fail' | 'info' = 'ok'): this {
    this.events.push({ process, resource, time: at, f: 'release', type: 'invoke', value: { token } });
    if (doneAt === undefined) return this;
    if (outcome === 'ok') this.events.push({ process, resource, time: doneAt, f: 'release', type: 'ok', value: { token } });
    else this.events.push({ process, resource, time: doneAt, f: 'release', type: outcome, value: { error: outcome === 'fail' ? 'NOT_FOUND' : 'timeout' } });
    return this;
  }

  fence(process: string, resource: string, [at, okAt]: readonly [number, number], token: number, current: boolean, latestToken: number): this {
    this.events.push({ process, resource, time: at, f: 'checkFence', type: 'invoke', value: { token } });
    this.events.push({ process, resource, time: okAt, f: 'checkFence', type: 'ok', value: { current, latestToken } });
    return this;
  }

  valid(process: string, resource: string, token: number, grantedAt: number, validUntil: number, end: ValidityEnd = 'release', req?: AcquireRequest): this {
    this.validity.push({ process, resource, token, grantedAt, validUntil, end, ...(req ?? {}) });
    return this;
  }

  /** A grant, its validity and its release in one go: the common well-behaved hold. */
  hold(process: string, resource: string, token: number, [at, okAt, releaseAt, releasedAt]: readonly [number, number, number, number], req: AcquireRequest = MUTEX): this {
    return this.grant(process, resource, [at, okAt], token, req).valid(process, resource, token, okAt, releaseAt, 'release', req).release(process, resource, [releaseAt, releasedAt], token);
  }

  build(): History {
    return { events: [...this.events], validity: [...this.validity] };
  }
}

export const shared = (permits: number, capacity: number): AcquireRequest => ({ mode: 'shared', permits, capacity });
export const exclusive = (capacity: number): AcquireRequest => ({ mode: 'exclusive', permits: 1, capacity });
