/**
 * The connection under a Session: it finds the leader and keeps one `Acquire` stream open to it.
 * It knows nothing of request ids, leases or what a resume means; the session tells it what to
 * send to open a stream and is told what happened (ConnectionHandler).
 *
 * - Opening: the first message is the session's `open{...}`; `opened` answers it. A node that is
 *   not the leader ends the call with UNAVAILABLE (+ `quorumlock-leader` when it knows the
 *   leader): the connection goes straight to the hinted leader, or to the next endpoint after a
 *   full-jitter backoff, until the budget is spent (then ClusterUnavailableError).
 * - RESOURCE_EXHAUSTED with a retry-after hint: the same node again, after the hint.
 * - A stream that ends after it opened is reported as lost, and the next one dialled to the
 *   leader hint or the next endpoint.
 */
import * as grpc from '@grpc/grpc-js';
import { Backoff, type BackoffOptions } from './backoff';
import { type ChannelPool, cleanDetails, errorCodeHint, leaderHint, nextEndpoint, retryAfterHint } from './channels';
import type { Clock } from './clock';
import { ClientClosedError, ClusterUnavailableError, errorFromStatus, grpcCodeName, GrpcCode, type LockError } from './errors';
import type { Logger } from './logger';
import { sleep } from './sleep';
import { MAX_REDIRECTS_IN_A_ROW } from './unary';
import { wire, type AcquireRequest, type AcquireResponse, type SessionOpenedMsg } from './wire';

/** What the connection asks of, and reports to, the session above it. */
export interface ConnectionHandler {
  /** The `open` message for the next stream; `resuming` when it names an existing session. */
  openMessage(): { readonly request: AcquireRequest; readonly resuming: boolean };
  /** Any message arrived on the current stream (before it is handled). */
  received(): void;
  /** `opened` arrived, before the stream counts as open (nothing can be written yet). */
  beforeOpen(opened: SessionOpenedMsg): void;
  /** The stream is open and writable; `openSentAt` is when its `open` was written. */
  opened(opened: SessionOpenedMsg, endpoint: string, openSentAt: number): void;
  /** A message after `opened`. */
  message(res: AcquireResponse): void;
  /** The open stream broke (it is replaced next, unless the connection is closed). */
  streamLost(e: { endpoint: string; code: number; message: string; leader: string | undefined }): void;
  /** A resume was refused because the session no longer exists; true to open a new one now. */
  expired(message: string): boolean;
  /** Connecting stopped with this error (fatal, or the budget spent): fail what waits on it. */
  failAll(error: LockError): void;
  /** After the budget is spent: true to keep trying anyway (a lease still worth saving). */
  keepTrying(): boolean;
}

/** What the connection reports to the application (LockClient turns these into events). */
export interface ConnectionEvents {
  reconnect(e: { attempt: number; delayMs: number; endpoint: string; error: string }): void;
  redirect(e: { from: string; to: string }): void;
  unavailable(e: { error: ClusterUnavailableError }): void;
}

export interface ConnectionOptions {
  readonly endpoints: readonly string[];
  readonly backoff: BackoffOptions;
  /** How long an `open` may go unanswered before the attempt counts as failed. */
  readonly openTimeoutMs: number;
  /** How long `close()` waits for the server to end the stream. */
  readonly closeTimeoutMs: number;
  readonly pool: ChannelPool;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger;
  readonly events: ConnectionEvents;
}

type Phase = 'idle' | 'connecting' | 'open' | 'closed';

type OpenOutcome =
  | { readonly kind: 'opened' }
  | { readonly kind: 'retry'; readonly code: number; readonly message: string; readonly leader: string | undefined; readonly retryAfterMs?: number }
  | { readonly kind: 'expired'; readonly message: string }
  | { readonly kind: 'fatal'; readonly error: LockError };

/** One Acquire call. */
class Attempt {
  opened = false;
  openSentAt = 0;
  finished = false;
  settle: ((o: OpenOutcome) => void) | undefined;
  constructor(
    readonly call: grpc.ClientDuplexStream<AcquireRequest, AcquireResponse>,
    readonly target: string,
    readonly resuming: boolean,
  ) {}
}

/** Statuses that no retry can fix. */
const FATAL_OPEN_CODES: ReadonlySet<number> = new Set([
  GrpcCode.INVALID_ARGUMENT,
  GrpcCode.UNAUTHENTICATED,
  GrpcCode.PERMISSION_DENIED,
  GrpcCode.UNIMPLEMENTED,
]);

