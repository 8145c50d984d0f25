#!/usr/bin/env node
/**
 * `pnpm measure:memory [-- --sessions N --resources N --value-bytes B]`: what state costs in
 * memory on every node of a 3-node cluster of real processes (default settings). It measures
 * each server's resident set size (VmRSS) at rest, after opening N sessions (they stay open),
 * and after creating N idle resources that each keep a fenced value of B bytes (lock, put,
 * release), and reports MB per 10,000 sessions and per 10,000 valued resources for each node.
 * The last line of output is one JSON object.
 */
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';
import { v1 } from '@quorumlock/coordinator/testing';

interface Reply {
  msg: string;
  opened?: { sessionId: string };
  granted?: { requestId: number; token: number };
  failed?: { requestId: number; code: number; message: string };
  valuePut?: { requestId: number };
  released?: { requestId: number };
}

/** One session on its own stream; requests are answered by id. */
class Session {
  private readonly waiters = new Map<string, (r: Reply) => void>();
  private readonly call: grpc.ClientDuplexStream<object, Reply>;
  private opened: ((r: Reply) => void) | null = null;

  constructor(client: grpc.Client, private readonly onError: (e: string) => void) {
    this.call = (client as unknown as { acquire(): grpc.ClientDuplexStream<object, Reply> }).acquire();
    this.call.on('data', (r: Reply) => {
      if (r.msg === 'opened') return this.opened?.(r);
      const id = r.granted?.requestId ?? r.failed?.requestId ?? r.valuePut?.requestId ?? r.released?.requestId;
      if (r.failed !== undefined) this.onError(`request ${r.failed.requestId}: ${r.failed.code} ${r.failed.message}`);
      this.waiters.get(`${id}`)?.(r);
    });
    this.call.on('status', (s: grpc.StatusObject) => {
      if (s.code !== grpc.status.OK && s.code !== grpc.status.CANCELLED) this.onError(`stream ended: ${s.code} ${s.details}`);
    });
    this.call.on('error', () => undefined);
  }

  open(ttlMs: number): Promise<Reply> {
    return new Promise((resolve) => {
      this.opened = resolve;
      this.call.write({ open: { sessionId: '', ttlMs, clientName: 'measure-memory' } });
    });
  }

  request(requestId: number, msg: object): Promise<Reply> {
    return new Promise((resolve) => {
      this.waiters.set(`${requestId}`, (r) => {
        this.waiters.delete(`${requestId}`);
        resolve(r);
      });
      this.call.write(msg);
    });
  }

  cancel(): void {
    this.call.cancel();
  }
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null || m[1] === undefined) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mb = (b: number): number => Math.round((b / (1024 * 1024)) * 10) / 10;

interface Options {
  readonly nSessions: number;
  readonly nResources: number;
  readonly valueBytes: number;
  readonly settleMs: number;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      sessions: { type: 'string', default: '10000' },
      resources: { type: 'string', default: '10000' },
      'value-bytes': { type: 'string', default: '1024' },
      'settle-ms': { type: 'string', default: '5000' },
    },
  });
  const nSessions = Number(values.sessions);
  const nResources = Number(values.resources);
  const valueBytes = Number(values['value-bytes']);
  const settleMs = Number(values['settle-ms']);
  for (const [k, v] of [['sessions', nSessions], ['resources', nResources], ['value-bytes', valueBytes], ['settle-ms', settleMs]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`--${k} '${String(v)}' must be a non-negative integer`);
  }
  return { nSessions, nResources, valueBytes, settleMs };
}

/** Open `n` sessions spread over the services, 200 at a time; each is pushed to `sessions` at once (so it is cancelled on failure). */
async function openSessions(svc: readonly grpc.Client[], n: number, sessions: Session[], errors: string[]): Promise<void> {
  for (let i = 0; i < n; i += 200) {
    const batch = [];
    for (let k = i; k < Math.min(n, i + 200); k++) {
      const s = new Session(svc[k % svc.length] as grpc.Client, (e) => errors.push(e));
      sessions.push(s);
      // Long TTL: the sessions live through the whole measurement without keepalives.
      batch.push(s.open(300_000));
    }
    await Promise.all(batch);
  }
}

