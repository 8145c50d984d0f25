/**
 * `pnpm start` as the README's quick start describes it, run for real (through pnpm, the same
 * command line, with `--port-base 0` and a temporary `--data-dir` so it cannot collide with a
 * developer's own cluster or another test): three nodes start, a leader is elected and answers
 * `lockctl status`. The nodes run in process groups of their own, so Ctrl-C (SIGINT to the
 * whole foreground process group, as a terminal sends it) reaches only the script, which stops
 * the leader first: the leader hands leadership to a follower (its log names it; the follower's
 * log shows it winning a later term), then the rest stop, and no process is left. A
 * supervisor's SIGTERM to the script alone does the same; a script SIGKILLed outright leaves
 * no node behind either. A bad --port-base is refused naming the value.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lockctl } from './helpers/util';
import { REPO_ROOT, alsoKillAfterTest, killAllScripts, processGroupOf, processesInGroup, startScript, waitGroupEmpty, waitPidsGone, type ScriptRun } from './helpers/script-run';

jest.setTimeout(120_000);

/** Start-up (tsc -b finds nothing to build, three servers start) and the first election, on a loaded machine. */
const START_MS = 60_000;
/** The script SIGKILLs a node after 10 s; everything must be gone well within that plus margin. */
const STOP_MS = 30_000;

const dirs: string[] = [];
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'quorumlock-start-'));
  dirs.push(d);
  return d;
}

afterEach(() => {
  killAllScripts();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const nodeLog = (dir: string, id: string): string => fs.readFileSync(path.join(dir, `${id}.log`), 'utf8');

interface LogLine {
  readonly msg?: string;
  readonly role?: string;
  readonly term?: number;
  readonly to?: string;
  readonly signal?: string;
}
const logLines = (dir: string, id: string): LogLine[] =>
  nodeLog(dir, id)
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);

/** The three nodes' pids, once the script has printed them; each in a process group of its own. */
async function nodePids(run: ScriptRun): Promise<number[]> {
  const pids = (await run.waitFor(/pids: n1 (\d+), n2 (\d+), n3 (\d+)\n/, START_MS)).slice(1).map(Number);
  alsoKillAfterTest(pids);
  return pids;
}

/**
 * What the servers did when the script stopped them: the leader of `term` was stopped by the
 * script's SIGTERM (never by the terminal's SIGINT) and logged a completed transfer to another
 * member, which logged winning the election of a later term; every node went through its
 * clean stop.
 */
function expectHandover(dir: string, leader: string, term: number): string {
  const logs = new Map(['n1', 'n2', 'n3'].map((id) => [id, logLines(dir, id)]));
  for (const [id, lines] of logs) {
    expect({ id, stops: lines.filter((l) => l.msg === 'stopping').map((l) => l.signal) }).toEqual({ id, stops: ['SIGTERM'] });
  }
  const transfers = (logs.get(leader) ?? []).filter((l) => /transfer/.test(l.msg ?? '')).map((l) => ({ msg: l.msg, to: l.to }));
  expect(transfers).toEqual([{ msg: 'leadership transferred before stopping', to: expect.stringMatching(/^n[123]$/) }]);
  const to = transfers[0]?.to ?? '';
  expect(to).not.toBe(leader);
  const won = (logs.get(to) ?? []).filter((l) => l.msg === 'role changed' && l.role === 'leader' && (l.term ?? 0) > term);
  expect(won.length).toBeGreaterThan(0);
  return to;
}

test('pnpm start: a leader is elected; Ctrl-C hands leadership over and leaves no process', async () => {
  const dir = tmpDir();
  const run = startScript('pnpm', ['start', '--', '--port-base', '0', '--data-dir', dir]);
  const endpoints = (await run.waitFor(/client endpoints (\S+)\n/, START_MS))[1] ?? '';
  const pids = await nodePids(run);
  expect(endpoints.split(',')).toHaveLength(3);
  // Each server leads a process group of its own: the terminal's Ctrl-C does not reach it.
  expect(pids.map((p) => processGroupOf(p))).toEqual(pids);
  expect(processesInGroup(run.pid).filter((p) => pids.includes(p.pid))).toEqual([]);
  const m = await run.waitFor(/\b(n[123]) leader term (\d+)/, START_MS);
  const leader = m[1] ?? '';
  const status = await lockctl(['status', '--json'], { QUORUMLOCK_ENDPOINTS: endpoints });
  expect(status.code).toBe(0);
  const st = JSON.parse(status.stdout) as { leaderId: string; term: number };
  expect(st.leaderId).toBe(leader);

  process.kill(-run.pid, 'SIGINT'); // Ctrl-C
  expect(await waitGroupEmpty(run.pid, STOP_MS)).toEqual([]);
  expect(await waitPidsGone(pids, STOP_MS)).toEqual([]);
  await run.exited;
  expect(run.output()).toMatch(/\nstopped\n/); // no node needed a SIGKILL
  const to = expectHandover(dir, leader, st.term);
  expect(run.output()).toContain(`leadership handed over: ${leader} -> ${to}`);
});

test('SIGTERM to the script alone (a supervisor) stops its nodes the same way; exit 0', async () => {
  const dir = tmpDir();
  const run = startScript(process.execPath, [path.join(REPO_ROOT, 'scripts', 'dist', 'local-cluster.js'), '--port-base', '0', '--data-dir', dir]);
  const pids = await nodePids(run);
  const m = await run.waitFor(/\b(n[123]) leader term (\d+)/, START_MS);
  process.kill(run.pid, 'SIGTERM');
  expect(await run.exited).toEqual({ code: 0, signal: null });
  expect(await waitPidsGone(pids, STOP_MS)).toEqual([]);
  expect(run.output()).toMatch(/\nstopped\n/);
  const to = expectHandover(dir, m[1] ?? '', Number(m[2]));
  expect(run.output()).toContain(`leadership handed over: ${m[1] ?? ''} -> ${to}`);
});

test('a script SIGKILLed outright leaves no node behind: each stops itself, cleanly', async () => {
  const dir = tmpDir();
  const run = startScript(process.execPath, [path.join(REPO_ROOT, 'scripts', 'dist', 'local-cluster.js'), '--port-base', '0', '--data-dir', dir]);
  const pids = await nodePids(run);
  await run.waitFor(/\bn[123] leader term \d+/, START_MS);
  process.kill(run.pid, 'SIGKILL');
  expect(await run.exited).toEqual({ code: null, signal: 'SIGKILL' });
  expect(await waitPidsGone(pids, STOP_MS)).toEqual([]);
  for (const id of ['n1', 'n2', 'n3']) expect(nodeLog(dir, id)).toContain('"signal":"SIGTERM","msg":"stopping"');
});

test('a bad --port-base or $QUORUMLOCK_PORT_BASE is refused, naming the value', async () => {
  const script = path.join(REPO_ROOT, 'scripts', 'dist', 'local-cluster.js');
  const bad = startScript(process.execPath, [script, '--port-base', '80', '--data-dir', tmpDir()]);
  expect(await bad.exited).toEqual({ code: 1, signal: null });
  expect(bad.output()).toContain("--port-base '80' is not a port base");
  const env = startScript(process.execPath, [script, '--data-dir', tmpDir()], { env: { QUORUMLOCK_PORT_BASE: 'x' } });
  expect(await env.exited).toEqual({ code: 1, signal: null });
  expect(env.output()).toContain("QUORUMLOCK_PORT_BASE 'x' is not a port base");
});