export class Connection {
  private phase: Phase = 'idle';
  private current: Attempt | undefined;
  /** Where the next connect loop starts (a leader hint or the next endpoint). */
  private nextTarget: string | undefined;
  /** Aborts sleeps of the connect loop on close. */
  private readonly stop = new AbortController();
  /** Callers of `whenOpen()`: settled on the next open, or when connecting stops. */
  private openWaiters: { resolve: () => void; reject: (err: LockError) => void }[] = [];
  private closedStream: (() => void) | undefined;

  constructor(
    private readonly o: ConnectionOptions,
    private readonly handler: ConnectionHandler,
  ) {}

  get isOpen(): boolean {
    return this.phase === 'open';
  }

  get isClosed(): boolean {
    return this.phase === 'closed';
  }

  /** Address of the open stream, if any. */
  get endpoint(): string | undefined {
    return this.phase === 'open' ? this.current?.target : undefined;
  }

  /**
   * Resolves once a stream is open (connecting if needed); rejects with the error that stopped
   * connecting (ClusterUnavailableError, a fatal open error, ClientClosedError).
   */
  whenOpen(): Promise<void> {
    if (this.phase === 'open') return Promise.resolve();
    if (this.phase === 'closed') return Promise.reject(new ClientClosedError());
    return new Promise((resolve, reject) => {
      this.openWaiters.push({ resolve, reject });
      this.ensureConnecting();
    });
  }

  /** Starts connecting unless a stream is open, being opened, or the connection is closed. */
  ensureConnecting(): void {
    if (this.phase !== 'idle') return;
    this.phase = 'connecting';
    this.connectLoop().catch((err: unknown) => {
      // A bug, not an operational error: surface it loudly but keep the process alive.
      this.o.logger.error({ err }, 'session connect loop crashed');
      this.giveUp(`internal error: ${String(err)}`);
    });
  }

  /** Writes on the open stream; dropped when there is none (the session resends on the next). */
  write(msg: AcquireRequest): void {
    const a = this.current;
    if (a === undefined || a.finished || !a.opened) return;
    try {
      a.call.write(msg);
    } catch (err) {
      // The stream is going away; its 'status' event triggers the resume and the resend.
      this.o.logger.debug({ err }, 'write on a closing stream');
    }
  }

  /** Gives up on the open stream (it went silent) and opens another, as if it had broken. */
  replaceStream(message: string): void {
    const a = this.current;
    if (this.phase !== 'open' || a === undefined) return;
    this.abandon(a);
    this.lost(a, GrpcCode.UNAVAILABLE, message, undefined);
  }

  /**
   * Closes for good: waiters of `whenOpen` are rejected, `cleanup` runs (the session fails its
   * requests and leases), then `close{}` goes out on an open stream (the server releases
   * everything at once) and the server gets up to closeTimeoutMs to end it.
   */
  async close(cleanup: () => void): Promise<void> {
    const attempt = this.phase === 'open' ? this.current : undefined;
    const connecting = this.phase === 'connecting' ? this.current : undefined;
    this.phase = 'closed';
    this.stop.abort();
    this.settleOpenWaiters(new ClientClosedError());
    cleanup();
    if (attempt !== undefined && !attempt.finished) {
      const ended = new Promise<void>((resolve) => {
        this.closedStream = resolve;
      });
      try {
        attempt.call.write({ close: {} });
        attempt.call.end();
      } catch {
        // the stream died meanwhile: the server expires the session after its TTL
      }
      const waited = new AbortController();
      await Promise.race([ended, sleep(this.o.clock, this.o.closeTimeoutMs, waited.signal)]);
      waited.abort();
      if (!attempt.finished) attempt.call.cancel();
    } else if (connecting !== undefined) {
      connecting.call.cancel();
    }
    this.current = undefined;
    this.o.pool.close();
  }

  // ---------------------------------------------------------------- connecting

  private settleOpenWaiters(error?: LockError): void {
    const waiters = this.openWaiters;
    this.openWaiters = [];
    for (const w of waiters) {
      if (error === undefined) w.resolve();
      else w.reject(error);
    }
  }

