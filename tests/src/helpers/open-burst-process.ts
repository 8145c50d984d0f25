/**
 * A client process for the open-burst test: opens `total` sessions on ADDRESS, `concurrency` at
 * a time, each on its own Acquire stream (raw lock.proto, no SDK). An open refused with
 * RESOURCE_EXHAUSTED is retried after the server's `quorumlock-retry-after-ms` hint (the
 * retryable push-back); every other end of a stream before `opened` is counted as a failure and
 * not retried. An opened session's stream is then cancelled (the session lives on until its
 * TTL), so at most `concurrency` streams are open at once.
 * Waits for `go` on IPC, then sends one `result` message and exits.
 */
import * as grpc from '@grpc/grpc-js';
import { v1 } from '@quorumlock/coordinator/dist/server/proto';

interface Outcome {
  kind: 'opened' | 'refused' | 'failed' | 'timeout';
  code?: number;
  details?: string;
  retryAfterMs?: number;
}

export interface BurstResult {
  opened: number;
  refusals: number;
  failures: { code: number; details: string }[];
  timeouts: number;
  firstStart: number;
  lastEnd: number;
  maxRetryAfterMs: number;
}

const RETRY_TRAILER = 'quorumlock-retry-after-ms';

function openOnce(client: grpc.Client, ttlMs: number, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const c = client as unknown as { acquire(): grpc.ClientDuplexStream<object, { msg: string }> };
    const call = c.acquire();
    let done = false;
    const finish = (o: Outcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      call.cancel();
      resolve(o);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
    call.on('data', (r: { msg: string }) => {
      if (r.msg === 'opened') finish({ kind: 'opened' });
    });
    call.on('error', () => undefined);
    call.on('status', (s: grpc.StatusObject) => {
      if (s.code === grpc.status.RESOURCE_EXHAUSTED) {
        const hint = Number(s.metadata.get(RETRY_TRAILER)[0] ?? NaN);
        finish({ kind: 'refused', code: s.code, details: s.details, retryAfterMs: Number.isFinite(hint) ? hint : -1 });
        return;
      }
      finish({ kind: 'failed', code: s.code, details: s.details });
    });
    call.write({ open: { sessionId: '', ttlMs, clientName: 'burst' } });
  });
}

async function run(address: string, total: number, concurrency: number, ttlMs: number, timeoutMs: number): Promise<BurstResult> {
  // One channel for every stream of this process, like a real client with many sessions.
  const client = new v1.LockService(address, grpc.credentials.createInsecure());
  const res: BurstResult = { opened: 0, refusals: 0, failures: [], timeouts: 0, firstStart: Date.now(), lastEnd: 0, maxRetryAfterMs: 0 };
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < total) {
      next++;
      for (let attempt = 0; ; attempt++) {
        const o = await openOnce(client, ttlMs, timeoutMs);
        if (o.kind === 'opened') res.opened++;
        else if (o.kind === 'timeout') res.timeouts++;
        else if (o.kind === 'failed') res.failures.push({ code: o.code ?? -1, details: o.details ?? '' });
        if (o.kind !== 'refused') break;
        res.refusals++;
        const hint = o.retryAfterMs ?? -1;
        if (hint < 0) {
          // A refusal without a hint is not the retryable push-back the contract promises.
          res.failures.push({ code: o.code ?? -1, details: `no ${RETRY_TRAILER} trailer: ${o.details ?? ''}` });
          break;
        }
        res.maxRetryAfterMs = Math.max(res.maxRetryAfterMs, hint);
        if (attempt >= 1000) {
          res.failures.push({ code: o.code ?? -1, details: `still refused after ${attempt} retries` });
          break;
        }
        await new Promise((r) => setTimeout(r, hint));
      }
      res.lastEnd = Date.now();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => lane()));
  client.close();
  return res;
}

const [address, total, concurrency, ttl, timeout] = process.argv.slice(2);
if (!address || !total || !concurrency || !ttl || !timeout) {
  process.stderr.write('usage: open-burst-process ADDRESS TOTAL CONCURRENCY TTL_MS OPEN_TIMEOUT_MS\n');
  process.exit(2);
}
process.once('message', () => {
  run(address, Number(total), Number(concurrency), Number(ttl), Number(timeout)).then(
    (r) => process.send?.({ type: 'result', result: r }, () => process.exit(0)),
    (e: unknown) => {
      process.stderr.write(`open-burst-process: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
});
process.send?.({ type: 'ready' });
