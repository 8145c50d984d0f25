#!/usr/bin/env node
/**
 * `pnpm bench:raft [--rounds N] [--seconds S]`: a 3-node cluster of real kv-node processes on
 * loopback, LevelDB with fsync on. Closed-loop proposers on the leader submit 128-byte
 * proposals, 1 at a time and 64 at a time; each round measures both, and the figures are the
 * medians over rounds. Also measures this disk's own fdatasync rate in the same run. The last
 * line of output is one JSON object.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { KvCluster } from '@quorumlock/raft/testing';

interface BenchResult {
  commits: number;
  elapsedMs: number;
  latenciesMs: number[];
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return percentile(s, 50);
}

function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** This disk's rate of small write + fdatasync, the floor under any durable commit. */
function fdatasyncPerSec(dir: string, ms: number): number {
  const file = path.join(dir, 'fsync-probe');
  const fd = fs.openSync(file, 'w');
  const buf = Buffer.alloc(128, 1);
  let n = 0;
  const end = performance.now() + ms;
  const start = performance.now();
  while (performance.now() < end) {
    fs.writeSync(fd, buf, 0, buf.length, (n % 1024) * 128);
    fs.fdatasyncSync(fd);
    n++;
  }
  const elapsed = performance.now() - start;
  fs.closeSync(fd);
  fs.rmSync(file);
  return (n / elapsed) * 1000;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: { rounds: { type: 'string', default: '3' }, seconds: { type: 'string', default: '3' } },
  });
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  if (!Number.isSafeInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got '${values.rounds}'`);
  if (!(seconds > 0)) throw new Error(`--seconds must be positive, got '${values.seconds}'`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quorumlock-bench-'));
  const cluster = await KvCluster.create({ size: 3, tickMs: 100, baseDir: dir });
  try {
    await cluster.startAll();
    const leader = await cluster.waitLeader();
    // Warm up JIT, channels and LevelDB.
    await cluster.call(leader, { op: 'bench', concurrency: 8, durationMs: 1000, valueBytes: 128 }, 60_000);
    const rows: Record<string, number[]> = { cps1: [], cps64: [], p50_1: [], p99_1: [], p50_64: [], p99_64: [], fsync: [] };
    for (let r = 0; r < rounds; r++) {
      for (const conc of [1, 64]) {
        const res = await cluster.call<BenchResult>(leader, { op: 'bench', concurrency: conc, durationMs: seconds * 1000, valueBytes: 128 }, 120_000);
        const lat = res.latenciesMs.sort((a, b) => a - b);
        const cps = (res.commits / res.elapsedMs) * 1000;
        const suffix = conc === 1 ? '1' : '64';
        rows[`cps${suffix}`]?.push(cps);
        rows[`p50_${suffix}`]?.push(percentile(lat, 50));
        rows[`p99_${suffix}`]?.push(percentile(lat, 99));
        process.stdout.write(`round ${r + 1} concurrency ${conc}: ${Math.round(cps)} commits/s, p50 ${round(percentile(lat, 50))} ms, p99 ${round(percentile(lat, 99))} ms\n`);
      }
      const f = fdatasyncPerSec(dir, 1000);
      rows['fsync']?.push(f);
      process.stdout.write(`round ${r + 1} disk: ${Math.round(f)} fdatasync/s\n`);
    }
    const out = {
      rounds,
      secondsPerRun: seconds,
      commitsPerSec1: Math.round(median(rows['cps1'] ?? [])),
      commitsPerSec64: Math.round(median(rows['cps64'] ?? [])),
      p50Ms1: round(median(rows['p50_1'] ?? [])),
      p99Ms1: round(median(rows['p99_1'] ?? [])),
      p50Ms64: round(median(rows['p50_64'] ?? [])),
      p99Ms64: round(median(rows['p99_64'] ?? [])),
      fdatasyncPerSec: Math.round(median(rows['fsync'] ?? [])),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    await cluster.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench-raft: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
