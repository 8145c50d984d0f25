/**
 * `pnpm observe` as the README and issue 12 promise it, run for real through pnpm (the same
 * command line, with `--port 0 --port-base 0` and a temporary `--data-dir` so it cannot collide
 * with a developer's own `pnpm observe` or another test). Through the Prometheus it started
 * (Debian's `prometheus`; the test fails, never skips, without it):
 * - all three nodes are scraped and up, and every alert rule of alerts.yaml is loaded and
 *   evaluates cleanly; QuorumlockNoLeader is inactive once the workload runs;
 * - the demo workload shows: grants, contention (queued requests), a try-only refusal, and the
 *   administrator's session expiry freeing a hold;
 * - every query it prints (the URLs a user opens) and every dashboard query returns data;
 * - Prometheus's own UI pages answer;
 * - Ctrl-C (SIGINT to the whole process group, as a terminal sends it) leaves no process: no
 *   server, no Prometheus, no script. A supervisor's SIGTERM to the script alone does the same.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ALERT_RULES_FILE, DASHBOARD_FILE, requirePrometheusBinary } from '@quorumlock/coordinator/testing';
import { waitUntil } from './helpers/util';
import { REPO_ROOT, killAllScripts, processesInGroup, startScript, waitGroupEmpty } from './helpers/script-run';

jest.setTimeout(120_000);

/** Start-up: tsc -b (nothing to build), three servers, Prometheus ready; on a loaded machine. */
const START_MS = 60_000;
/** Prometheus scrapes every second: a figure shows within a few scrapes; generous for load. */
const SCRAPED_MS = 20_000;
/** observe expires its first session 5 s after the workload starts. */
const FIRST_EXPIRY_MS = 5000;
/** The script stops workers, Prometheus (SIGKILL after 5 s) and nodes (SIGKILL after 10 s). */
const STOP_MS = 40_000;

const dirs: string[] = [];
afterEach(() => {
  killAllScripts();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'quorumlock-observe-'));
  dirs.push(d);
  return d;
}

async function api<T>(url: string, pathAndQuery: string): Promise<T> {
  const res = await fetch(`${url}/api/v1/${pathAndQuery}`);
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`prometheus ${pathAndQuery}: ${body.error ?? res.status}`);
  return body.data;
}

async function query(url: string, expr: string): Promise<number[]> {
  const data = await api<{ resultType: string; result: unknown }>(url, `query?query=${encodeURIComponent(expr)}`);
  if (data.resultType === 'scalar') return [Number((data.result as [number, string])[1])];
  return (data.result as { value: [number, string] }[]).map((s) => Number(s.value[1]));
}

/** Waits until `expr` has one sample above `min`; returns it. */
const above = (url: string, expr: string, min: number): Promise<number> =>
  waitUntil(async () => {
    const v = await query(url, expr);
    return v.length === 1 && (v[0] ?? NaN) > min ? v[0] : undefined;
  }, SCRAPED_MS, `${expr} > ${min}`, 250);

interface AlertRule {
  name: string;
  health: string;
  state: string;
  lastError?: string;
}

