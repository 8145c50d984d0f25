import * as grpc from '@grpc/grpc-js';
import { v1 } from '@quorumlock/coordinator/testing';
import type { BenchSession } from './bench-session';

interface Resp {
  msg: string;
  opened?: { sessionId: string; sessionSecret?: string };
  granted?: { requestId: number; token: number };
  released?: { requestId: number };
  failed?: { requestId: number; code: number; message: string };
  keepaliveAck?: { seq: number };
}

/** A quorumlock session: one Acquire stream, requests and answers matched by id. */
export class QuorumlockSession implements BenchSession {
  private call!: grpc.ClientDuplexStream<object, Resp>;
  private client!: grpc.Client;
  private waiters = new Map<string, (r: Resp) => void>();
  sessionId = '';
  private rid = 0;
  private seq = 0;
  private keepaliveTimer: NodeJS.Timeout | null = null;
  private closed = false;
  ended = false;
  /** How the stream ended, for a failure report that names the status. */
  endStatus = '';
  private lastStatus: grpc.StatusObject | null = null;
  onGrant: ((r: Resp) => void) | null = null;

  /** `channel`: sessions with the same number share a connection (grpc-js pools by channel options). */
  constructor(
    private address: string,
    private readonly channel = 0,
  ) {
    this.connect(address);
  }

  private connect(address: string): void {
    this.address = address;
    this.ended = false;
    this.client = new v1.LockService(address, grpc.credentials.createInsecure(), { 'quorumlock.bench.channel': this.channel });
    this.call = (this.client as unknown as { acquire(): grpc.ClientDuplexStream<object, Resp> }).acquire();
    this.call.on('data', (r: Resp) => this.onData(r));
    this.call.on('error', () => undefined);
    this.call.on('status', (st: grpc.StatusObject) => {
      this.ended = true;
      this.lastStatus = st;
      this.endStatus = `${grpc.status[st.code] ?? st.code}: ${st.details}`;
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

  private sessionSecret = '';

  async open(ttlMs: number, resume = ''): Promise<void> {
    for (;;) {
      const p = this.wait('opened');
      this.call.write({ open: { sessionId: resume, ttlMs, clientName: 'bench', sessionSecret: resume === '' ? '' : this.sessionSecret } });
      const r = await p;
      if (r.opened) {
        this.sessionId = r.opened.sessionId;
        // Resuming needs the secret the session's first `opened` gave (lock.proto).
        if (resume === '') this.sessionSecret = r.opened.sessionSecret ?? '';
        return;
      }
      // A busy leader refuses with RESOURCE_EXHAUSTED and a retry hint: come back after it.
      const hint = Number(this.lastStatus?.metadata.get('quorumlock-retry-after-ms')[0] ?? NaN);
      if (this.lastStatus?.code !== grpc.status.RESOURCE_EXHAUSTED || !Number.isFinite(hint)) {
        const why = r.failed ? `${grpc.status[r.failed.code] ?? r.failed.code}: ${r.failed.message}` : this.endStatus || r.msg;
        throw new Error(`session open on ${this.address} failed (${why})`);
      }
      await new Promise((res) => setTimeout(res, hint));
      this.client.close();
      this.connect(this.address);
    }
  }

  /** Keep the session alive as the SDK does: a keepalive every TTL/3 until closed. */
  keepAlive(ttlMs: number): void {
    this.keepaliveTimer = setInterval(() => {
      if (this.ended) return;
      // A keepalive still in flight when the round closes the session is cancelled with it: not
      // a failure. Any other one still stops the benchmark loudly.
      this.keepalive().catch((e: unknown) => {
        if (!this.closed) throw e;
      });
    }, Math.floor(ttlMs / 3));
  }

  async lock(name: string, extra: object = {}): Promise<number> {
    const id = ++this.rid;
    const p = this.wait(`granted:${id}`);
    this.call.write({ lock: { requestId: id, name, ...extra } });
    const r = await p;
    if (!r.granted) {
      const why = r.failed ? `${grpc.status[r.failed.code] ?? r.failed.code}: ${r.failed.message}` : this.endStatus || r.msg;
      throw new Error(`lock ${name} failed (${why})`);
    }
    return r.granted.token;
  }

  async release(name: string, token: number): Promise<void> {
    const id = ++this.rid;
    const p = this.wait(`released:${id}`);
    this.call.write({ release: { requestId: id, name, token } });
    await p;
  }

  async keepalive(): Promise<void> {
    const s = ++this.seq;
    const p = this.wait(`ack:${s}`);
    this.call.write({ keepalive: { seq: s } });
    const r = await p;
    if (!r.keepaliveAck) throw new Error(`keepalive not acknowledged (${this.endStatus || r.msg})`);
  }

  /** After a failover: once the stream to the dead leader ended, resume on whichever endpoint leads now. */
  async recover(endpoints: readonly string[]): Promise<void> {
    while (!this.ended) await new Promise((r) => setTimeout(r, 5));
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

  /** Ends the session as the SDK does on scope exit: close{}, then wait (bounded) for the server to end the stream. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.keepaliveTimer !== null) clearInterval(this.keepaliveTimer);
    if (!this.ended) {
      const ended = new Promise<void>((resolve) => {
        this.call.on('status', () => resolve());
        setTimeout(resolve, CLOSE_TIMEOUT_MS).unref();
      });
      this.call.write({ close: {} });
      await ended;
    }
    this.call.cancel();
    this.client.close();
  }
}

/** How long close() waits for the server to end a closed session's stream. */
const CLOSE_TIMEOUT_MS = 5000;
