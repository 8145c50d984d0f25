/**
 * A small in-process LockService for the SDK's unit tests (not a coordinator: mutexes, FIFO, no
 * wait timeouts). It models what the client logic depends on: followers answering UNAVAILABLE +
 * `quorumlock-leader`, sessions resumable by id, answers replayed per (session, request id),
 * keepalive acks, and faults: killed streams, lost answers, a silent (black-holed) server.
 */
import * as grpc from '@grpc/grpc-js';
import { grpcStatusOf, type AcquireRequest__Output, type ErrorCode, type OneofUnion } from '@quorumlock/proto';
import { wire, type AcquireResponse } from '../../src/wire';

type Req = OneofUnion<AcquireRequest__Output>;
type Call = grpc.ServerDuplexStream<Req, AcquireResponse>;
interface Sess { id: string; call: Call | undefined; answers: Map<number, AcquireResponse> }
interface Lock { holder: { session: string; token: number; requestId: number } | undefined; queue: { session: string; requestId: number }[]; value: Buffer }

export class StubLockServer {
  readonly received: { session: string; msg: Req }[] = []; // every message, with its session ('' before open)
  readonly sessions = new Map<string, Sess>();
  readonly locks = new Map<string, Lock>();
  leaderHint: string | undefined; // set: a follower that knows this leader
  ackKeepalives = true;
  silent = false; // a black hole: no answers, no acks
  dropAnswers = 0; // process the next N requests but lose their answers (as in a failover)
  busyOpens = 0; // refuse the next N opens as a busy leader does: RESOURCE_EXHAUSTED + quorumlock-retry-after-ms
  busyRetryAfterMs = 100;
  nextToken = 100;
  address = ''; // 127.0.0.1:<port>, set by start()
  private readonly calls = new Set<Call>();
  private readonly server = new grpc.Server();

