import * as grpc from '@grpc/grpc-js';
import { v1 } from '@quorumlock/coordinator/testing';
import type { AcquireResponse__Output } from '@quorumlock/proto';

/** One AcquireResponse as proto-loader decodes it (`msg` names the field that is set). */
export type Response = AcquireResponse__Output & { msg: NonNullable<AcquireResponse__Output['msg']> };

export interface EndStatus {
  code: number;
  details: string;
  leader: string;
}

/**
 * A bare Acquire stream for protocol-level tests of the server: send raw messages, await
 * responses by predicate, see how the stream ended (status and `quorumlock-leader` trailer).
 * Deliberately not the SDK, so the server is checked against lock.proto alone.
 */
/**
 * The secret of every session a RawSession of this test process created (lock.proto
 * `session_secret`), so a later RawSession resumes it the way its owner would.
 */
const secrets = new Map<string, string>();

export class RawSession {
  /** The secret `opened` gave when session `sessionId` was created here ('' if unknown). */
  static secretOf(sessionId: string): string {
    return secrets.get(sessionId) ?? '';
  }

  readonly responses: Response[] = [];
  /** Every response in arrival order (never consumed by `next`), to check the order itself. */
  readonly log: Response[] = [];
  ended: EndStatus | null = null;
  sessionId = '';
  private readonly client: grpc.Client;
  private readonly call: grpc.ClientDuplexStream<object, Response>;
  private readonly waiters: (() => void)[] = [];
  private seq = 0;

  /** `metadata`: sent with the call, e.g. `authorization: Bearer <token>`. */
  constructor(
    readonly address: string,
    metadata?: grpc.Metadata,
  ) {
    this.client = new v1.LockService(address, grpc.credentials.createInsecure());
    const c = this.client as unknown as { acquire(md?: grpc.Metadata): grpc.ClientDuplexStream<object, Response> };
    this.call = metadata === undefined ? c.acquire() : c.acquire(metadata);
    this.call.on('data', (r: Response) => {
      this.responses.push(r);
      this.log.push(r);
      this.wake();
    });
    this.call.on('status', (s: grpc.StatusObject) => {
      const leader = s.metadata.get('quorumlock-leader')[0];
      this.ended = { code: s.code, details: s.details, leader: typeof leader === 'string' ? leader : '' };
      this.wake();
    });
    this.call.on('error', () => undefined);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  send(msg: object): void {
    this.call.write(msg);
  }

  /** Open a new session (or resume `resumeId`, with its owner's secret unless another is given) and wait for `opened`. */
  async open(ttlMs = 5000, resumeId = '', clientName = 'test', sessionSecret = RawSession.secretOf(resumeId)): Promise<NonNullable<Response['opened']>> {
    this.send({ open: { sessionId: resumeId, ttlMs, clientName, sessionSecret } });
    const r = await this.next((x) => x.msg === 'opened');
    const o = r.opened;
    if (o == null) throw new Error('opened without body');
    this.sessionId = o.sessionId;
    if (o.sessionSecret !== '') secrets.set(o.sessionId, o.sessionSecret);
    return o;
  }

  lock(requestId: number, name: string, extra: Record<string, unknown> = {}): void {
    this.send({ lock: { requestId, name, ...extra } });
  }

  release(requestId: number, name: string, token: number): void {
    this.send({ release: { requestId, name, token } });
  }

  keepalive(): number {
    this.seq++;
    this.send({ keepalive: { seq: this.seq } });
    return this.seq;
  }

  /** The first response (already received or future) matching `pred`, removed from the buffer. */
  async next(pred: (r: Response) => boolean, timeoutMs = 10_000): Promise<Response> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.responses.findIndex(pred);
      if (i >= 0) return this.responses.splice(i, 1)[0] as Response;
      if (this.ended) throw new Error(`stream ended (${this.ended.code} ${this.ended.details}) before the expected response; got ${JSON.stringify(this.responses)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; responses so far ${JSON.stringify(this.responses)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  granted(requestId: number, timeoutMs?: number): Promise<NonNullable<Response['granted']>> {
    return this.next((r) => r.msg === 'granted' && r.granted?.requestId === requestId, timeoutMs).then((r) => r.granted as NonNullable<Response['granted']>);
  }

  failed(requestId: number, timeoutMs?: number): Promise<NonNullable<Response['failed']>> {
    return this.next((r) => r.msg === 'failed' && r.failed?.requestId === requestId, timeoutMs).then((r) => r.failed as NonNullable<Response['failed']>);
  }

  /** Wait for the stream to end; returns its status. */
  async waitEnd(timeoutMs = 10_000): Promise<EndStatus> {
    const deadline = Date.now() + timeoutMs;
    while (this.ended === null) {
      if (Date.now() > deadline) throw new Error('stream did not end');
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.ended;
  }

  /** Keep the session alive every `everyMs` until stopped. */
  keepAliveEvery(everyMs: number): () => void {
    const t = setInterval(() => {
      if (this.ended === null) this.keepalive();
    }, everyMs);
    return () => clearInterval(t);
  }

  cancelStream(): void {
    this.call.cancel();
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }
}
