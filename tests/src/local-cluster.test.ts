/**
 * `pnpm start` as the README's quick start describes it, run for real (through pnpm, the same
 * command line, with `--port-base 0` and a temporary `--data-dir` so it cannot collide with a
 * developer's own cluster or another test): three nodes start, a leader is elected and answers
 * `lockctl status`; Ctrl-C (SIGINT to the whole foreground process group, as a terminal sends
 * it) stops every process, each node through its clean stop path, the leader first offering
 * leadership to another node. A supervisor's SIGTERM to the script alone does the same. A bad
 * --port-base is refused naming the value.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lockctl } from './helpers/util';
import { REPO_ROOT, killAllScripts, processesInGroup, startScript, waitGroupEmpty } from './helpers/script-run';

jest.setTimeout(120_000);

/** Start-up (tsc -b finds nothing to build, three servers start) and the first election, on a loaded machine. */
const START_MS = 60_000;
/** The script SIGKILLs a node after 10 s; the group must be empty well within that plus margin. */
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

test('pnpm start: a leader is elected; Ctrl-C leaves no process and every node stops cleanly', async () => {
  const dir = tmpDir();
  const run = startScript('pnpm', ['start', '--', '--port-base', '0', '--data-dir', dir]);
  const endpoints = (await run.waitFor(/client endpoints (\S+)\n/, START_MS))[1] ?? '';
  const pids = (await run.waitFor(/pids: n1 (\d+), n2 (\d+), n3 (\d+)\n/, START_MS)).slice(1).map(Number);
  expect(endpoints.split(',')).toHaveLength(3);
  // The servers are in the command's process group, so the terminal's Ctrl-C reaches them too.
  expect(processesInGroup(run.pid).map((p) => p.pid)).toEqual(expect.arrayContaining(pids));
  const leader = (await run.waitFor(/\b(n[123]) leader term \d+/, START_MS))[1] ?? '';
  const status = await lockctl(['status', '--json'], { QUORUMLOCK_ENDPOINTS: endpoints });
  expect(status.code).toBe(0);
  expect((JSON.parse(status.stdout) as { leaderId: string }).leaderId).toBe(leader);

  process.kill(-run.pid, 'SIGINT'); // Ctrl-C
  expect(await waitGroupEmpty(run.pid, STOP_MS)).toEqual([]);
  await run.exited;
  expect(run.output()).toMatch(/\nstopped\n/); // no node needed a SIGKILL
  for (const id of ['n1', 'n2', 'n3']) expect(nodeLog(dir, id)).toContain('"signal":"SIGINT","msg":"stopping"');
  expect(nodeLog(dir, leader)).toMatch(/"msg":"(leadership transferred|could not transfer leadership) before stopping"/);
});

test('SIGTERM to the script alone (a supervisor) stops its nodes too; exit 0', async () => {
  const dir = tmpDir();
  const run = startScript(process.execPath, [path.join(REPO_ROOT, 'scripts', 'dist', 'local-cluster.js'), '--port-base', '0', '--data-dir', dir]);
  await run.waitFor(/pids: n1 \d+, n2 \d+, n3 \d+\n/, START_MS);
  const leader = (await run.waitFor(/\b(n[123]) leader term \d+/, START_MS))[1] ?? '';
  process.kill(run.pid, 'SIGTERM');
  expect(await run.exited).toEqual({ code: 0, signal: null });
  expect(await waitGroupEmpty(run.pid, STOP_MS)).toEqual([]);
  expect(run.output()).toMatch(/\nstopped\n/);
  for (const id of ['n1', 'n2', 'n3']) expect(nodeLog(dir, id)).toContain('"signal":"SIGTERM","msg":"stopping"');
  expect(nodeLog(dir, leader)).toMatch(/"msg":"(leadership transferred|could not transfer leadership) before stopping"/);
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
