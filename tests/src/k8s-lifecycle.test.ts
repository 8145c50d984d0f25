/**
 * Issue 13 §4: the StatefulSet lifecycle with real processes (`pnpm k8s:sim`, run here as is).
 * The pods run the rendered manifest's command and environment, DNS names resolve to per-pod
 * loopback addresses, deletion is SIGTERM then SIGKILL after the grace period, readiness gates
 * every step; an SDK workload with fencing runs throughout. Its seven steps must all pass with
 * zero violations.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

jest.setTimeout(300_000);

interface Report {
  passed: boolean;
  violations: string[];
  steps: { step: number; ok: boolean; error?: string; longestUnavailableMs: number; figures: Record<string, number> }[];
}

test('the seven lifecycle steps pass with zero workload violations', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quorumlock-k8s-test-'));
  const json = path.join(dir, 'report.json');
  const cli = path.join(__dirname, '..', '..', 'scripts', 'dist', 'k8s-sim', 'cli.js');
  const out: string[] = [];
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [cli, '--json', json], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (b: Buffer) => out.push(b.toString()));
    child.stderr.on('data', (b: Buffer) => out.push(b.toString()));
    child.on('exit', resolve);
  });
  if (code !== 0) console.log(out.join(''));
  const report = JSON.parse(fs.readFileSync(json, 'utf8')) as Report;
  fs.rmSync(dir, { recursive: true, force: true });
  expect(report.violations).toEqual([]);
  expect(report.steps.map((s) => [s.step, s.ok, s.error ?? ''])).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => [n, true, '']));
  expect(report.passed).toBe(true);
  expect(code).toBe(0);
  const byStep = (n: number): Report['steps'][number]['figures'] => report.steps[n - 1]?.figures ?? {};
  // Scale-down finished within its stated bound (dead-member timeout + 10 s).
  expect(byStep(4)['removedMs']).toBeLessThanOrEqual(byStep(4)['boundMs'] ?? 0);
  // The PDB refused at least one of the two simultaneous evictions.
  expect(byStep(7)['refusedEvictions']).toBeGreaterThan(0);
  expect(byStep(6)['tokenAfter']).toBeGreaterThan(byStep(6)['tokenBefore'] ?? Infinity);
});
