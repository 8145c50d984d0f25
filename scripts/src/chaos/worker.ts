#!/usr/bin/env node
/**
 * One worker of the fault suite: a LockClient (one session) reaching the cluster only through its
 * own proxies (`dialMap`), looping: pick a resource, acquire, work under the lock, release. On a
 * mutex it reads a counter from the protected store and writes it back incremented, with its
 * fencing token. Every operation is appended to a JSONL history (synchronously, so a SIGKILL
 * loses at most the operation in flight), with the validity window the worker itself trusted.
 *
 * argv[2] is a JSON config (see WorkerConfig). SIGTERM: finish the current operation, release,
 * close the session, exit 0.
 */
import * as fs from 'node:fs';
import { LockClient, LockLostError, type Lease } from '@quorumlock/client';
import { SeededRng } from '@quorumlock/raft';
import type { PemTls } from './chaos-tls';

export interface ResourceSpec {
  readonly name: string;
  readonly capacity: number;
  /** Protected by the store: read-increment-write under an exclusive hold. */
  readonly fenced: boolean;
  /** Probability of asking for a shared hold (only when capacity > 1). */
  readonly sharedRate: number;
}

export interface WorkerConfig {
  readonly id: string;
  readonly seed: number;
  readonly endpoints: readonly string[];
  readonly dialMap: Readonly<Record<string, string>>;
  readonly storeUrl: string;
  readonly historyFile: string;
  readonly ttlMs: number;
  readonly resources: readonly ResourceSpec[];
  readonly waitTimeoutMs: number;
  /** Share of holds kept for 0.5-6 s (past the TTL), writing every ~200 ms. */
  readonly longHoldRate: number;
  /** With `pnpm chaos -- --tls`: the CA and this worker's client certificate (chaos-tls.ts). */
  readonly tls?: PemTls | undefined;
}

/**
 * CLOCK_MONOTONIC, one clock for every process of the run (performance.timeOrigin is fixed per
 * process at start and can differ between processes by a millisecond or two).
 */
const now = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Answers the cluster decided (the request was never granted); anything else may have been. */
const DEFINITE_FAILURES = new Set(['ERR_DEADLINE', 'ERR_DEADLOCK', 'ERR_INVALID_ARGUMENT', 'ERR_FAILED_PRECONDITION', 'ERR_CANCELLED', 'ERR_RESOURCE_EXHAUSTED', 'ERR_LOCK_HELD']);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** What every step of the loop needs: the config, the seeded choices, the client and the history. */
interface Worker {
  readonly cfg: WorkerConfig;
  readonly rng: SeededRng;
  readonly client: LockClient;
  readonly log: (rec: object) => void;
}

/** One acquire attempt as the history shows it. */
interface Attempt {
  readonly id: string;
  readonly res: ResourceSpec;
  readonly mode: 'shared' | 'exclusive';
  readonly request: { readonly mode: 'shared' | 'exclusive'; readonly permits: number; readonly capacity: number };
}

/** Acquire, logging invoke and outcome; null when not granted (already logged). */
async function acquire(w: Worker, a: Attempt): Promise<Lease | null> {
  const { cfg, log } = w;
  log({ kind: 'event', f: 'acquire', type: 'invoke', process: cfg.id, resource: a.res.name, time: now(), id: a.id, value: a.request });
  try {
    return await w.client.acquire(a.res.name, { capacity: a.res.capacity, mode: a.mode, waitTimeoutMs: cfg.waitTimeoutMs });
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    // A timeout or refusal was decided by the cluster; anything else leaves the outcome open.
    const definite = DEFINITE_FAILURES.has(code);
    log({ kind: 'event', f: 'acquire', type: definite ? 'fail' : 'info', process: cfg.id, resource: a.res.name, time: now(), id: a.id, value: { error: `${code} ${errorText(e)}` } });
    return null;
  }
}

/** Log the SDK's loss of trust in the hold; returns a getter for when it happened (Infinity: not yet). */
function watchLease(w: Worker, res: ResourceSpec, lease: Lease): () => number {
  let signalAt = Infinity;
  lease.signal.addEventListener('abort', () => {
    signalAt = now();
    // Why the SDK stopped trusting the hold: the runner tells a lost grant from a lapsed lease.
    const why = lease.signal.reason as { reason?: string; detail?: string } | undefined;
    if (why?.reason === 'released' || why?.reason === 'client closed') return;
    w.log({ kind: 'leaseLost', process: w.cfg.id, resource: res.name, token: lease.token, time: signalAt, reason: why?.reason ?? 'unknown', detail: why?.detail ?? '' });
  });
  return () => signalAt;
}

/** Read-increment-write of the protected counter, fenced with the lease's token. */
async function fencedIncrement(w: Worker, res: ResourceSpec, lease: Lease): Promise<void> {
  const { cfg } = w;
  const read = (await (await fetch(`${cfg.storeUrl}/read?resource=${encodeURIComponent(res.name)}`)).json()) as { value: number };
  await sleep(w.rng.int(0, 30));
  lease.assertValid();
  const written = await fetch(`${cfg.storeUrl}/write`, {
    method: 'POST',
    body: JSON.stringify({ resource: res.name, token: lease.token, value: read.value + 1, process: cfg.id }),
  });
  w.log({ kind: 'store', process: cfg.id, resource: res.name, time: now(), token: lease.token, accepted: written.status === 200, value: read.value + 1 });
}

/**
 * Work under the lock: usually a few ms, sometimes longer than the TTL (a batch job), so that a
 * lease bug has a window to show in. Every store write is preceded by assertValid().
 */
