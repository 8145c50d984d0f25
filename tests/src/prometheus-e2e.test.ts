/**
 * The metrics, the dashboard and the alert rules, checked by a real Prometheus (Debian's
 * `prometheus` package) scraping a real 3-node cluster every second with deploy/monitoring's
 * rules loaded. A workload with contention runs, the leader is SIGKILLed, three sessions are left
 * to expire; then, through Prometheus's HTTP API:
 * - the counters match what the workload did (grants, refusals, expirations, freed holds), and
 *   the contention rate is above 0;
 * - every survivor's quorumlock_raft_leader_changes_total counted the failover;
 * - QuorumlockNoLeader is inactive while the cluster is healthy;
 * - every dashboard expression (variables substituted) parses and returns data, and every alert
 *   rule evaluates without error and every series it reads exists.
 * Without the prometheus binary this test fails (it never skips).
 */
import * as fs from 'node:fs';
import { CoordinatorCluster, DASHBOARD_FILE, PrometheusServer } from '@quorumlock/coordinator/testing';
import { LockClient } from '@quorumlock/client';
import { RawSession } from './helpers/raw-session';
import { waitUntil } from './helpers/util';

jest.setTimeout(120_000);

const TICK_MS = 50;
const ELECTION_TICKS = 10;
/** Prometheus scrapes and evaluates rules at this interval. */
const SCRAPE_MS = 1000;
/** Long enough for a counter to reach Prometheus: a few scrapes. */
const SCRAPED = 15 * SCRAPE_MS;
/** The dashboard's $__rate_interval here: it covers the whole test. */
const RATE_WINDOW = '2m';

let cluster: CoordinatorCluster;
let prom: PrometheusServer;
const clients: LockClient[] = [];
const raws: RawSession[] = [];

beforeAll(async () => {
  cluster = await CoordinatorCluster.create({
    size: 3,
    metrics: true,
    args: ['--tick-ms', String(TICK_MS), '--election-ticks', String(ELECTION_TICKS)],
  });
  await cluster.startAll();
  prom = await PrometheusServer.start({ targets: cluster.ids.map((id) => cluster.metricsAddress(id)), interval: `${SCRAPE_MS / 1000}s` });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  for (const r of raws) r.close();
  await prom?.stop();
  await cluster?.destroy();
});

