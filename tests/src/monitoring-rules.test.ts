/**
 * The alert rules in deploy/monitoring/prometheus, checked by Prometheus's own promtool:
 * `promtool check rules` (syntax, templates) and `promtool test rules` (alerts.test.yaml: each
 * alert fires in one case and stays silent in another). promtool comes with Debian's
 * `prometheus` package (.ci/run installs it); without it these tests fail, they never skip.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const DIR = path.join(__dirname, '..', '..', 'deploy', 'monitoring', 'prometheus');

function promtool(...args: string[]): { status: number | null; output: string } {
  const r = spawnSync('promtool', args, { cwd: DIR, encoding: 'utf8', timeout: 60_000 });
  if (r.error !== undefined) {
    throw new Error(`cannot run promtool (${r.error.message}): install Debian's prometheus package (apt-get install -y prometheus), as .ci/run does`);
  }
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

test('promtool check rules accepts alerts.yaml', () => {
  const r = promtool('check', 'rules', 'alerts.yaml');
  expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
  expect(r.status).toBe(0);
});

test('promtool test rules passes alerts.test.yaml', () => {
  const r = promtool('test', 'rules', 'alerts.test.yaml');
  expect(r.output).toContain('SUCCESS');
  expect(r.status).toBe(0);
});

/**
 * The alerts of alerts.yaml with their annotations, read line by line (the file's own layout:
 * `- alert:` items with an `annotations:` map) so the tests need no YAML library.
 */
function alertsOf(text: string): { alert: string; annotations: Record<string, string> }[] {
  const out: { alert: string; annotations: Record<string, string> }[] = [];
  let inAnnotations = false;
  for (const line of text.split('\n')) {
    const alert = /^\s*- alert: (\S+)\s*$/.exec(line);
    if (alert) {
      out.push({ alert: alert[1]!, annotations: {} });
      inAnnotations = false;
      continue;
    }
    if (/^\s*annotations:\s*$/.test(line)) {
      inAnnotations = true;
      continue;
    }
    const kv = /^\s{10}(\w+): "(.*)"\s*$/.exec(line);
    if (inAnnotations && kv && out.length > 0) out[out.length - 1]!.annotations[kv[1]!] = kv[2]!;
    else if (!/^\s{10}/.test(line)) inAnnotations = false;
  }
  return out;
}

/** The alert_rule_test cases of alerts.test.yaml: alert name and whether it expects alerts. */
function casesOf(text: string): { alertname: string; fires: boolean }[] {
  const cases: { alertname: string; fires: boolean }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const name = /^\s*alertname: (\S+)\s*$/.exec(lines[i]!);
    if (!name) continue;
    const exp = /^\s*exp_alerts:\s*(\[\])?\s*$/.exec(lines[i + 1] ?? '');
    if (!exp) throw new Error(`alerts.test.yaml line ${i + 2}: expected exp_alerts after alertname ${name[1]}`);
    cases.push({ alertname: name[1]!, fires: exp[1] === undefined });
  }
  return cases;
}

test('every alert has a summary, a description, a runbook section, and a firing and a silent test case', () => {
  const alerts = alertsOf(fs.readFileSync(path.join(DIR, 'alerts.yaml'), 'utf8'));
  const cases = casesOf(fs.readFileSync(path.join(DIR, 'alerts.test.yaml'), 'utf8'));
  const runbook = fs.readFileSync(path.join(DIR, '..', '..', '..', 'docs', 'operations.md'), 'utf8');
  expect(alerts.length).toBeGreaterThanOrEqual(11);
  const missing: string[] = [];
  for (const a of alerts) {
    if (!a.annotations['summary']) missing.push(`${a.alert}: summary`);
    if (!a.annotations['description']) missing.push(`${a.alert}: description`);
    const anchor = `docs/operations.md#${a.alert.toLowerCase()}`;
    if (a.annotations['runbook_url'] !== anchor) missing.push(`${a.alert}: runbook_url ${anchor}`);
    if (!new RegExp(`^### ${a.alert}$`, 'm').test(runbook)) missing.push(`${a.alert}: "### ${a.alert}" in docs/operations.md`);
    const mine = cases.filter((c) => c.alertname === a.alert);
    if (!mine.some((c) => c.fires)) missing.push(`${a.alert}: a firing case`);
    if (!mine.some((c) => !c.fires)) missing.push(`${a.alert}: a silent case`);
  }
  expect(missing).toEqual([]);
});
