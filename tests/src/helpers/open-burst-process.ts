/**
 * A client process for the open-burst test: opens `total` sessions on ADDRESS, `concurrency` at
 * a time, each on its own Acquire stream (raw lock.proto, no SDK). An open refused with
 * RESOURCE_EXHAUSTED is retried after the server's `quorumlock-retry-after-ms` hint (the
 * retryable push-back); every other end of a stream before `opened` is counted as a failure and
 * not retried. An opened session keeps its stream and keeps alive at a third of its TTL, as the
 * SDK does, so the leader carries all of them while the burst goes on.
 * IPC: `go` starts the burst and answers `result` when every open is answered; `report` answers
 * the same counts later (with sessions lost since); `stop` ends every stream and exits.
 */
import * as grpc from '@grpc/grpc-js';
import { v1 } from '@quorumlock/coordinator/testing';

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
  /** Opened sessions whose stream ended before the test ended it (expired, leader lost...). */
  lost: { code: number; details: string }[];
}

const RETRY_TRAILER = 'quorumlock-retry-after-ms';

interface Opened {
  readonly call: grpc.ClientDuplexStream<object, { msg: string }>;
  ended: boolean;
}

/** Opens one session; an opened session's stream stays open (the caller keeps it alive). */
function openOnce(client: grpc.Client, ttlMs: number, timeoutMs: number, onLost: (s: grpc.StatusObject) => void): Promise<{ o: Outcome; session?: Opened }> {
  return new Promise((resolve) => {
    const c = client as unknown as { acquire(): grpc.ClientDuplexStream<object, { msg: string }> };
    const call = c.acquire();
    const session: Opened = { call, ended: false };
    let done = false;
    const finish = (o: Outcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(o.kind === 'opened' ? { o, session } : { o });
    };
    const timer = setTimeout(() => {
      finish({ kind: 'timeout' });
      call.cancel();
    }, timeoutMs);
    call.on('data', (r: { msg: string }) => {
      if (r.msg === 'opened') finish({ kind: 'opened' });
    });
    call.on('error', () => undefined);
    call.on('status', (s: grpc.StatusObject) => {
      if (done) {
        // An opened session's stream ended before the test ended it: the session was lost.
        if (!session.ended) onLost(s);
        session.ended = true;
        return;
      }
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

const sessions: Opened[] = [];
const keepaliveTimers: NodeJS.Timeout[] = [];
// One channel for every stream of this process, like a real client with many sessions.
let client: grpc.Client | null = null;

async function run(address: string, total: number, concurrency: number, ttlMs: number, timeoutMs: number): Promise<BurstResult> {
  const ch = new v1.LockService(address, grpc.credentials.createInsecure());
  client = ch;
  const res: BurstResult = { opened: 0, refusals: 0, failures: [], timeouts: 0, firstStart: Date.now(), lastEnd: 0, maxRetryAfterMs: 0, lost: [] };
  const onLost = (s: grpc.StatusObject): void => {
    res.lost.push({ code: s.code, details: s.details });
  };
  const keepAlive = (s: Opened): void => {
    // Every session keeps alive at a third of its TTL, phases spread like independent clients.
    let seq = 0;
    const every = Math.floor(ttlMs / 3);
    const first = setTimeout(() => {
      const t = setInterval(() => {
        if (!s.ended) s.call.write({ keepalive: { seq: ++seq } });
      }, every);
      keepaliveTimers.push(t);
    }, Math.floor(Math.random() * every));
    keepaliveTimers.push(first);
  };
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < total) {
      next++;
      for (let attempt = 0; ; attempt++) {
        const { o, session } = await openOnce(ch, ttlMs, timeoutMs, onLost);
        if (session !== undefined) {
          sessions.push(session);
          keepAlive(session);
        }
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
  return res;
}

/** End every session's stream (a half-close: the sessions expire after their TTL) and exit. */
function stop(): void {
  for (const t of keepaliveTimers) clearTimeout(t);
  for (const s of sessions) {
    s.ended = true;
    s.call.end();
  }
  setTimeout(() => {
    client?.close();
    process.exit(0);
  }, 200);
}

const [address, total, concurrency, ttl, timeout] = process.argv.slice(2);
if (!address || !total || !concurrency || !ttl || !timeout) {
  process.stderr.write('usage: open-burst-process ADDRESS TOTAL CONCURRENCY TTL_MS OPEN_TIMEOUT_MS\n');
  process.exit(2);
}
let result: BurstResult | null = null;
process.on('message', (m: string) => {
  if (m === 'report') {
    // Sent after the burst and a quiet period: how many opened sessions were lost meanwhile.
    process.send?.({ type: 'report', result });
    return;
  }
  if (m === 'stop') {
    stop();
    return;
  }
  run(address, Number(total), Number(concurrency), Number(ttl), Number(timeout)).then(
    (r) => {
      result = r;
      process.send?.({ type: 'result', result: r });
    },
    (e: unknown) => {
      process.stderr.write(`open-burst-process: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
});
process.send?.({ type: 'ready' });
