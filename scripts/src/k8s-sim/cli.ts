#!/usr/bin/env node
/**
 * pnpm k8s:sim: the StatefulSet lifecycle of issue 13 §4 with real processes, the pods run
 * exactly as the rendered manifest (deploy/k8s/manifests) says. Prints one line per step and a
 * summary; --json FILE writes the report. Exit 0 when every step passed with zero violations.
 *
 *   pnpm k8s:sim [-- --dead-member-timeout-ms N] [--json FILE] [--keep]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { readPodSpec } from './manifest';
import { runLifecycle } from './lifecycle';
import { SimStatefulSet } from './stateful-set';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'dead-member-timeout-ms': { type: 'string', default: '15000' },
      json: { type: 'string' },
      keep: { type: 'boolean', default: false },
      manifests: { type: 'string' },
    },
  });
  const deadMemberTimeoutMs = Number(values['dead-member-timeout-ms']);
  if (!Number.isSafeInteger(deadMemberTimeoutMs) || deadMemberTimeoutMs < 1000) {
    throw new Error(`--dead-member-timeout-ms '${values['dead-member-timeout-ms']}' must be an integer of at least 1000`);
  }
  const repoRoot = path.resolve(__dirname, '..', '..', '..');
  const spec = readPodSpec(values.manifests ?? path.join(repoRoot, 'deploy', 'k8s', 'manifests'));
  const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'quorumlock-k8s-sim-'));
  // A loopback /24 of its own, so concurrent runs (and anything on 127.0.0.1) never collide.
  const subnet = `127.${100 + Math.floor(Math.random() * 150)}.${Math.floor(Math.random() * 250)}`;
  // The one setting shortened for the simulation (the manifest's default is 60 s): how long a
  // scaled-down member stays in the configuration. Reported with the results.
  const envOverrides = { QUORUMLOCK_DEAD_MEMBER_TIMEOUT_MS: String(deadMemberTimeoutMs) };
  const sts = new SimStatefulSet({ spec, baseDir, repoRoot, subnet, envOverrides });
  const log = (line: string): void => {
    process.stdout.write(`${new Date().toISOString()} ${line}\n`);
  };
  log(`StatefulSet ${spec.setName} (${spec.replicas} replicas, grace ${spec.terminationGracePeriodSeconds} s, PDB maxUnavailable ${spec.pdbMaxUnavailable}) in ${baseDir}, pods on ${subnet}.10+; overrides ${JSON.stringify(envOverrides)}`);
  let passed = false;
  try {
    const t0 = performance.now();
    const { steps, violations } = await runLifecycle(sts, { deadMemberTimeoutMs, readyTimeoutMs: 90_000, log });
    passed = steps.length === 7 && steps.every((s) => s.ok) && violations.length === 0;
    const report = { passed, totalMs: Math.round(performance.now() - t0), envOverrides, steps, violations, baseDir };
    if (values.json !== undefined) fs.writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
    log(`${passed ? 'PASSED' : 'FAILED'}: ${steps.filter((s) => s.ok).length}/7 steps, ${violations.length} violations, ${report.totalMs} ms`);
    for (const s of steps) log(`  ${s.step}. ${s.ok ? 'ok  ' : 'FAIL'} ${s.name}: unavailable <= ${s.longestUnavailableMs} ms, no leader <= ${s.longestNoLeaderMs} ms ${JSON.stringify(s.figures)}${s.error !== undefined ? ` -- ${s.error}` : ''}`);
  } finally {
    await sts.destroy();
    if (passed && values.keep !== true) fs.rmSync(baseDir, { recursive: true, force: true });
    else log(`pod logs and PVCs kept in ${baseDir}`);
  }
  return passed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`k8s:sim: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(2);
  },
);
