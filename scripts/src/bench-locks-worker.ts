#!/usr/bin/env node
/**
 * A benchmark client process for `pnpm bench:locks`, speaking lock.proto directly over gRPC
 * streams (one stream per session). Driven over IPC by bench-locks.ts with one job at a time:
 * - pairs: S sessions, each on its own resource, loop acquire+release for D ms;
 * - contended: S sessions on ONE resource, each re-queues at once after its release;
 * - keepalive: S idle sessions keeping alive at TTL/3 until told to stop;
 * - hold: one session holds a lock and keeps alive; on `failover` it measures how long until a
 *   keepalive is acknowledged again (after resuming on the new leader) and a new acquire succeeds.
 */
import * as grpc from '@grpc/grpc-js';
import { v1 } from '@quorumlock/coordinator/testing';

interface Resp {
  msg: string;
  opened?: { sessionId: string };
  granted?: { requestId: number; token: number };
  released?: { requestId: number };
  failed?: { requestId: number; code: number; message: string };
  keepaliveAck?: { seq: number };
}

const now = (): number => performance.timeOrigin + performance.now();

class Session {
  private call!: grpc.ClientDuplexStream<object, Resp>;
  private client!: grpc.Client;
  private waiters = new Map<string, (r: Resp) => void>();
  sessionId = '';
  private rid = 0;
  private seq = 0;
  ended = false;
  onGrant: ((r: Resp) => void) | null = null;

  constructor(private address: string) {
    this.connect(address);
  }

  private connect(address: string): void {
    this.address = address;
    this.ended = false;
    this.client = new v1.LockService(address, grpc.credentials.createInsecure());
    this.call = (this.client as unknown as { acquire(): grpc.ClientDuplexStream<object, Resp> }).acquire();
    this.call.on('data', (r: Resp) => this.onData(r));
    this.call.on('error', () => undefined);
    this.call.on('status', () => {
      this.ended = true;
      for (const w of this.waiters.values()) w({ msg: 'ended' });
      this.waiters.clear();
    });
  }

  private onData(r: Resp): void {
    let key = r.msg;
    if (r.granted) {
      if (this.onGrant) this.onGrant(r);
      key = `granted:${r.granted.requestId}`;
    } else if (r.released) key = `released:${r.released.requestId}`;
    else if (r.failed) key = `failed:${r.failed.requestId}`;
    else if (r.keepaliveAck) key = `ack:${r.keepaliveAck.seq}`;
    const w = this.waiters.get(key) ?? (r.failed ? this.waiters.get(`granted:${r.failed.requestId}`) : undefined);
    if (w) {
      this.waiters.delete(key);
      if (r.failed) this.waiters.delete(`granted:${r.failed.requestId}`);
      w(r);
    }
  }

  private wait(key: string): Promise<Resp> {
    return new Promise((resolve) => this.waiters.set(key, resolve));
  }

  async open(ttlMs: number, resume = ''): Promise<void> {
    const p = this.wait('opened');
    this.call.write({ open: { sessionId: resume, ttlMs, clientName: 'bench' } });
    const r = await p;
    if (!r.opened) throw new Error(`open failed on ${this.address}`);
    this.sessionId = r.opened.sessionId;
  }

  async lock(name: string, extra: object = {}): Promise<number> {
    const id = ++this.rid;
    const p = this.wait(`granted:${id}`);
    this.call.write({ lock: { requestId: id, name, ...extra } });
    const r = await p;
    if (!r.granted) throw new Error(`lock ${name} failed: ${r.failed?.message ?? r.msg}`);
    return r.granted.token;
  }

  async release(name: string, token: number): Promise<void> {
    const id = ++this.rid;
    const p = this.wait(`released:${id}`);
    this.call.write({ release: { requestId: id, name, token } });
    await p;
  }

  releaseNoWait(name: string, token: number): void {
    this.call.write({ release: { requestId: ++this.rid, name, token } });
  }

  keepalive(): Promise<Resp> {
    const s = ++this.seq;
    const p = this.wait(`ack:${s}`);
    this.call.write({ keepalive: { seq: s } });
    return p;
  }