test('pnpm observe: Prometheus scrapes every node with the rules loaded, the printed and dashboard queries have data; Ctrl-C leaves no process', async () => {
  requirePrometheusBinary();
  const dir = tmpDir();
  const run = startScript('pnpm', ['observe', '--', '--port', '0', '--port-base', '0', '--data-dir', dir]);
  const url = (await run.waitFor(/Prometheus: (http:\/\/127\.0\.0\.1:\d+) /, START_MS))[1] ?? '';
  const out = (await run.waitFor(/pids: n1 (\d+), n2 (\d+), n3 (\d+), prometheus (\d+)\n/, START_MS));
  const pids = out.slice(1).map(Number);
  const metrics = (/, metrics (\S+)\n/.exec(run.output())?.[1] ?? '').split(',');
  expect(metrics).toHaveLength(3);
  expect(processesInGroup(run.pid).map((p) => p.pid)).toEqual(expect.arrayContaining(pids));
  // The queries it prints for the user to open, as (label, expr).
  const printed = [...run.output().matchAll(/^ {2}([a-z/ 0-9]+):\s+\S+\/graph\?g0\.expr=([^&]+)&/gm)].map((m) => [m[1] ?? '', decodeURIComponent(m[2] ?? '')] as const);
  expect(printed.map(([label]) => label)).toEqual(['grants/s', 'contention rate', 'acquire wait p99', 'expirations']);

  // ---- every node scraped and up
  await waitUntil(async () => {
    const t = await api<{ activeTargets: { scrapeUrl: string; health: string }[] }>(url, 'targets');
    const up = t.activeTargets.filter((x) => x.health === 'up').map((x) => new URL(x.scrapeUrl).host);
    return up.length === 3 && metrics.every((m) => up.includes(m));
  }, SCRAPED_MS, 'all three targets up', 250);

  // ---- every rule of alerts.yaml loaded and evaluating cleanly; no leader problem
  const inFile = [...fs.readFileSync(ALERT_RULES_FILE, 'utf8').matchAll(/^\s*- alert: (\S+)/gm)].map((m) => m[1]);
  expect(inFile.length).toBeGreaterThanOrEqual(11);
  const rules = await waitUntil(async () => {
    const r = await api<{ groups: { rules: AlertRule[] }[] }>(url, 'rules?type=alert');
    const all = r.groups.flatMap((g) => g.rules);
    return all.length === inFile.length && all.every((x) => x.health === 'ok') ? all : undefined;
  }, SCRAPED_MS, 'every alert rule loaded and evaluated', 250);
  expect(rules.map((r) => r.name).sort()).toEqual([...inFile].sort());

  // ---- the workload: grants, contention, a try-only refusal, an administrator's expiry freeing a hold
  await above(url, 'sum(quorumlock_acquire_wait_seconds_count{outcome="granted"})', 0);
  await above(url, 'sum(quorumlock_lock_requests_total{result="queued"})', 0);
  await waitUntil(async () => (await query(url, 'sum(quorumlock_lock_requests_total{result="refused"})'))[0]! > 0, SCRAPED_MS + FIRST_EXPIRY_MS, 'a try-only refusal', 250);
  await above(url, 'sum(quorumlock_session_expirations_total{cause="admin"})', 0);
  await above(url, 'sum(quorumlock_holds_freed_by_expiry_total)', 0);

  // ---- a leader serves the workload, so the no-leader alert is inactive (it may have been
  // pending for the moment before the first election, never firing: its `for` is 30 s)
  const noLeader = async (): Promise<string> =>
    (await api<{ groups: { rules: AlertRule[] }[] }>(url, 'rules?type=alert')).groups.flatMap((g) => g.rules).find((r) => r.name === 'QuorumlockNoLeader')?.state ?? 'not loaded';
  await waitUntil(async () => (await noLeader()) === 'inactive', SCRAPED_MS, 'QuorumlockNoLeader inactive', 250);

  // ---- what the user opens: the printed queries, then the dashboard's, return data
  for (const [label, expr] of printed) {
    const v = await waitUntil(async () => {
      const s = await query(url, expr);
      return s.length === 1 && Number.isFinite(s[0]) && s[0]! > 0 ? s[0] : undefined;
    }, SCRAPED_MS, `printed query '${label}' (${expr}) above 0`, 250);
    expect(v).toBeGreaterThan(0);
  }
  const dashboard = JSON.parse(fs.readFileSync(DASHBOARD_FILE, 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
  const empty: string[] = [];
  let exprs = 0;
  for (const panel of dashboard.panels) {
    for (const t of panel.targets) {
      exprs++;
      const expr = t.expr.replace(/\$instance/g, '.*').replace(/\$__rate_interval/g, '1m');
      if ((await query(url, expr)).length === 0) empty.push(`${panel.title}: ${expr}`);
    }
  }
  expect(exprs).toBeGreaterThanOrEqual(20);
  expect(empty).toEqual([]);

  // ---- every URL printed opens a page of Prometheus's own UI; a graph link keeps its query
  const links = [...run.output().matchAll(/http:\/\/127\.0\.0\.1:\d+\/\S*[^\s,)]/g)].map((m) => m[0]).filter((l) => l.startsWith(url) && l !== url);
  expect(links.length).toBe(7); // alerts, rules, targets and the four graphs
  for (const link of links) {
    const res = await fetch(link); // follows redirects
    expect({ link, status: res.status }).toEqual({ link, status: 200 });
    if (link.includes('g0.expr=')) expect(res.url).toContain('g0.expr='); // no redirect dropped the query
  }

  // ---- Ctrl-C
  process.kill(-run.pid, 'SIGINT');
  expect(await waitGroupEmpty(run.pid, STOP_MS)).toEqual([]);
  await run.exited;
  expect(run.output()).toMatch(/\nstopped\n/); // no node needed a SIGKILL
  await expect(fetch(`${url}/-/ready`)).rejects.toThrow();
});

test('pnpm observe: a supervisor SIGTERM to the script alone stops Prometheus and the cluster; exit 0', async () => {
  requirePrometheusBinary();
  const dir = tmpDir();
  const run = startScript(process.execPath, [path.join(REPO_ROOT, 'scripts', 'dist', 'observe.js'), '--port', '0', '--port-base', '0', '--data-dir', dir]);
  await run.waitFor(/pids: n1 \d+, n2 \d+, n3 \d+, prometheus \d+\n/, START_MS);
  expect(processesInGroup(run.pid).length).toBeGreaterThanOrEqual(5); // script, three nodes, Prometheus
  process.kill(run.pid, 'SIGTERM');
  expect(await run.exited).toEqual({ code: 0, signal: null });
  expect(await waitGroupEmpty(run.pid, STOP_MS)).toEqual([]);
  expect(run.output()).toMatch(/\nstopped\n/);
});
