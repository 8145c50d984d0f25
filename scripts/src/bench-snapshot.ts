#!/usr/bin/env node
/**
 * `pnpm bench:snapshot [-- --sessions 10000,20000,50000 --runs 7]`: how long one node's event
 * loop is busy encoding (`snapshot()`) and decoding (`restore()`) the lock state at N sessions,
 * in one process, no cluster (wall and CPU time). Each session is opened with an owner (as the server does); one in
 * four holds a lock of its own, one in eight locked and released one, and one in ten queues on one
 * of 100 shared locks. Figures are medians over --runs. Each line also gives the snapshot's size and
 * sha256, so two builds can be checked for byte-identical snapshots of the same state. The last
 * line of output is one JSON object.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { type Command, LockStateMachine } from '@quorumlock/coordinator';

interface Figures {
  sessions: number;
  bytes: number;
  sha256: string;
  encodeMs: number;
  restoreMs: number;
  /** This process's CPU time (user + system) for one encode / one restore: steadier than wall time on a busy machine. */
  encodeCpuMs: number;
  restoreCpuMs: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? NaN;
}

/** A machine with `n` sessions and some holds, outcomes and queues; deterministic. */
export function buildState(n: number): LockStateMachine {
  const m = new LockStateMachine({ limits: { maxSessions: Math.max(n, 1) } });
  let index = 0;
  let stamp = 1_000_000;
  const run = (c: Command): void => {
    const out = m.applyCommand(c, { index: ++index, term: 1 });
    if (out.status.code !== 0) throw new Error(`bench setup: ${c.type} failed: ${out.status.message}`);
  };
  const lock = { capacity: 0, mode: 'exclusive', waitTimeoutMs: 0, tryOnly: false, lockDelayMs: 0, permits: 0, priority: 0 } as const;
  for (let i = 0; i < n; i++) {
    const sessionId = `${i.toString(16).padStart(8, '0')}-5e55-4d0e-9a1b-${(i * 7919).toString(16).padStart(12, '0')}`;
    const secretHash = createHash('sha256').update(sessionId).digest('hex');
    stamp += 1;
    run({ type: 'openSession', stamp, sessionId, ttlMs: 10_000, clientName: `bench-client-${i % 16}`, secretHash, owner: '' });
    if (i % 4 === 0) run({ type: 'lock', stamp, sessionId, requestId: 1, name: `jobs/${i}`, ...lock });
    if (i % 8 === 1) {
      run({ type: 'lock', stamp, sessionId, requestId: 1, name: `tmp/${i}`, ...lock });
      const token = m.lastToken;
      run({ type: 'release', stamp, sessionId, requestId: 2, name: `tmp/${i}`, token });
    }
    if (i % 10 === 3) run({ type: 'lock', stamp, sessionId, requestId: 3, name: `shared/${i % 100}`, ...lock, waitTimeoutMs: 60_000 });
  }
  return m;
}

function measure(n: number, runs: number): Figures {
  const m = buildState(n);
  const encodes: number[] = [];
  const restores: number[] = [];
  const encodeCpu: number[] = [];
  const restoreCpu: number[] = [];
  const cpuMs = (since: NodeJS.CpuUsage): number => {
    const d = process.cpuUsage(since);
    return (d.user + d.system) / 1000;
  };
  let bytes = m.snapshot();
  const copy = new LockStateMachine({ limits: { maxSessions: Math.max(n, 1) } });
  for (let r = 0; r < runs; r++) {
    let c = process.cpuUsage();
    let t = performance.now();
    bytes = m.snapshot();
    encodes.push(performance.now() - t);
    encodeCpu.push(cpuMs(c));
    c = process.cpuUsage();
    t = performance.now();
    copy.restore(bytes);
    restores.push(performance.now() - t);
    restoreCpu.push(cpuMs(c));
  }
  const again = copy.snapshot();
  if (!Buffer.from(again).equals(Buffer.from(bytes))) throw new Error(`restore(snapshot()) at ${n} sessions does not give the same bytes`);
  return {
    sessions: n,
    bytes: bytes.byteLength,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    encodeMs: median(encodes),
    restoreMs: median(restores),
    encodeCpuMs: median(encodeCpu),
    restoreCpuMs: median(restoreCpu),
  };
}

function parseCounts(text: string): number[] {
  const counts = text.split(',').map((s) => Number(s.trim()));
  for (const c of counts) {
    if (!Number.isSafeInteger(c) || c < 0) throw new Error(`--sessions: '${text}' is not a list of non-negative integers`);
  }
  return counts;
}

function main(): void {
  const { values } = parseArgs({
    options: { sessions: { type: 'string', default: '10000,20000,50000' }, runs: { type: 'string', default: '7' } },
  });
  const runs = Number(values.runs);
  if (!Number.isSafeInteger(runs) || runs < 1) throw new Error(`--runs: '${values.runs}' is not a positive integer`);
  const all: Figures[] = [];
  for (const n of parseCounts(values.sessions)) {
    const f = measure(n, runs);
    all.push(f);
    console.log(
      `${String(f.sessions).padStart(7)} sessions  ${(f.bytes / 1e6).toFixed(2)} MB  encode ${f.encodeMs.toFixed(1)} ms (cpu ${f.encodeCpuMs.toFixed(1)})  restore ${f.restoreMs.toFixed(1)} ms (cpu ${f.restoreCpuMs.toFixed(1)})  sha256 ${f.sha256.slice(0, 16)}`,
    );
  }
  console.log(JSON.stringify({ runs, figures: all }));
}

if (require.main === module) main();
