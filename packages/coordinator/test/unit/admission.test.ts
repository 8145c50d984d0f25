import { OpenAdmission } from '../../src/server/admission';

/** A clock and a loop lag the test moves by hand; jitter fixed at its low end. */
function admission(opts: { maxPendingOpens: number; maxLoopLagMs: number; retryAfterMs: number }) {
  let now = 0;
  let lag = 0;
  const a = new OpenAdmission(opts, () => lag, () => 0, () => now);
  return {
    a,
    advance: (ms: number) => {
      now += ms;
    },
    setLag: (ms: number) => {
      lag = ms;
    },
  };
}

describe('OpenAdmission', () => {
  it('admits up to maxPendingOpens at once, refuses beyond with a hint naming the flag, and admits again after done()', () => {
    const { a } = admission({ maxPendingOpens: 2, maxLoopLagMs: 100, retryAfterMs: 50 });
    expect(a.tryAdmit()).toBeUndefined();
    expect(a.tryAdmit()).toBeUndefined();
    const r = a.tryAdmit();
    expect(r?.retryAfterMs).toBe(50);
    expect(r?.reason).toMatch(/2 session opens await replication .*--max-pending-opens 2.*retry after 50 ms/);
    a.done();
    expect(a.tryAdmit()).toBeUndefined();
    expect(a.pending).toBe(2);
  });

  it('refuses while the event loop lagged more than maxLoopLagMs during a burst (16 pending), naming the lag; a lone open is admitted', () => {
    const { a, setLag } = admission({ maxPendingOpens: 100, maxLoopLagMs: 100, retryAfterMs: 50 });
    setLag(250);
    for (let i = 0; i < 16; i++) expect(a.tryAdmit()).toBeUndefined();
    expect(a.tryAdmit()?.reason).toMatch(/lagged 250 ms \(--max-loop-lag-ms 100\)/);
    expect(a.pending).toBe(16);
    setLag(100);
    expect(a.tryAdmit()).toBeUndefined();
  });

  it('the hint grows with the refusals of the last second (no retry storm) and falls back once they stop', () => {
    const { a, advance } = admission({ maxPendingOpens: 4, maxLoopLagMs: 100, retryAfterMs: 10 });
    for (let i = 0; i < 4; i++) a.tryAdmit();
    const hints: number[] = [];
    for (let i = 0; i < 40; i++) hints.push(a.tryAdmit()?.retryAfterMs ?? -1);
    expect(hints[0]).toBe(10);
    // 40 refusals of 4 admitted: the hint has grown tenfold, and never shrank on the way.
    expect(hints[39]).toBe(110);
    for (let i = 1; i < hints.length; i++) expect(hints[i]).toBeGreaterThanOrEqual(hints[i - 1] ?? 0);
    advance(2500);
    expect(a.tryAdmit()?.retryAfterMs).toBe(10);
  });
});
