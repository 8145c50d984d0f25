import { checkAll, checkClusterGrants, type ClusterGrant, formatReport } from '../../src';
import { HistoryBuilder, shared } from './builder';

const g = (index: number, client: string, resource: string, token: number): ClusterGrant => ({ index, client, resource, token, session: `s-${client}` });

describe('checkClusterGrants: the histories against the cluster’s own record of its grants', () => {
  test('every recorded grant in the log and every logged grant recorded: ok', () => {
    const h = new HistoryBuilder().hold('a', 'r', 5, [0, 1, 10, 11]).hold('b', 'r', 12, [2, 11, 20, 21]).build();
    expect(checkClusterGrants(h, [g(5, 'a', 'r', 5), g(12, 'b', 'r', 12)])).toEqual({ ok: true, violations: [], violationCount: 0, violationsByKind: {} });
  });

  test('a grant to a client with no acquire that could have received it is reported, placed between its neighbours', () => {
    // The pattern of the seed-106 soak: a token granted on a shared resource, seen only as the
    // latest token of another worker's fence check.
    const h = new HistoryBuilder()
      .hold('a', 's', 5, [0, 1, 30, 31], shared(1, 4))
      .fence('a', 's', [20, 22], 5, true, 9)
      .hold('b', 's', 12, [40, 41, 50, 51], shared(1, 4))
      .build();
    const r = checkClusterGrants(h, [g(5, 'a', 's', 5), g(9, 'c', 's', 9), g(12, 'b', 's', 12)]);
    expect(r.violationsByKind).toEqual({ unrequestedGrant: 1 });
    const v = r.violations[0]!;
    expect(v.message).toContain('token 9 on s (entry 9) to session s-c of client c');
    // From the grant below it (token 5, returned at 1) to the fence check that saw it (done at 22).
    expect([v.from, v.to]).toEqual([1, 22]);
    expect(v.context.map((op) => `${op.process} ${op.f}`)).toContain('a checkFence');
  });

  test('an acquire whose outcome is unknown explains one unrecorded grant of its client and resource, not two', () => {
    const h = new HistoryBuilder().acquireUnknown('c', 'r', 0).hold('a', 'r', 20, [30, 31, 40, 41]).build();
    expect(checkClusterGrants(h, [g(7, 'c', 'r', 7), g(20, 'a', 'r', 20)]).ok).toBe(true);
    const twice = checkClusterGrants(h, [g(7, 'c', 'r', 7), g(9, 'c', 'r', 9), g(20, 'a', 'r', 20)]);
    expect(twice.violationsByKind).toEqual({ unrequestedGrant: 1 });
    // Another client's unknown acquire or another resource explains nothing.
    expect(checkClusterGrants(h, [g(7, 'd', 'r', 7), g(20, 'a', 'r', 20)]).ok).toBe(false);
    expect(checkClusterGrants(h, [g(7, 'c', 'other', 7), g(20, 'a', 'r', 20)]).ok).toBe(false);
  });

  test('clients the history does not record are skipped', () => {
    const h = new HistoryBuilder().hold('a', 'r', 5, [0, 1, 10, 11]).build();
    const grants = [g(5, 'a', 'r', 5), g(6, 'probe', 'probe/x', 6)];
    expect(checkClusterGrants(h, grants).ok).toBe(false);
    expect(checkClusterGrants(h, grants, { unrecordedClients: ['probe'] }).ok).toBe(true);
  });

  test('a grant a client recorded but no coordinator logged is reported', () => {
    const h = new HistoryBuilder().hold('a', 'r', 5, [0, 1, 10, 11]).build();
    const r = checkClusterGrants(h, []);
    expect(r.violationsByKind).toEqual({ grantNotDecided: 1 });
    expect(r.violations[0]!.message).toBe("a recorded token 5 on r, which no coordinator's log shows granted");
  });

  test('checkAll runs it when given the log, counts it, and the report names it', () => {
    const h = new HistoryBuilder().hold('a', 'r', 5, [0, 1, 10, 11]).build();
    const clean = checkAll(h, { clusterGrants: { grants: [g(5, 'a', 'r', 5)] } });
    expect(clean.ok).toBe(true);
    expect(formatReport(clean)).toMatch(/grants match the cluster's log\s+ok/);
    const bad = checkAll(h, { clusterGrants: { grants: [g(5, 'a', 'r', 5), g(8, 'x', 'r', 8)] } });
    expect(bad.ok).toBe(false);
    expect(bad.counts.violationsByKind).toEqual({ unrequestedGrant: 1 });
    expect(formatReport(bad)).toContain('[unrequestedGrant] r');
    expect(checkAll(h).checkers.clusterGrants).toBeUndefined();
  });
});

describe('checkClusterGrants: no grant to a session after the entry that ended it', () => {
  test('a grant after the session ended is reported even when an unknown acquire explains it', () => {
    // The dead worker's acquire never returned, so it may well have been granted, but not after
    // its session expired (etcd #11456).
    const h = new HistoryBuilder().acquireUnknown('c', 'r', 0).hold('a', 'r', 20, [30, 31, 40, 41]).build();
    const grants = [g(15, 'c', 'r', 15), g(20, 'a', 'r', 20)];
    expect(checkClusterGrants(h, grants, { sessionEnds: [{ index: 16, session: 's-c', client: 'c' }] }).ok).toBe(true);
    const r = checkClusterGrants(h, grants, { sessionEnds: [{ index: 12, session: 's-c', client: 'c' }] });
    expect(r.violationsByKind).toEqual({ grantToEndedSession: 1 });
    expect(r.violations[0]!.message).toBe('the cluster granted token 15 on r (entry 15) to session s-c of c, which had ended at entry 12');
  });

  test('checkAll passes the session ends on', () => {
    const h = new HistoryBuilder().acquireUnknown('c', 'r', 0).build();
    const r = checkAll(h, { clusterGrants: { grants: [g(15, 'c', 'r', 15)], sessionEnds: [{ index: 12, session: 's-c', client: 'c' }] } });
    expect(r.counts.violationsByKind).toEqual({ grantToEndedSession: 1 });
  });
});
