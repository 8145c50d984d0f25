import { LockStateMachine } from '../../src/state';

/** overdueSessions skips its scan before the earliest deadline it knows; a new session may come due sooner. */
describe('overdueSessions', () => {
  let index = 0;
  const open = (m: LockStateMachine, sessionId: string, ttlMs: number, stamp: number): void => {
    m.applyCommand({ type: 'openSession', sessionId, ttlMs, clientName: '', stamp }, { index: ++index, term: 1 });
  };

  it('finds a short-TTL session opened after a scan that saw only a long one', () => {
    const m = new LockStateMachine({ maxClockSkewMs: 0 });
    open(m, 'long', 10_000, 1000);
    expect(m.overdueSessions(2000)).toEqual([]);
    open(m, 'short', 1000, 2000);
    expect(m.overdueSessions(3000)).toEqual(['short']);
    expect(m.overdueSessions(11_000)).toEqual(['long', 'short']);
  });

  it('after a restore the scan starts over', () => {
    const a = new LockStateMachine({ maxClockSkewMs: 0 });
    const b = new LockStateMachine({ maxClockSkewMs: 0 });
    open(b, 'x', 60_000, 0);
    expect(b.overdueSessions(10)).toEqual([]);
    open(a, 'y', 1000, 0);
    b.restore(a.snapshot());
    expect(b.overdueSessions(1000)).toEqual(['y']);
  });
});