/** Resources: each keeps a value after its hold is released. 100 sessions work in parallel. */
async function fillResources(sessions: readonly Session[], nResources: number, valueBytes: number): Promise<void> {
  const workers = sessions.slice(0, Math.min(100, sessions.length));
  const value = Buffer.alloc(valueBytes, 0x61);
  await Promise.all(
    workers.map(async (s, w) => {
      let rid = 1;
      for (let i = w; i < nResources; i += workers.length) {
        const name = `mem/${i}`;
        const g = await s.request(rid, { lock: { requestId: rid, name } });
        rid++;
        const token = g.granted?.token ?? 0;
        await s.request(rid, { put: { requestId: rid, name, token, value } });
        rid++;
        await s.request(rid, { release: { requestId: rid, name, token } });
        rid++;
      }
    }),
  );
}

async function main(): Promise<void> {
  const { nSessions, nResources, valueBytes, settleMs } = parseOptions();
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  const cluster = await CoordinatorCluster.create({ size: 3, logLevel: 'warn' });
  const clients: grpc.Client[] = [];
  const sessions: Session[] = [];
  const errors: string[] = [];
  try {
    await cluster.startAll();
    const leader = await cluster.waitLeader();
    const rss = (): Record<string, number> => Object.fromEntries(cluster.ids.map((id) => [id, rssBytes(cluster.pid(id) ?? 0)]));
    await sleep(settleMs);
    const base = rss();
    log(`at rest: ${cluster.ids.map((id) => `${id} ${mb(base[id] ?? 0)} MB`).join(', ')}`);

    // Sessions spread over 8 connections (a separate subchannel pool per client), opened 200 at a time.
    for (let i = 0; i < 8; i++) clients.push(new grpc.Client(cluster.address(leader), grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }));
    const svc = clients.map((c) => new v1.LockService(cluster.address(leader), grpc.credentials.createInsecure(), { channelOverride: (c as unknown as { getChannel(): grpc.Channel }).getChannel() }));
    const t0 = Date.now();
    await openSessions(svc, nSessions, sessions, errors);
    log(`${nSessions} sessions opened in ${Date.now() - t0} ms`);
    await sleep(settleMs);
    const withSessions = rss();

    const t1 = Date.now();
    await fillResources(sessions, nResources, valueBytes);
    log(`${nResources} resources with ${valueBytes}-byte values in ${Date.now() - t1} ms`);
    await sleep(settleMs);
    const withResources = rss();
    const st = await cluster.status(leader);
    if (errors.length > 0) throw new Error(`${errors.length} requests failed, e.g. ${errors[0] ?? ''}`);

    const perNode = cluster.ids.map((id) => ({
      node: id,
      leader: id === leader,
      rssAtRestMB: mb(base[id] ?? 0),
      rssWithSessionsMB: mb(withSessions[id] ?? 0),
      rssWithResourcesMB: mb(withResources[id] ?? 0),
      per10kSessionsMB: nSessions === 0 ? 0 : mb((((withSessions[id] ?? 0) - (base[id] ?? 0)) * 10_000) / nSessions),
      per10kValuedResourcesMB: nResources === 0 ? 0 : mb((((withResources[id] ?? 0) - (withSessions[id] ?? 0)) * 10_000) / nResources),
    }));
    for (const p of perNode) {
      log(`${p.node}${p.leader ? ' (leader)' : ''}: ${p.per10kSessionsMB} MB per 10k sessions, ${p.per10kValuedResourcesMB} MB per 10k idle resources with ${valueBytes}-byte values`);
    }
    process.stdout.write(`${JSON.stringify({ sessions: nSessions, resources: nResources, valueBytes, statusSessions: st.sessions, statusLocks: st.locks, perNode })}\n`);
  } finally {
    for (const s of sessions) s.cancel();
    for (const c of clients) c.close();
    await cluster.destroy();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`measure-memory: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