  /** After a failover: resume on whichever endpoint is the leader now. */
  async resumeSomewhere(endpoints: readonly string[]): Promise<void> {
    for (;;) {
      for (const ep of endpoints) {
        this.client.close();
        this.connect(ep);
        try {
          await this.open(0, this.sessionId);
          return;
        } catch {
          // not the leader (or none yet): try the next one
        }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }
}

type Job =
  | { kind: 'pairs'; address: string; sessions: number; durationMs: number; prefix: string }
  | { kind: 'contended'; address: string; sessions: number; durationMs: number; name: string }
  | { kind: 'keepalive'; address: string; sessions: number; ttlMs: number }
  | { kind: 'stopKeepalive' }
  | { kind: 'hold'; address: string; name: string }
  | { kind: 'failover'; endpoints: string[]; name: string };

let idle: Session[] = [];
let idleTimer: NodeJS.Timeout | null = null;
let holder: Session | null = null;

async function pairs(job: Extract<Job, { kind: 'pairs' }>): Promise<unknown> {
  const sessions = Array.from({ length: job.sessions }, () => new Session(job.address));
  await Promise.all(sessions.map((s) => s.open(10_000)));
  const latencies: number[] = [];
  const end = now() + job.durationMs;
  const start = now();
  await Promise.all(
    sessions.map(async (s, i) => {
      const name = `${job.prefix}/${i}`;
      while (now() < end) {
        const t0 = now();
        const token = await s.lock(name);
        await s.release(name, token);
        latencies.push(now() - t0);
      }
    }),
  );
  const elapsedMs = now() - start;
  for (const s of sessions) s.close();
  return { pairs: latencies.length, elapsedMs, latencies };
}

async function contended(job: Extract<Job, { kind: 'contended' }>): Promise<unknown> {
  const sessions = Array.from({ length: job.sessions }, () => new Session(job.address));
  await Promise.all(sessions.map((s) => s.open(10_000)));
  const handoffs: number[] = [];
  let lastReleaseAt = 0;
  let grants = 0;
  let lastToken = 0;
  let outOfOrder = 0;
  const end = now() + job.durationMs;
  const start = now();
  await Promise.all(
    sessions.map(async (s) => {
      while (now() < end) {
        const token = await s.lock(job.name);
        const t = now();
        if (lastReleaseAt > 0) handoffs.push(t - lastReleaseAt);
        if (token <= lastToken) outOfOrder++;
        lastToken = token;
        grants++;
        lastReleaseAt = now();
        await s.release(job.name, token);
      }
    }),
  );
  const elapsedMs = now() - start;
  for (const s of sessions) s.close();
  return { grants, elapsedMs, handoffs, outOfOrder };
}

async function handle(job: Job): Promise<unknown> {
  switch (job.kind) {
    case 'pairs':
      return pairs(job);
    case 'contended':
      return contended(job);
    case 'keepalive': {
      idle = Array.from({ length: job.sessions }, () => new Session(job.address));
      for (let i = 0; i < idle.length; i += 200) await Promise.all(idle.slice(i, i + 200).map((s) => s.open(job.ttlMs)));
      // Spread keepalives evenly over a third of the TTL, like many independent clients.
      const every = Math.floor(job.ttlMs / 3);
      let k = 0;
      const perTick = Math.max(1, Math.ceil(idle.length / (every / 10)));
      idleTimer = setInterval(() => {
        for (let j = 0; j < perTick; j++) {
          const s = idle[k++ % idle.length];
          if (s && !s.ended) void s.keepalive();
        }
      }, 10);
      return { sessions: idle.length };
    }
    case 'stopKeepalive':
      if (idleTimer) clearInterval(idleTimer);
      for (const s of idle) s.close();
      idle = [];
      return true;
    case 'hold': {
      holder = new Session(job.address);
      await holder.open(10_000);
      const token = await holder.lock(job.name);
      return { token };
    }
    case 'failover': {
      const h = holder;
      if (!h) throw new Error('no holder');
      const t0 = now();
      // The stream to the dead leader ends; resume on the new leader and get a keepalive through.
      while (!h.ended) await new Promise((r) => setTimeout(r, 5));
      await h.resumeSomewhere(job.endpoints);
      await h.keepalive();
      const keepaliveMs = now() - t0;
      await h.lock(`${job.name}-after`);
      const acquireMs = now() - t0;
      h.close();
      return { keepaliveMs, acquireMs };
    }
  }
}

process.on('message', (m: unknown) => {
  const { rid, job } = m as { rid: number; job: Job };
  handle(job).then(
    (result) => process.send?.({ rid, ok: true, result }),
    (e: unknown) => process.send?.({ rid, ok: false, error: e instanceof Error ? e.message : String(e) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send?.({ rid: 0, ok: true, result: 'ready' });