  static async start(): Promise<StubLockServer> {
    const s = new StubLockServer();
    s.server.addService(wire().lockService, {
      Acquire: (call: Call) => s.acquire(call),
      CheckFence: (c: grpc.ServerUnaryCall<{ name: string; token: number }, unknown>, cb: grpc.sendUnaryData<unknown>) =>
        cb(s.notLeader() ?? null, { current: s.locks.get(c.request.name)?.holder?.token === c.request.token, latestToken: s.nextToken - 1 }),
    });
    const port = await new Promise<number>((ok, fail) => s.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? fail(e) : ok(p))));
    s.address = `127.0.0.1:${port}`;
    return s;
  }

  lock(name: string): Lock {
    const l = this.locks.get(name) ?? { holder: undefined, queue: [], value: Buffer.alloc(0) };
    return this.locks.set(name, l).get(name) as Lock;
  }

  killStreams(details = 'stub: stream killed'): void { // UNAVAILABLE; sessions survive, as on a failover
    for (const c of this.calls) c.emit('error', { code: grpc.status.UNAVAILABLE, details });
    this.calls.clear();
  }

  expire(id: string): void { // forget a session: its holds go, its waits leave the queues
    this.sessions.delete(id);
    for (const [name, l] of this.locks) {
      l.queue = l.queue.filter((w) => w.session !== id);
      if (l.holder?.session === id) this.free(name);
    }
  }

  revoke(name: string, reason = 'revoked by an administrator', errorCode = ''): void { // the holder gets `lost`
    const h = this.lock(name).holder;
    this.sessions.get(h?.session ?? '')?.call?.write({ msg: 'lost', lost: { name, token: h?.token ?? 0, reason, errorCode } });
    this.free(name);
  }

  async stop(): Promise<void> {
    this.killStreams('stub: stopping');
    this.server.forceShutdown();
  }

  private notLeader(): Partial<grpc.StatusObject> | undefined {
    const metadata = new grpc.Metadata();
    metadata.set('quorumlock-leader', this.leaderHint ?? '');
    return this.leaderHint === undefined ? undefined : { code: grpc.status.UNAVAILABLE, details: 'not the leader', metadata };
  }

  private answer(s: Sess, id: number, res: AcquireResponse, record = true): void { // recorded: a resend gets it again
    if (record) s.answers.set(id, res);
    if (this.dropAnswers > 0) this.dropAnswers--;
    else s.call?.write(res);
  }
  private fail(s: Sess, requestId: number, errorCode: ErrorCode, message: string): void {
    this.answer(s, requestId, { msg: 'failed', failed: { requestId, code: grpcStatusOf(errorCode), message, errorCode } });
  }
  private grant(s: Sess, requestId: number, name: string): void {
    const l = this.lock(name);
    l.holder = { session: s.id, token: this.nextToken++, requestId };
    this.answer(s, requestId, { msg: 'granted', granted: { requestId, name, token: l.holder.token, value: l.value } });
  }
  free(name: string): void { // the holder's hold ends; the next waiter gets it
    const l = this.lock(name);
    l.holder = undefined;
    const next = l.queue.shift();
    const s = this.sessions.get(next?.session ?? '');
    if (next !== undefined && s !== undefined) this.grant(s, next.requestId, name);
  }

  private acquire(call: Call): void {
    const redirect = this.notLeader();
    if (redirect !== undefined) return void call.emit('error', redirect);
    this.calls.add(call);
    let s: Sess | undefined;
    call.on('error', () => undefined).on('end', () => this.calls.delete(call));
    call.on('data', (req: Req) => {
      this.received.push({ session: s?.id ?? '', msg: req });
      if (this.silent) return;
      if ('open' in req) {
        if (this.busyOpens > 0) {
          this.busyOpens--;
          const metadata = new grpc.Metadata();
          metadata.set('quorumlock-retry-after-ms', String(this.busyRetryAfterMs));
          return void call.emit('error', { code: grpc.status.RESOURCE_EXHAUSTED, details: 'stub: node busy', metadata });
        }
        const id = req.open.sessionId;
        s = id === '' ? { id: `s${this.received.length}`, call, answers: new Map() } : this.sessions.get(id);
        if (s === undefined) return void call.emit('error', { code: grpc.status.NOT_FOUND, details: `session '${id}' not found` });
        this.sessions.set(s.id, Object.assign(s, { call }));
        const holds = [...this.locks].filter(([, l]) => l.holder?.session === s?.id).map(([name, l]) => ({ name, token: l.holder?.token ?? 0, mode: 'EXCLUSIVE' as const, requestId: l.holder?.requestId ?? 0 }));
        return void call.write({ msg: 'opened', opened: { sessionId: s.id, ttlMs: req.open.ttlMs || 5000, resumed: id !== '', holds, sessionSecret: id === '' ? `stub-secret-${s.id}` : '' } });
      }
      if (s !== undefined) this.handle(s, call, req);
    });
  }

  private handle(s: Sess, call: Call, req: Req): void {
    const notHeld = (id: number, name: string, token: number): boolean =>
      this.lock(name).holder?.token !== token && (this.fail(s, id, 'ERR_NOT_HOLDER', `token ${token} is not a current hold of '${name}'`), true);
    if ('lock' in req) {
      const { requestId: id, name, tryOnly } = req.lock;
      const l = this.lock(name);
      if (s.answers.has(id)) this.answer(s, id, s.answers.get(id) as AcquireResponse, false);
      else if (l.holder === undefined) this.grant(s, id, name);
      else if (tryOnly) this.fail(s, id, 'ERR_LOCK_HELD', `'${name}' is held`);
      else this.answer(s, id, { msg: 'queued', queued: { requestId: id, name, position: l.queue.push({ session: s.id, requestId: id }) } });
    } else if ('release' in req) {
      const { name, token, requestId } = req.release;
      if (notHeld(requestId, name, token)) return;
      this.answer(s, requestId, { msg: 'released', released: { requestId, name, token } });
      this.free(name);
    } else if ('cancel' in req) {
      const id = req.cancel.requestId;
      const l = [...this.locks.values()].find((x) => x.queue.some((w) => w.session === s.id && w.requestId === id));
      if (l !== undefined) l.queue = l.queue.filter((w) => w.session !== s.id || w.requestId !== id);
      if (l !== undefined) this.fail(s, id, 'ERR_CANCELLED', `request ${id} was cancelled`);
    } else if ('put' in req) {
      const { name, token, requestId, value } = req.put;
      if (notHeld(requestId, name, token)) return;
      this.lock(name).value = Buffer.from(value);
      this.answer(s, requestId, { msg: 'valuePut', valuePut: { requestId, name, token } });
    } else if ('keepalive' in req && this.ackKeepalives) {
      call.write({ msg: 'keepaliveAck', keepaliveAck: { seq: req.keepalive.seq, ttlMs: 0 } });
    } else if ('close' in req) {
      this.expire(s.id);
      call.end();
    }
  }
}
