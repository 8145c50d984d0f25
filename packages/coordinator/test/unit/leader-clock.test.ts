import { LeaderClock } from '../../src/leader-clock';
import { Driver } from './harness';

/** A monotonic source the test moves by hand. */
class FakeMono {
  t = 5_000.25;
  readonly read = (): number => this.t;
}

describe('LeaderClock', () => {
  test('a leader starts from the applied time and moves with the monotonic clock, in whole ms, never back', () => {
    const mono = new FakeMono();
    const c = new LeaderClock(mono.read);
    c.lead(2, 1_000);
    expect(c.now(1_000)).toBe(1_000);
    mono.t += 250.7;
    expect(c.now(1_000)).toBe(1_250);
    mono.t -= 100; // a source that misbehaves still never moves the clock back
    expect(c.now(1_000)).toBe(1_250);
    // A machine time ahead of the clock (applied from an earlier leader) becomes the base.
    expect(c.now(9_000)).toBe(9_000);
    mono.t += 10;
    expect(c.now(9_000)).toBe(9_010);
  });

  test('a wall-clock step changes nothing: the default source is monotonic, not Date', () => {
    const c = new LeaderClock();
    c.lead(1, 50_000);
    const before = c.now(50_000);
    const spy = jest.spyOn(Date, 'now').mockReturnValue(Date.now() + 60_000);
    try {
      const afterStepUp = c.now(50_000);
      spy.mockReturnValue(Date.now() - 120_000);
      const afterStepDown = c.now(50_000);
      expect(afterStepUp - before).toBeLessThan(1_000);
      expect(afterStepDown).toBeGreaterThanOrEqual(afterStepUp);
      expect(afterStepDown - before).toBeLessThan(1_000);
    } finally {
      spy.mockRestore();
    }
  });

  test('with the wall clock stepped +60 s and -60 s, a renewed session falls due only a TTL of monotonic time later', () => {
    // The leader's view: a state machine, the leader clock on a fake monotonic source, and a
    // fake wall clock that an operator steps. The old stamping (the wall clock) is shown wrong.
    const mono = new FakeMono();
    let wall = 1_700_000_000_000;
    const d = new Driver({ maxClockSkewMs: 0 });
    const c = new LeaderClock(mono.read);
    c.lead(1, d.machine.now);
    const stamp = (): number => (d.clock = c.now(d.machine.now));
    stamp();
    d.open('holder', 10_000);
    const applied = (): void => c.applied(d.machine.now, d.term);
    applied();
    for (let i = 0; i < 5; i++) {
      mono.t += 3_000;
      wall += 3_000;
      stamp();
      d.run({ type: 'renew', sessionIds: ['holder'] });
      applied();
    }
    mono.t += 400;
    wall += 60_400; // +60 s step, 0.4 s after the last renewal
    expect(d.machine.overdueSessions(wall)).toEqual(['holder']); // what Date.now() decided before
    expect(d.machine.overdueSessions(stamp())).toEqual([]);
    wall -= 120_000; // and -60 s from the true time
    mono.t += 9_000;
    expect(d.machine.overdueSessions(stamp())).toEqual([]);
    mono.t += 600; // a full TTL of monotonic time after the renewal was stamped
    expect(d.machine.overdueSessions(stamp())).toEqual(['holder']);
  });

  test('a new leader holds at applied time + its own elapsed time until its first entry applied, then catches up to the last earlier entry', () => {
    const mono = new FakeMono();
    const c = new LeaderClock(mono.read);
    c.applied(7_000, 1); // as a follower: the previous leader's last entry, at mono 5000.25
    mono.t += 4_000; // an idle cluster: no entry for 4 s, then this node wins the election
    c.lead(2, 7_000);
    expect(c.now(7_000)).toBe(7_000);
    expect(c.hasOwnEntryApplied).toBe(false);
    mono.t += 100;
    c.applied(7_100, 2); // its first own entry (stamped 7_100): every earlier entry is applied
    expect(c.hasOwnEntryApplied).toBe(true);
    // The previous leader's time plus the time since this node applied its last entry.
    expect(c.now(7_100)).toBe(7_000 + 4_100);
  });

  test('after a snapshot restore, the catch-up does not use an entry from before the snapshot', () => {
    const mono = new FakeMono();
    const c = new LeaderClock(mono.read);
    c.applied(7_000, 1);
    mono.t += 4_000;
    c.restored();
    c.lead(3, 9_000);
    mono.t += 100;
    c.applied(9_100, 3);
    expect(c.now(9_100)).toBe(9_100);
  });

  test('a leader again in a later term does not resume its own old trajectory', () => {
    const mono = new FakeMono();
    const c = new LeaderClock(mono.read);
    c.lead(1, 0);
    mono.t += 10_000;
    expect(c.now(0)).toBe(10_000);
    c.follow();
    mono.t += 2_000;
    c.lead(3, 10_500); // the leader of term 2 ran behind and stamped up to 10_500
    expect(c.now(10_500)).toBe(10_500);
  });

  /**
   * Randomized: nodes with different monotonic origins, entries applied after random lags,
   * leaders changing at random. At every reading, the leader's clock must not be ahead of any
   * entry's machine time plus the real time since that entry was stamped (the property the SDK's
   * lease relies on: the machine time of a renewal plus the real time since it was stamped); and
   * once a leader applied its own entry, it is behind the previous term's
   * last entry by at most the apply lag.
   */
  test('randomized: a leader never runs ahead of any entry time + real time since its stamp', () => {
    let seed = 12345;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
    const MAX_LAG = 1_500;
    const ahead: string[] = [];
    const behind: string[] = [];
    let readings = 0;
    let caughtUpReadings = 0;
    for (let run = 0; run < 40; run++) {
      let t = 0;
      // `deadline`: the entry may set a deadline (a renew); a new leader's catch-up tick does not.
      const log: { term: number; tStamp: number; m: number; deadline: boolean }[] = [];
      const nodes = [0, 1, 2].map(() => {
        const offset = int(0, 1e6) + 0.5;
        return { applied: 0, now: 0, lag: int(0, MAX_LAG), clock: new LeaderClock(() => t + offset) };
      });
      let term = 1;
      let leader = nodes[0]!;
      leader.clock.lead(term, 0);
      let termStartIndex = 0;
      for (let step = 0; step < 400; step++) {
        t += int(1, 80);
        for (const n of nodes) {
          while (n.applied < log.length && (log[n.applied]?.tStamp ?? Infinity) + n.lag <= t) {
            const e = log[n.applied++]!;
            n.now = e.m;
            n.clock.applied(e.m, e.term);
          }
          if (rand() < 0.05) n.lag = int(0, MAX_LAG);
        }
        const reading = leader.clock.now(leader.now);
        for (const e of log) if (e.deadline && reading > e.m + (t - e.tStamp)) ahead.push(`run ${run} t ${t}: ${reading} > ${e.m} + ${t - e.tStamp}`);
        const prev = log[termStartIndex - 1];
        if (leader.clock.hasOwnEntryApplied && prev !== undefined && reading < prev.m + (t - prev.tStamp) - MAX_LAG - 100) behind.push(`run ${run} t ${t}: ${reading}`);
        readings++;
        if (leader.clock.hasOwnEntryApplied) caughtUpReadings++;
        // Like Replica: until its own entry applied, a new leader stamps only its catch-up tick.
        const caughtUp = leader.clock.hasOwnEntryApplied;
        const tickPending = log.length > termStartIndex;
        if (rand() < 0.5 && (caughtUp || !tickPending)) log.push({ term, tStamp: t, m: Math.max(log[log.length - 1]?.m ?? 0, reading), deadline: caughtUp });
        if (rand() < 0.08) {
          leader.clock.follow();
          leader = nodes[int(0, 2)]!;
          term++;
          termStartIndex = log.length;
          leader.clock.lead(term, leader.now);
        }
      }
    }
    expect(ahead).toEqual([]);
    expect(behind).toEqual([]);
    expect(readings).toBe(40 * 400);
    expect(caughtUpReadings).toBeGreaterThan(readings / 3);
  });
});
