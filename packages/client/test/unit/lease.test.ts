/**
 * Lease safety on the client, with a hand-driven clock: the trusted-until instant is
 * `send time of the last acknowledged keepalive (or open) + TTL - margin`, never the arrival time
 * of an acknowledgement; `assertValid()` checks it synchronously (no timer needed, as after a
 * SIGSTOP); `signal` fires with a LockLostError; loss is final; release is idempotent.
 */
import { ManualClock } from '../../src/clock';
import { isLockError, LockLostError, type LockLostReason } from '../../src/errors';
import { Lease, type LeaseOwner } from '../../src/lease';
import { defaultSafetyMarginMs, SessionLease } from '../../src/session-lease';

describe('SessionLease (trusted-until math)', () => {
  it('uses ceil(ttl/10) + 50 ms as the default margin', () => {
    expect(defaultSafetyMarginMs(10_000)).toBe(1050);
    expect(defaultSafetyMarginMs(1000)).toBe(150);
    expect(defaultSafetyMarginMs(333)).toBe(84);
  });

  it('starts untrusted, and trusts an open from its send time', () => {
    const clock = new ManualClock(1000);
    const l = new SessionLease(() => clock.now());
    expect(l.deadline).toBe(Number.NEGATIVE_INFINITY);
    expect(l.expired()).toBe(true);
    const sentAt = clock.now();
    clock.advance(400); // the open's answer takes 400 ms to arrive
    l.opened(sentAt, 10_000);
    expect(l.deadline).toBe(1000 + 10_000 - 1050);
  });

  it('renews from the send time of the acknowledged keepalive, not from the ack arrival', () => {
    const clock = new ManualClock(0);
    const l = new SessionLease(() => clock.now(), 100);
    l.opened(0, 1000);
    clock.advance(300);
    l.keepaliveSent(1); // sent at 300
    clock.advance(300);
    l.keepaliveSent(2); // sent at 600
    clock.advance(250); // now 850
    expect(l.keepaliveAcked(1, 1000)).toBe(true);
    expect(l.deadline).toBe(300 + 1000 - 100);
    expect(l.oldestUnackedAgeMs()).toBe(250);
    expect(l.keepaliveAcked(2, 1000)).toBe(true);
    expect(l.deadline).toBe(600 + 1000 - 100);
  });

  it('an ack of a newer keepalive also settles the older ones; unknown or repeated acks renew nothing', () => {
    const clock = new ManualClock(0);
    const l = new SessionLease(() => clock.now(), 0);
    l.opened(0, 1000);
    clock.advance(100);
    l.keepaliveSent(1);
    clock.advance(100);
    l.keepaliveSent(2);
    expect(l.keepaliveAcked(2, 0)).toBe(true);
    expect(l.deadline).toBe(1200);
    expect(l.keepaliveAcked(1, 0)).toBe(false);
    expect(l.keepaliveAcked(2, 0)).toBe(false);
    expect(l.keepaliveAcked(99, 0)).toBe(false);
    expect(l.deadline).toBe(1200);
    expect(l.oldestUnackedAgeMs()).toBe(0);
  });

  it('a late ack of an old keepalive never moves the deadline backwards or past its own send time + ttl', () => {
    const clock = new ManualClock(0);
    const l = new SessionLease(() => clock.now(), 0);
    l.opened(0, 1000);
    l.keepaliveSent(1); // at 0
    clock.advance(5000); // paused far past the TTL
    expect(l.keepaliveAcked(1, 1000)).toBe(true);
    expect(l.deadline).toBe(1000);
    expect(l.expired()).toBe(true);
  });

  it('forgets unacked keepalives of a lost stream, and everything on reset', () => {
    const clock = new ManualClock(0);
    const l = new SessionLease(() => clock.now(), 0);
    l.opened(0, 1000);
    l.keepaliveSent(1);
    l.streamLost();
    expect(l.keepaliveAcked(1, 1000)).toBe(false);
    expect(l.deadline).toBe(1000);
    l.reset();
    expect(l.deadline).toBe(Number.NEGATIVE_INFINITY);
    expect(l.ttlMs).toBe(0);
  });

  it('takes the TTL the server confirms in acks', () => {
    const clock = new ManualClock(0);
    const l = new SessionLease(() => clock.now(), 0);
    l.opened(0, 1000);
    l.keepaliveSent(1);
    l.keepaliveAcked(1, 4000);
    expect(l.ttlMs).toBe(4000);
    expect(l.deadline).toBe(4000);
  });
});

