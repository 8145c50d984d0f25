/**
 * `pnpm chaos` exits 1 on a violation, end to end through the real runner: a `--strict` run too
 * short for the nemesis to inject three faults is a run that did not really test, which strict
 * mode reports as a violation (tooFewFaults), in the report and in the last line's JSON.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

let child: ChildProcess | undefined;

afterAll(async () => {
  const c = child;
  if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise<void>((r) => c.once('exit', () => r()));
  c.kill('SIGTERM'); // the runner then kills its cluster and workers
  await gone;
}, 20_000);

it('a strict run that injected too few faults exits 1 and says why', async () => {
  const script = path.join(__dirname, '..', '..', 'scripts', 'dist', 'chaos', 'run.js');
  const c = spawn(process.execPath, [script, '--duration', '1', '--seed', '3', '--workers', '2', '--strict'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child = c;
  let out = '';
  c.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  c.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => c.once('exit', resolve));
  // A failed run keeps its history for inspection; this one is failed on purpose.
  const kept = /history kept in (\S+)/.exec(out)?.[1];
  if (kept !== undefined && kept.includes('quorumlock-chaos-')) fs.rmSync(kept, { recursive: true, force: true });
  const lines = out.trim().split('\n');
  const summary = JSON.parse(lines[lines.length - 1] ?? '{}') as { violations: number; faultsInjected: number };
  expect(code).toBe(1);
  expect(summary.faultsInjected).toBeLessThan(3);
  expect(summary.violations).toBeGreaterThan(0);
  expect(out).toContain('[tooFewFaults]');
  expect(out).toMatch(/\d+ VIOLATIONS/);
}, 90_000);
