/**
 * Unary calls with leader discovery: UNAVAILABLE with a `quorumlock-leader` trailer goes straight
 * to that address (up to a few hops in a row, so two confused followers cannot bounce a call
 * forever); UNAVAILABLE without one, or a node that does not answer within the per-call deadline,
 * moves on to the next endpoint after a jittered backoff (except that a call marked not idempotent
 * is never repeated after a timeout). When the backoff budget is spent the
 * call rejects with ClusterUnavailableError. Every other status is the server's answer and maps to
 * a typed LockError at once.
 */
import * as grpc from '@grpc/grpc-js';
import { Backoff, type BackoffOptions } from './backoff';
import { type ChannelPool, cleanDetails, errorCodeHint, leaderHint, nextEndpoint } from './channels';
import type { Clock } from './clock';
import { ClusterUnavailableError, errorFromStatus, grpcCodeName, LockCancelledError, type LockError, type RequestContext } from './errors';
import type { Logger } from './logger';
import { sleep } from './sleep';
import type { MethodCodec } from './wire';

/** Most redirects followed back to back before the backoff applies again. */
export const MAX_REDIRECTS_IN_A_ROW = 3;

export interface UnaryCallOptions {
  /** Per-attempt deadline in ms. */
  readonly deadlineMs?: number;
  /** Stops retrying (rejects with LockCancelledError). */
  readonly signal?: AbortSignal;
  /** `false`: any node's answer will do (AdminService.Status). Default true. */
  readonly followRedirect?: boolean;
  /** Try this address first (e.g. a specific node for `status`). */
  readonly target?: string;
  /** One try at `target` (or the first endpoint) only: no redirects, no retries. */
  readonly singleAttempt?: boolean;
  /**
   * `false` for calls that must not run twice (revoke, expire a session, membership changes):
   * a node that took the call and gave no answer within the deadline may still carry it out,
   * so DEADLINE_EXCEEDED is not retried but rejected as an unknown outcome. Refusals (UNAVAILABLE:
   * not the leader, or no connection) are retried either way. Default true.
   */
  readonly idempotent?: boolean;
}

export interface UnaryCallerOptions {
  readonly endpoints: readonly string[];
  readonly pool: ChannelPool;
  readonly backoff: BackoffOptions;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger;
  /** Default per-attempt deadline. */
  readonly deadlineMs: number;
  readonly context: RequestContext;
}

interface Failure {
  readonly code: number;
  readonly message: string;
  readonly leader: string | undefined;
  readonly errorCode: string | undefined;
}

type OnceResult<Res> = { readonly ok: true; readonly value: Res } | { readonly ok: false; readonly failure: Failure };

export class UnaryCaller {
  /** The node that last answered a redirect-following call: the leader, as far as we know. */
  private leader: string | undefined;

  constructor(private readonly o: UnaryCallerOptions) {}

  /** The address that answered last (the leader, for calls that follow redirects). */
  get knownLeader(): string | undefined {
    return this.leader;
  }

  call<Req, Res>(codec: MethodCodec<Req, Res>, request: Req, options: UnaryCallOptions = {}): Promise<Res> {
    return this.retrying(codec.path, (target, deadlineMs) => this.once(codec, request, target, deadlineMs), options);
  }

  /**
   * A server-streaming call, with the same leader discovery and retries, whose messages are
   * collected until the stream ends; a stream that fails part way is started over (the whole
   * stream is the answer). For bounded answers only: everything is held in memory.
   */
  collect<Req, Res>(codec: MethodCodec<Req, Res>, request: Req, options: UnaryCallOptions = {}): Promise<Res[]> {
    return this.retrying(codec.path, (target, deadlineMs) => this.collectOnce(codec, request, target, deadlineMs), options);
  }