class FakeOwner implements LeaseOwner {
  deadline = 0;
  released = 0;
  puts: Uint8Array[] = [];
  lost: LockLostError[] = [];
  ended = 0;
  constructor(readonly clock: ManualClock) {}
  now(): number {
    return this.clock.now();
  }
  sessionDeadline(): number {
    return this.deadline;
  }
  releaseHold(): Promise<void> {
    this.released++;
    return Promise.resolve();
  }
  putValue(_l: Lease, v: Uint8Array): Promise<void> {
    this.puts.push(v);
    return Promise.resolve();
  }
  leaseLost(_l: Lease, e: LockLostError): void {
    this.lost.push(e);
  }
  leaseEnded(): void {
    this.ended++;
  }
}

function makeLease(owner: FakeOwner): Lease {
  return new Lease(owner, { name: 'orders/1', token: 42, mode: 'exclusive', permits: 1, requestId: 7, value: new Uint8Array([1]) });
}

describe('Lease', () => {
  it('assertValid throws LockLostError synchronously once the deadline passed, with no timer involved', () => {
    const clock = new ManualClock(0);
    const owner = new FakeOwner(clock);
    owner.deadline = 1000;
    const lease = makeLease(owner);
    const seen: unknown[] = [];
    lease.signal.addEventListener('abort', () => seen.push(lease.signal.reason));
    expect(() => lease.assertValid()).not.toThrow();
    expect(lease.remainingMs).toBe(1000);
    clock.advance(999);
    expect(lease.valid).toBe(true);
    // A pause: time jumps past the deadline and no timer has run yet.
    clock.jump(4001);
    let thrown: unknown;
    try {
      lease.assertValid();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(LockLostError);
    expect(isLockError(thrown, 'ERR_LOCK_LOST')).toBe(true);
    expect((thrown as LockLostError).reason).toBe<LockLostReason>('deadline');
    expect((thrown as LockLostError).message).toMatch(/'orders\/1' \(token 42\).*Stop acting/);
    expect(lease.signal.aborted).toBe(true);
    expect(seen).toEqual([thrown]); // the signal fired, with the same error, before assertValid returned
    expect(owner.lost).toEqual([thrown]);
    expect(lease.remainingMs).toBe(0);
  });

  it('the loss is final: a renewed session deadline does not revive the lease', () => {
    const clock = new ManualClock(0);
    const owner = new FakeOwner(clock);
    owner.deadline = 100;
    const lease = makeLease(owner);
    clock.advance(100);
    expect(lease.valid).toBe(false);
    owner.deadline = 10_000;
    expect(lease.valid).toBe(false);
    expect(() => lease.assertValid()).toThrow(LockLostError);
  });

  it('lose() records the first reason only (revocation from the server)', () => {
    const owner = new FakeOwner(new ManualClock(0));
    owner.deadline = 1000;
    const lease = makeLease(owner);
    expect(lease.lose('revoked', 'revoked by an administrator')).toBe(true);
    expect(lease.lose('session expired')).toBe(false);
    expect((lease.signal.reason as LockLostError).reason).toBe('revoked');
    expect((lease.signal.reason as LockLostError).detail).toBe('revoked by an administrator');
  });

  it('release is idempotent, aborts the signal with reason released, and does not report a loss', async () => {
    const owner = new FakeOwner(new ManualClock(0));
    owner.deadline = 1000;
    const lease = makeLease(owner);
    const a = lease.release();
    const b = lease.release();
    expect(a).toBe(b);
    await a;
    await lease[Symbol.asyncDispose]();
    expect(owner.released).toBe(1);
    expect(owner.ended).toBe(1);
    expect(owner.lost).toEqual([]);
    expect((lease.signal.reason as LockLostError).reason).toBe('released');
  });

  it('release after the server ended the hold sends nothing', async () => {
    const owner = new FakeOwner(new ManualClock(0));
    owner.deadline = 1000;
    const lease = makeLease(owner);
    lease.lose('revoked');
    lease.ended();
    await lease.release();
    expect(owner.released).toBe(0);
  });

  it('put refuses a lost lease and updates value on success', async () => {
    const clock = new ManualClock(0);
    const owner = new FakeOwner(clock);
    owner.deadline = 1000;
    const lease = makeLease(owner);
    await lease.put('done');
    expect(new TextDecoder().decode(lease.value)).toBe('done');
    clock.advance(1000);
    await expect(lease.put('again')).rejects.toBeInstanceOf(LockLostError);
    expect(owner.puts).toHaveLength(1);
  });

  it('works with await using', async () => {
    const owner = new FakeOwner(new ManualClock(0));
    owner.deadline = 1000;
    {
      await using lease = makeLease(owner);
      expect(lease.valid).toBe(true);
    }
    expect(owner.released).toBe(1);
  });
});