  private async connectLoop(): Promise<void> {
    const backoff = new Backoff(this.o.backoff, () => this.o.clock.now(), this.o.random);
    let target = this.nextTarget ?? this.o.endpoints[0];
    if (target === undefined) throw new Error('invariant: no endpoints');
    this.nextTarget = undefined;
    const redirects = { inARow: 0 };
    for (;;) {
      if (this.phase !== 'connecting') return;
      const outcome = await this.openStream(target);
      if (this.phase !== 'connecting' && outcome.kind !== 'opened') return;
      switch (outcome.kind) {
        case 'opened':
          return;
        case 'fatal':
          this.handler.failAll(outcome.error);
          this.settleOpenWaiters(outcome.error);
          if (this.phase === 'connecting') this.phase = 'idle';
          return;
        case 'expired':
          if (!this.handler.expired(outcome.message)) {
            this.phase = 'idle';
            return;
          }
          continue; // unsent requests go to a fresh session, on the same node
        case 'retry': {
          const next = await this.retry(outcome, target, backoff, redirects);
          if (next === undefined) return;
          target = next;
        }
      }
    }
  }

  /** After a failed attempt on `target`: where to try next, after any wait; undefined to stop. */
  private async retry(outcome: OpenOutcome & { kind: 'retry' }, target: string, backoff: Backoff, redirects: { inARow: number }): Promise<string | undefined> {
    const lastError = `${target}: ${grpcCodeName(outcome.code)} ${outcome.message}`;
    if (outcome.retryAfterMs !== undefined) {
      // The leader is busy and said when to come back: the same node, after its hint
      // (another node would only redirect here). It still spends the retry budget.
      redirects.inARow = 0;
      if (backoff.next() === undefined) {
        if (!this.budgetSpent(backoff, lastError)) return undefined;
        backoff.reset();
      }
      this.o.events.reconnect({ attempt: backoff.attempts, delayMs: outcome.retryAfterMs, endpoint: target, error: lastError });
      await sleep(this.o.clock, outcome.retryAfterMs, this.stop.signal);
      return target;
    }
    const hint = outcome.leader;
    if (hint !== undefined && hint !== target && redirects.inARow < MAX_REDIRECTS_IN_A_ROW) {
      redirects.inARow++;
      this.o.events.redirect({ from: target, to: hint });
      return hint;
    }
    redirects.inARow = 0;
    const next = hint !== undefined && hint !== target ? hint : nextEndpoint(this.o.endpoints, target);
    let delay = backoff.next();
    if (delay === undefined) {
      if (!this.budgetSpent(backoff, lastError)) return undefined;
      backoff.reset();
      delay = backoff.next() ?? 0;
    }
    this.o.events.reconnect({ attempt: backoff.attempts, delayMs: delay, endpoint: next, error: lastError });
    await sleep(this.o.clock, delay, this.stop.signal);
    return next;
  }

  /**
   * The retry budget is spent: callers get their error. A lease that is still trusted is worth
   * saving, though: true to keep trying until it is lost (its deadline passes without
   * acknowledgements, so this ends).
   */
  private budgetSpent(backoff: Backoff, lastError: string): boolean {
    this.giveUp(`gave up after ${Math.round(backoff.elapsedMs())} ms and ${backoff.attempts + 1} attempts; last error: ${lastError}`);
    if (!this.handler.keepTrying()) return false;
    this.phase = 'connecting';
    return true;
  }

  /** Budget spent: everything in flight fails; the session id is kept so a later call may still resume. */
  private giveUp(detail: string): void {
    const error = new ClusterUnavailableError(this.o.endpoints, 'leader', detail);
    this.o.logger.warn({ detail }, 'cluster unavailable');
    this.handler.failAll(error);
    this.settleOpenWaiters(error);
    if (this.phase === 'connecting') this.phase = 'idle';
    this.o.events.unavailable({ error });
  }

