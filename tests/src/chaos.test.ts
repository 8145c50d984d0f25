/**
 * The fault suite in CI: a fixed-seed, ~45 s chaos run against a real 3-node cluster with a
 * seeded nemesis (crashes, pauses, partitions, slow links, worker kills, membership changes,
 * wall-clock steps).
 * It must end with no violation from any checker and must have done real work under real faults.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';

jest.setTimeout(240_000);

it('a fixed-seed chaos run finds no violation', async () => {
  const script = path.join(__dirname, '..', '..', 'scripts', 'dist', 'chaos', 'run.js');
  const child = spawn(process.execPath, [script, '--duration', '45', '--seed', '7'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const lines = out.trim().split('\n');
  const summary = JSON.parse(lines[lines.length - 1] ?? '{}') as { operations: number; grants: number; faults: number; faultsByKind?: Record<string, number>; violations: number; linearizability: string };
  if (code !== 0 || summary.violations !== 0) process.stdout.write(out);
  expect(summary.violations).toBe(0);
  expect(code).toBe(0);
  expect(summary.linearizability).toBe('ok');
  expect(summary.faults).toBeGreaterThanOrEqual(3);
  // This seed's schedule steps a server's wall clock (issue 9): keep it in the CI run.
  expect(summary.faultsByKind?.['clockStep'] ?? 0).toBeGreaterThanOrEqual(1);
  // Real work under real faults (long holds past the TTL make grants fewer than ops).
  expect(summary.grants).toBeGreaterThan(150);
});