  private async retrying<Res>(path: string, attempt: (target: string, deadlineMs: number) => Promise<OnceResult<Res>>, options: UnaryCallOptions): Promise<Res> {
    const backoff = new Backoff(this.o.backoff, () => this.o.clock.now(), this.o.random);
    const follow = options.followRedirect !== false;
    const first = options.target ?? (follow ? this.leader : undefined) ?? this.o.endpoints[0];
    if (first === undefined) throw new Error('invariant: no endpoints');
    let target: string = first;
    let redirects = 0;
    let lastError = '';
    for (;;) {
      if (options.signal?.aborted === true) throw new LockCancelledError(`${path} was cancelled by the caller's signal`);
      const result: OnceResult<Res> = await attempt(target, options.deadlineMs ?? this.o.deadlineMs);
      if (result.ok) {
        if (follow) this.leader = target;
        return result.value;
      }
      const f: Failure = result.failure;
      const retryable = f.code === grpc.status.UNAVAILABLE || f.code === grpc.status.DEADLINE_EXCEEDED;
      if (!retryable) throw this.toError(f);
      if (f.code === grpc.status.DEADLINE_EXCEEDED && options.idempotent === false) {
        throw new ClusterUnavailableError(
          [target],
          follow ? 'leader' : 'node',
          `${path} got no answer within ${options.deadlineMs ?? this.o.deadlineMs} ms, so it may or may not have taken effect; ` +
            'it is not retried because running it twice is not safe: check the outcome before calling again',
          { grpcCode: f.code },
        );
      }
      if (options.singleAttempt === true) {
        throw new ClusterUnavailableError([target], follow ? 'leader' : 'node', `${grpcCodeName(f.code)} ${f.message}`, { grpcCode: f.code });
      }
      lastError = `${target}: ${grpcCodeName(f.code)} ${f.message}`;
      if (this.leader === target) this.leader = undefined;
      if (follow && f.leader !== undefined && f.leader !== target && redirects < MAX_REDIRECTS_IN_A_ROW) {
        this.o.logger.debug({ from: target, to: f.leader, method: path }, 'following the leader hint');
        redirects++;
        target = f.leader;
        continue;
      }
      redirects = 0;
      target = follow && f.leader !== undefined && f.leader !== target ? f.leader : nextEndpoint(this.o.endpoints, target);
      const delay = backoff.next();
      if (delay === undefined) {
        throw new ClusterUnavailableError(
          this.o.endpoints,
          follow ? 'leader' : 'node',
          `gave up after ${Math.round(backoff.elapsedMs())} ms and ${backoff.attempts + 1} attempts; last error: ${lastError}`,
          { grpcCode: f.code },
        );
      }
      this.o.logger.debug({ method: path, next: target, delayMs: delay, error: lastError }, 'retrying');
      await sleep(this.o.clock, delay, options.signal);
    }
  }

  private toError(f: Failure): LockError {
    return errorFromStatus(f.code, f.message, this.o.context, f.errorCode);
  }

  private collectOnce<Req, Res>(codec: MethodCodec<Req, Res>, request: Req, target: string, deadlineMs: number): Promise<OnceResult<Res[]>> {
    return new Promise((resolve) => {
      const client = this.o.pool.get(target);
      const messages: Res[] = [];
      const stream = client.makeServerStreamRequest(codec.path, codec.requestSerialize, codec.responseDeserialize, request, new grpc.Metadata(), {
        deadline: Date.now() + deadlineMs,
      });
      stream.on('data', (m: Res) => messages.push(m));
      stream.on('error', (e: grpc.ServiceError) => {
        resolve({ ok: false, failure: { code: e.code, message: cleanDetails(e.details ?? ''), leader: leaderHint(e.metadata), errorCode: errorCodeHint(e.metadata) } });
      });
      stream.on('end', () => resolve({ ok: true, value: messages }));
    });
  }

  private once<Req, Res>(
    codec: MethodCodec<Req, Res>,
    request: Req,
    target: string,
    deadlineMs: number,
  ): Promise<OnceResult<Res>> {
    return new Promise((resolve) => {
      const client = this.o.pool.get(target);
      client.makeUnaryRequest(
        codec.path,
        codec.requestSerialize,
        codec.responseDeserialize,
        request,
        new grpc.Metadata(),
        { deadline: Date.now() + deadlineMs },
        (err, value) => {
          if (err === null && value !== undefined) return resolve({ ok: true, value });
          const e = err ?? { code: grpc.status.INTERNAL, details: 'empty response', metadata: new grpc.Metadata() };
          resolve({
            ok: false,
            failure: { code: e.code, message: cleanDetails(e.details ?? ''), leader: leaderHint(e.metadata), errorCode: errorCodeHint(e.metadata) },
          });
        },
      );
    });
  }
}
