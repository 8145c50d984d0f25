import { EventEmitter } from 'node:events';
import { createMetrics, type Metrics } from '../../src/metrics';
import { attachLockMetrics } from '../../src/server/lock-metrics';
import type { ApplyOutput } from '../../src/state';
import { Driver, tokenOf } from './harness';

/** A Replica stand-in: the Driver's outputs are "applied" here as on a leader (or a follower). */
class Source extends EventEmitter<{ applied: [ApplyOutput] }> {
  leader = true;
  isLeader(): boolean {
    return this.leader;
  }
}

async function value(m: Metrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = m.registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  const got = await metric.get();
  const want = Object.entries(labels);
  return got.values
    .filter((v) => (v as { metricName?: string }).metricName === undefined || (v as { metricName?: string }).metricName === name)
    .filter((v) => want.every(([k, x]) => v.labels[k] === x))
    .reduce((sum, v) => sum + v.value, 0);
}

/** Count of observations in a histogram (its _count series) for these labels. */
async function count(m: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const got = await m.registry.getSingleMetric(name)!.get();
  const want = Object.entries(labels);
  return got.values
    .filter((v) => (v as { metricName?: string }).metricName === `${name}_count`)
    .filter((v) => want.every(([k, x]) => v.labels[k] === x))
    .reduce((sum, v) => sum + v.value, 0);
}

async function sum(m: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const got = await m.registry.getSingleMetric(name)!.get();
  const want = Object.entries(labels);
  return got.values
    .filter((v) => (v as { metricName?: string }).metricName === `${name}_sum`)
    .filter((v) => want.every(([k, x]) => v.labels[k] === x))
    .reduce((s, v) => s + v.value, 0);
}

function setup(): { d: Driver; src: Source; m: Metrics; wall: { now: number }; apply: (out: ApplyOutput) => ApplyOutput } {
  const d = new Driver();
  const src = new Source();
  const m = createMetrics('n1');
  // The leader's wall clock: the Driver stamps commands with d.clock, outcomes are read here.
  const wall = { now: d.clock };
  attachLockMetrics(src, m, () => wall.now);
  const apply = (out: ApplyOutput): ApplyOutput => {
    src.emit('applied', out);
    return out;
  };
  return { d, src, m, wall, apply };
}