function client(name: string): LockClient {
  const c = new LockClient({ endpoints: cluster.endpoints(), ttlMs: 10_000, clientName: name });
  clients.push(c);
  return c;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `rounds` lock/hold/release rounds of each client on one name, all at once: they contend. */
async function contend(cs: readonly LockClient[], name: string, rounds: number): Promise<number> {
  let grants = 0;
  await Promise.all(
    cs.map(async (c) => {
      for (let i = 0; i < rounds; i++) {
        await c.withLock(name, async () => {
          grants++;
          await sleep(20);
        });
      }
    }),
  );
  return grants;
}

/** Waits until Prometheus's answer to `expr` (one sample) is `want`, and returns it. */
async function promEquals(expr: string, want: number): Promise<number> {
  let last = NaN;
  try {
    return await waitUntil(async () => ((last = await prom.value(expr)) === want ? want : undefined), SCRAPED, `${expr} == ${want}`, 200);
  } catch (e) {
    throw new Error(`${String(e)}; last value ${last}`);
  }
}

async function noLeaderAlert(): Promise<{ state: string; alerts: number }> {
  const rules = await prom.api<{ groups: { rules: { name: string; state?: string; alerts?: unknown[] }[] }[] }>('rules?type=alert');
  const rule = rules.groups.flatMap((g) => g.rules).find((r) => r.name === 'QuorumlockNoLeader');
  if (rule === undefined) throw new Error('QuorumlockNoLeader is not loaded');
  return { state: rule.state ?? '?', alerts: rule.alerts?.length ?? 0 };
}

test('Prometheus sees the workload, the failover and the expiries; dashboard and alerts have data', async () => {
  const leader = await cluster.waitLeader();
  const workers = [client('w1'), client('w2'), client('w3'), client('w4')];
  await Promise.all(workers.map((w) => w.ready()));
  // The counters must be scraped at 0 before the workload, or rate() sees no increase.
  await waitUntil(async () => (await prom.query('quorumlock_lock_requests_total{result="queued"}')).length === 3, SCRAPED, 'every target scraped', 200);

  // ---- contention, and one refusal, on the first leader
  let grants = await contend(workers, 'e2e/hot', 5);
  const busy = await workers[0]!.acquire('e2e/busy');
  grants++;
  expect(await workers[1]!.tryAcquire('e2e/busy')).toBeNull();
  await busy.release();
  expect(grants).toBe(21);
  await promEquals('sum(quorumlock_acquire_wait_seconds_count{outcome="granted"})', grants);
  await promEquals('sum(quorumlock_lock_requests_total{result="refused"})', 1);
  await promEquals('sum(quorumlock_lock_requests_total{result=~"immediate|queued"})', grants);
  const queued = await prom.value('sum(quorumlock_lock_requests_total{result="queued"})');
  expect(queued).toBeGreaterThan(0);
  // rate() needs two scrapes of a series in its window: wait for the second.
  const contentionExpr = `sum(rate(quorumlock_lock_requests_total{result="queued"}[${RATE_WINDOW}])) / sum(rate(quorumlock_lock_requests_total[${RATE_WINDOW}]))`;
  const contention = await waitUntil(async () => {
    const s = await prom.query(contentionExpr);
    return s.length === 1 && s[0]!.value > 0 ? s[0]!.value : undefined;
  }, SCRAPED, 'a contention rate', 200);
  expect(contention).toBeGreaterThan(0);
  expect(contention).toBeLessThanOrEqual(1);

  // ---- healthy: the no-leader alert is inactive
  expect(await noLeaderAlert()).toEqual({ state: 'inactive', alerts: 0 });
  expect(await prom.query('ALERTS{alertname="QuorumlockNoLeader"}')).toEqual([]);

  // ---- SIGKILL the leader
  const survivors = cluster.ids.filter((id) => id !== leader);
  const changesBefore = new Map<string, number>();
  for (const id of survivors) changesBefore.set(id, await prom.value(`quorumlock_raft_leader_changes_total{instance="${cluster.metricsAddress(id)}"}`));
  await cluster.kill(leader, 'SIGKILL');
  const next = await cluster.waitLeader(15_000, survivors);
  for (const id of survivors) {
    const expr = `quorumlock_raft_leader_changes_total{instance="${cluster.metricsAddress(id)}"}`;
    await waitUntil(async () => (await prom.value(expr)) >= changesBefore.get(id)! + 1, SCRAPED, `${expr} counted the failover`, 200);
  }
  // The new leader counts what happens from now on; the dead leader's series went stale.
  const after = await contend(workers.slice(0, 2), 'e2e/hot', 3);
  await promEquals('sum(quorumlock_acquire_wait_seconds_count{outcome="granted"})', after);
  await promEquals(`sum(quorumlock_is_leader)`, 1);
  expect(await prom.value(`quorumlock_is_leader{instance="${cluster.metricsAddress(next)}"}`)).toBe(1);

  // ---- three sessions go silent and expire; one of them held a lock
  const expiredBefore = await prom.value('sum(quorumlock_session_expirations_total)');
  const freedBefore = await prom.value('sum(quorumlock_holds_freed_by_expiry_total)');
  // Opened together, they are usually expired by one expireSessions entry: counted per session.
  const silent = [new RawSession(cluster.address(next)), new RawSession(cluster.address(next)), new RawSession(cluster.address(next))];
  raws.push(...silent);
  await Promise.all(silent.map((s) => s.open(1000, '', 'e2e-silent')));
  silent[0]!.lock(1, 'e2e/expiring');
  await silent[0]!.granted(1);
  const ends = await Promise.all(silent.map((s) => s.waitEnd(15_000)));
  expect(ends.map((e) => e.code)).toEqual([5, 5, 5]); // NOT_FOUND: session expired
  await promEquals('sum(quorumlock_session_expirations_total)', expiredBefore + 3);
  await promEquals('sum(quorumlock_holds_freed_by_expiry_total)', freedBefore + 1);
  expect(await prom.value('sum(quorumlock_session_expirations_total{cause="ttl"})')).toBe(expiredBefore + 3);

  // ---- healthy again (a leader, two of three members): still no no-leader alert
  expect(await noLeaderAlert()).toEqual({ state: 'inactive', alerts: 0 });

  // ---- every dashboard expression parses and returns data
  const dashboard = JSON.parse(fs.readFileSync(DASHBOARD_FILE, 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
  const empty: string[] = [];
  let exprs = 0;
  for (const panel of dashboard.panels) {
    for (const t of panel.targets) {
      exprs++;
      const expr = t.expr.replace(/\$instance/g, '.*').replace(/\$__rate_interval/g, RATE_WINDOW);
      expect(expr).not.toContain('$');
      const samples = await prom.query(expr); // rejects on a parse error
      if (samples.length === 0) empty.push(`${panel.title}: ${expr}`);
    }
  }
  expect(exprs).toBeGreaterThanOrEqual(20);
  expect(empty).toEqual([]);

  // ---- every alert rule evaluates cleanly, and every series it reads exists
  const rules = await prom.api<{ groups: { rules: { name: string; query: string; health: string; lastError?: string }[] }[] }>('rules?type=alert');
  const alertRules = rules.groups.flatMap((g) => g.rules);
  expect(alertRules.length).toBeGreaterThanOrEqual(11);
  const bad: string[] = [];
  for (const r of alertRules) {
    if (r.health !== 'ok') bad.push(`${r.name}: health ${r.health} ${r.lastError ?? ''}`);
    const selectors = r.query.match(/\b(?:quorumlock_[a-z_]+|up)(?:\{[^}]*\})?/g) ?? [];
    if (selectors.length === 0) bad.push(`${r.name}: no selector in ${r.query}`);
    for (const sel of selectors) {
      // A histogram is read through its buckets.
      if ((await prom.query(sel)).length === 0) bad.push(`${r.name}: ${sel} has no data`);
    }
  }
  expect(bad).toEqual([]);
});
