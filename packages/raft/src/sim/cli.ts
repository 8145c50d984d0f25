#!/usr/bin/env node
/**
 * `pnpm sim -- --seeds N [--seed S] [--nodes 3|5] [--verbose]`: run the deterministic simulator
 * over N seeds starting at S (or the one seed S). Without --nodes, even seeds run 3 nodes and odd
 * seeds 5. Exits 1 on the first violation and prints the command that replays it.
 */
import { parseArgs } from 'node:util';
import { runSeed } from './sim-cluster';

function main(): number {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: {
      seeds: { type: 'string' },
      seed: { type: 'string' },
      nodes: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('usage: pnpm sim -- [--seeds N] [--seed S] [--nodes 3|5] [--verbose]\n');
    return 0;
  }
  const num = (name: string, v: string | undefined, dflt: number): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got '${v}'`);
    return n;
  };
  const start = num('seed', values.seed, 1);
  const count = values.seeds === undefined ? (values.seed === undefined ? 100 : 1) : num('seeds', values.seeds, 100);
  const nodesArg = values.nodes === undefined ? undefined : num('nodes', values.nodes, 3);
  if (nodesArg !== undefined && nodesArg !== 3 && nodesArg !== 5) throw new Error(`--nodes must be 3 or 5, got ${nodesArg}`);
  const began = Date.now();
  const totals: Record<string, number> = {};
  for (let seed = start; seed < start + count; seed++) {
    const nodes = (nodesArg ?? (seed % 2 === 0 ? 3 : 5)) as 3 | 5;
    const res = runSeed(seed, nodes);
    for (const [k, v] of Object.entries(res.stats)) totals[k] = (totals[k] ?? 0) + v;
    if (values.verbose) process.stdout.write(`seed ${seed} nodes ${nodes}: ${res.ok ? 'ok' : 'FAIL'} ${JSON.stringify(res.stats)}\n`);
    if (!res.ok) {
      process.stdout.write(`FAIL seed ${seed} (${nodes} nodes): ${res.error}\nreplay: ${res.replay}\n`);
      return 1;
    }
  }
  const secs = ((Date.now() - began) / 1000).toFixed(1);
  process.stdout.write(`${count} seeds passed in ${secs}s; totals ${JSON.stringify(totals)}\n`);
  return 0;
}

try {
  process.exitCode = main();
} catch (e) {
  process.stderr.write(`sim: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 2;
}