describe('lock metrics from applied entries', () => {
  test('immediate, queued and refused requests; the wait runs from arrival to grant', async () => {
    const { d, m, wall, apply } = setup();
    apply(d.open('s1'));
    apply(d.open('s2'));
    apply(d.open('s3'));
    wall.now = d.clock + 2; // the immediate grant applies 2 ms after it arrived
    const t1 = tokenOf(apply(d.lock('s1', 1, 'a')));
    apply(d.lock('s2', 1, 'a'));
    apply(d.lock('s3', 1, 'a', { tryOnly: true }));
    expect(await value(m, 'quorumlock_lock_requests_total', { result: 'immediate' })).toBe(1);
    expect(await value(m, 'quorumlock_lock_requests_total', { result: 'queued' })).toBe(1);
    expect(await value(m, 'quorumlock_lock_requests_total', { result: 'refused' })).toBe(1);
    const queuedAt = d.clock;
    d.advance(1500);
    wall.now = d.clock + 5;
    apply(d.release('s1', 2, 'a', t1));
    expect(await count(m, 'quorumlock_acquire_wait_seconds', { outcome: 'granted' })).toBe(2);
    // s2 waited from its arrival (queuedAt) to the grant seen at wall.now.
    const waits = await sum(m, 'quorumlock_acquire_wait_seconds', { outcome: 'granted' });
    expect(waits).toBeCloseTo((wall.now - queuedAt) / 1000 + 0.002, 6);
    expect(await count(m, 'quorumlock_acquire_wait_seconds', { outcome: 'refused' })).toBe(1);
    expect(await count(m, 'quorumlock_lock_hold_seconds', { ended: 'released' })).toBe(1);
    expect(await sum(m, 'quorumlock_lock_hold_seconds', { ended: 'released' })).toBeCloseTo(1.5, 6);
  });

  test('a resent request is not counted twice; a follower counts nothing', async () => {
    const { d, src, m, apply } = setup();
    apply(d.open('s1'));
    apply(d.lock('s1', 1, 'a'));
    apply(d.lock('s1', 1, 'a')); // the client resent after a failover: same grant, replayed
    expect(await value(m, 'quorumlock_lock_requests_total', { result: 'immediate' })).toBe(1);
    expect(await count(m, 'quorumlock_acquire_wait_seconds', { outcome: 'granted' })).toBe(1);
    src.leader = false;
    apply(d.open('s2'));
    apply(d.lock('s2', 1, 'a'));
    expect(await value(m, 'quorumlock_lock_requests_total', { result: 'queued' })).toBe(0);
  });

  test('timeouts, cancels, deadlocks and requests that end with their session', async () => {
    const { d, m, apply } = setup();
    apply(d.open('s1'));
    apply(d.open('s2'));
    apply(d.open('s3'));
    apply(d.lock('s1', 1, 'a'));
    apply(d.lock('s2', 1, 'b'));
    apply(d.lock('s3', 1, 'a', { waitTimeoutMs: 100 }));
    apply(d.lock('s3', 2, 'b'));
    apply(d.cancel('s3', 2));
    apply(d.advance(100).tick());
    expect(await count(m, 'quorumlock_acquire_wait_seconds', { outcome: 'timeout' })).toBe(1);
    expect(await count(m, 'quorumlock_acquire_wait_seconds', { outcome: 'cancelled' })).toBe(1);
    apply(d.lock('s1', 2, 'b')); // s1 waits for s2
    apply(d.lock('s2', 2, 'a')); // s2 would wait for s1: a cycle
    expect(await value(m, 'quorumlock_deadlocks_detected_total')).toBe(1);
    expect(await count(m, 'quorumlock_acquire_wait_seconds', { outcome: 'deadlock' })).toBe(1);
    apply(d.run({ type: 'closeSession', sessionId: 's1' })); // its wait on b ends with it
    expect(await count(m, 'quorumlock_acquire_wait_seconds', { outcome: 'session_ended' })).toBe(1);
    // closing released s1's hold of a
    expect(await count(m, 'quorumlock_lock_hold_seconds', { ended: 'released' })).toBe(1);
  });

  test('expirations count sessions (not batches), their freed holds, and revocations', async () => {
    const { d, m, apply } = setup();
    apply(d.open('s1', 1000));
    apply(d.open('s2', 1000));
    apply(d.open('s3', 60_000));
    apply(d.open('s4', 60_000));
    apply(d.lock('s1', 1, 'a'));
    apply(d.lock('s2', 1, 'b'));
    apply(d.lock('s3', 1, 'c'));
    apply(d.advance(2000).run({ type: 'expireSessions', sessionIds: ['s1', 's2', 's3'] })); // s3 is alive
    expect(await value(m, 'quorumlock_session_expirations_total', { cause: 'ttl' })).toBe(2);
    expect(await value(m, 'quorumlock_holds_freed_by_expiry_total')).toBe(2);
    expect(await count(m, 'quorumlock_lock_hold_seconds', { ended: 'session_expired' })).toBe(2);
    apply(d.run({ type: 'revoke', name: 'c', reason: 'stuck' }));
    expect(await value(m, 'quorumlock_lock_revocations_total')).toBe(1);
    expect(await count(m, 'quorumlock_lock_hold_seconds', { ended: 'revoked' })).toBe(1);
    apply(d.run({ type: 'adminExpireSession', sessionId: 's4' }));
    expect(await value(m, 'quorumlock_session_expirations_total', { cause: 'admin' })).toBe(1);
    expect(await value(m, 'quorumlock_session_expirations_total')).toBe(3);
  });
});