  private openStream(target: string): Promise<OpenOutcome> {
    return new Promise((resolve) => {
      const codec = wire().acquire;
      let call: grpc.ClientDuplexStream<AcquireRequest, AcquireResponse>;
      try {
        call = this.o.pool.get(target).makeBidiStreamRequest(codec.path, codec.requestSerialize, codec.responseDeserialize, new grpc.Metadata());
      } catch (err) {
        resolve({ kind: 'retry', code: GrpcCode.UNAVAILABLE, message: `cannot call ${target}: ${String(err)}`, leader: undefined });
        return;
      }
      const open = this.handler.openMessage();
      const attempt = new Attempt(call, target, open.resuming);
      this.current = attempt;
      const timer = this.o.clock.setTimeout(() => {
        attempt.settle?.({ kind: 'retry', code: GrpcCode.UNAVAILABLE, message: `no answer to open within ${this.o.openTimeoutMs} ms`, leader: undefined });
        this.abandon(attempt);
      }, this.o.openTimeoutMs);
      attempt.settle = (o) => {
        attempt.settle = undefined;
        this.o.clock.clearTimeout(timer);
        resolve(o);
      };
      call.on('data', (res: AcquireResponse) => this.onData(attempt, res));
      call.on('error', () => undefined); // the 'status' event carries the outcome
      call.on('status', (status: grpc.StatusObject) => this.onStatus(attempt, status));
      attempt.openSentAt = this.o.clock.now();
      call.write(open.request);
    });
  }

  /** Drops an attempt we no longer want (timeout, dead stream); its late events are ignored. */
  private abandon(attempt: Attempt): void {
    if (this.current === attempt) this.current = undefined;
    attempt.finished = true;
    attempt.call.cancel();
  }

  // ---------------------------------------------------------------- the stream's events

  private onStatus(attempt: Attempt, status: grpc.StatusObject): void {
    // Deliver the messages still buffered ahead of the status before acting on it.
    const finish = (): void => this.onCallEnded(attempt, status);
    if (attempt.call.readableEnded) finish();
    else {
      let done = false;
      const once = (): void => {
        if (done) return;
        done = true;
        this.o.clock.clearTimeout(fallback);
        finish();
      };
      attempt.call.once('end', once);
      const fallback = this.o.clock.setTimeout(once, 200);
    }
  }

  private onCallEnded(attempt: Attempt, raw: grpc.StatusObject): void {
    const status = { ...raw, details: cleanDetails(raw.details) };
    const wasFinished = attempt.finished;
    attempt.finished = true;
    if (this.phase === 'closed') {
      this.closedStream?.();
      return;
    }
    if (wasFinished || this.current !== attempt) return;
    this.current = undefined;
    const leader = leaderHint(status.metadata);
    if (!attempt.opened) {
      const outcome = this.classify(attempt, status.code, status.details, leader, errorCodeHint(status.metadata));
      const retryAfterMs = status.code === GrpcCode.RESOURCE_EXHAUSTED ? retryAfterHint(status.metadata) : undefined;
      attempt.settle?.(outcome.kind === 'retry' && retryAfterMs !== undefined ? { ...outcome, retryAfterMs } : outcome);
      return;
    }
    this.lost(attempt, status.code, status.details, leader);
  }

  private classify(attempt: Attempt, code: number, message: string, leader: string | undefined, errorCode?: string): OpenOutcome {
    if (attempt.resuming && (code === GrpcCode.NOT_FOUND || errorCode === 'ERR_SESSION_NOT_FOUND' || errorCode === 'ERR_SESSION_EXPIRED')) return { kind: 'expired', message };
    if (FATAL_OPEN_CODES.has(code)) return { kind: 'fatal', error: errorFromStatus(code, message, 'open', errorCode) };
    return { kind: 'retry', code, message: message === '' ? '(no details)' : message, leader };
  }

  private lost(attempt: Attempt, code: number, message: string, leader: string | undefined): void {
    this.handler.streamLost({ endpoint: attempt.target, code, message, leader });
    if (this.phase !== 'open') return;
    this.phase = 'idle';
    this.nextTarget = leader ?? nextEndpoint(this.o.endpoints, attempt.target);
    this.ensureConnecting();
  }

  private onData(attempt: Attempt, res: AcquireResponse): void {
    if (this.current !== attempt || attempt.finished || (this.phase === 'closed' && !attempt.opened)) return;
    this.handler.received();
    if (attempt.opened) {
      this.handler.message(res);
      return;
    }
    if (res.msg === 'opened') {
      this.handler.beforeOpen(res.opened);
      attempt.opened = true;
      this.phase = 'open';
      this.handler.opened(res.opened, attempt.target, attempt.openSentAt);
      attempt.settle?.({ kind: 'opened' });
      this.settleOpenWaiters();
    } else if (res.msg === 'failed') {
      attempt.settle?.(this.classify(attempt, res.failed.code, res.failed.message, undefined, res.failed.errorCode));
      this.abandon(attempt);
    } else this.o.logger.warn({ msg: res.msg }, 'message before opened ignored');
  }
}