async function work(w: Worker, a: Attempt, lease: Lease): Promise<void> {
  const longHold = w.rng.chance(w.cfg.longHoldRate);
  const holdUntil = now() + (longHold ? w.rng.int(500, 6000) : 0);
  do {
    if (a.res.fenced && a.mode === 'exclusive') {
      await fencedIncrement(w, a.res, lease);
    } else {
      await sleep(w.rng.int(5, 40));
      lease.assertValid();
    }
    if (longHold) await sleep(200);
  } while (now() < holdUntil);
  if (w.rng.chance(0.2)) await checkFence(w, a, lease);
}

/** Ask the cluster whether the token still fences (logged as its own process's operation). */
async function checkFence(w: Worker, a: Attempt, lease: Lease): Promise<void> {
  const fid = `${a.id}:fence`;
  const proc = `${w.cfg.id}/fence`;
  const resource = a.res.name;
  w.log({ kind: 'event', f: 'checkFence', type: 'invoke', process: proc, resource, time: now(), id: fid, value: { token: lease.token } });
  try {
    const fc = await w.client.checkFence(resource, lease.token);
    w.log({ kind: 'event', f: 'checkFence', type: 'ok', process: proc, resource, time: now(), id: fid, value: fc });
  } catch (e) {
    w.log({ kind: 'event', f: 'checkFence', type: 'info', process: proc, resource, time: now(), id: fid, value: { error: errorText(e) } });
  }
}

/** Record the validity window the worker trusted, then release (unless the lease was lost). */
async function endHold(w: Worker, a: Attempt, lease: Lease, grantedAt: number, signalAt: number): Promise<void> {
  const { cfg, log } = w;
  const { res } = a;
  const rid = `${a.id}:release`;
  const releaseAt = now();
  const validUntil = Math.min(releaseAt, signalAt);
  log({ kind: 'validity', process: cfg.id, resource: res.name, token: lease.token, grantedAt, validUntil, end: signalAt < releaseAt ? 'signal' : 'release', mode: a.mode, permits: 1, capacity: res.capacity });
  if (lease.signal.aborted) {
    // A lost lease is ended by the SDK itself (in the background, or never if the session
    // expired); release() is then a local no-op, so recording it as a release operation would
    // claim a release that did not happen at this time. The hold may end any time after the
    // validity window, which is how the checkers treat a grant without a release.
    await lease.release().catch(() => undefined);
    log({ kind: 'note', process: cfg.id, time: now(), note: `lease ${lease.token} on ${res.name} lost before release` });
    return;
  }
  log({ kind: 'event', f: 'release', type: 'invoke', process: cfg.id, resource: res.name, time: releaseAt, id: rid, value: { token: lease.token } });
  try {
    await lease.release();
    log({ kind: 'event', f: 'release', type: 'ok', process: cfg.id, resource: res.name, time: now(), id: rid, value: { token: lease.token } });
  } catch (e) {
    log({ kind: 'event', f: 'release', type: 'info', process: cfg.id, resource: res.name, time: now(), id: rid, value: { error: errorText(e) } });
  }
}

/** One iteration: pick a resource, acquire, work under the lock, release. */
async function cycle(w: Worker, op: number): Promise<void> {
  const { cfg, rng } = w;
  const res = rng.pick(cfg.resources);
  const shared = res.capacity > 1 && rng.chance(res.sharedRate);
  const mode = shared ? 'shared' : 'exclusive';
  const a: Attempt = { id: `${cfg.id}:${op}`, res, mode, request: { mode, permits: 1, capacity: res.capacity } };
  const lease = await acquire(w, a);
  if (lease === null) {
    await sleep(20);
    return;
  }
  const grantedAt = now();
  w.log({ kind: 'event', f: 'acquire', type: 'ok', process: cfg.id, resource: res.name, time: grantedAt, id: a.id, value: { ...a.request, token: lease.token } });
  const signalAt = watchLease(w, res, lease);
  try {
    await work(w, a, lease);
  } catch (e) {
    if (!(e instanceof LockLostError)) w.log({ kind: 'note', process: cfg.id, time: now(), note: `work failed: ${errorText(e)}` });
  }
  await endHold(w, a, lease, grantedAt, signalAt());
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
  const fd = fs.openSync(cfg.historyFile, 'a');
  const log = (rec: object): void => {
    fs.writeSync(fd, `${JSON.stringify(rec)}\n`);
  };
  const client = new LockClient({
    endpoints: [...cfg.endpoints],
    dialMap: cfg.dialMap,
    ttlMs: cfg.ttlMs,
    clientName: cfg.id,
    backoff: { initialMs: 50, maxMs: 1000, budgetMs: 60_000 },
    tls: cfg.tls,
  });
  const w: Worker = { cfg, rng: new SeededRng(cfg.seed), client, log };
  client.on('sessionExpired', ({ reason }) => log({ kind: 'sessionExpired', process: cfg.id, time: now(), reason }));
  client.on('resumed', () => log({ kind: 'resumed', process: cfg.id, time: now() }));
  let stopping = false;
  process.on('SIGTERM', () => {
    stopping = true;
  });
  log({ kind: 'start', process: cfg.id, time: now(), pid: process.pid });
  for (let op = 1; !stopping; op++) await cycle(w, op);
  await client.close().catch(() => undefined);
  log({ kind: 'stop', process: cfg.id, time: now() });
  fs.closeSync(fd);
  process.exit(0);
}

main().catch((e: unknown) => {
  process.stderr.write(`chaos worker: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
