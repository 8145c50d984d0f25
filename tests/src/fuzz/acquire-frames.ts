/**
 * Fuzz target: random and mutated AcquireRequest frames against a live quorumlock-server. Each
 * case is one Acquire stream: (usually) a valid `open`, then 1..6 frames, each a random but
 * well-formed AcquireRequest (odd values included: unknown enum numbers, huge ids, 600-byte
 * names), such a frame with its bytes mutated, or random bytes. Required of every case:
 * - the stream ends with a clear status (a known code other than UNKNOWN, with details), or
 * - every well-formed request frame sent on an open session gets an answer under its request id
 *   (granted, queued, released, value put, or failed with a code),
 * within a bound; the server process never dies, and a bystander session it serves all along
 * still locks and releases at the end (checked by the caller).
 */
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { v1 } from '@quorumlock/coordinator/testing';

interface MethodDef {
  path: string;
  requestSerialize(v: object): Buffer;
  responseDeserialize(b: Buffer): Resp;
}
interface Resp {
  msg: string;
  opened?: { sessionId: string };
  granted?: { requestId: number };
  queued?: { requestId: number };
  released?: { requestId: number };
  failed?: { requestId: number; code: number; message: string };
  valuePut?: { requestId: number };
}

const acquire = (v1.LockService as unknown as { service: { Acquire: MethodDef } }).service.Acquire;

const rid = fc.oneof({ weight: 8, arbitrary: fc.nat({ max: 5 }) }, { weight: 1, arbitrary: fc.constantFrom(2 ** 32, 2 ** 53 - 1) });
const u64 = fc.oneof({ weight: 8, arbitrary: fc.nat({ max: 20 }) }, { weight: 1, arbitrary: fc.constantFrom(2 ** 32, 2 ** 53 - 1) });
const u32 = fc.oneof({ weight: 8, arbitrary: fc.nat({ max: 4 }) }, { weight: 1, arbitrary: fc.constantFrom(2 ** 31, 2 ** 32 - 1) });
const i32 = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: -2, max: 2 }) }, { weight: 1, arbitrary: fc.constantFrom(-(2 ** 31), 2 ** 31 - 1) });
const name = fc.oneof({ weight: 8, arbitrary: fc.constantFrom('fz/a', 'fz/b', 'fz/c') }, { weight: 1, arbitrary: fc.oneof(fc.constant(''), fc.string({ maxLength: 6 }), fc.constant('n'.repeat(600))) });

type Frame = { kind: 'lock' | 'release' | 'put' | 'cancel'; requestId: number; msg: object } | { kind: 'other'; msg: object };

/** Frames; `unknownEnums` adds lock modes outside the enum (2, 7, 1000), which must be refused with an answer. */
const requestFrame = (unknownEnums: boolean): fc.Arbitrary<Frame> => fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({
        requestId: rid, name, capacity: u32,
        mode: unknownEnums
          ? fc.oneof({ weight: 8, arbitrary: fc.constantFrom<string | number>('EXCLUSIVE', 'SHARED') }, { weight: 1, arbitrary: fc.constantFrom<string | number>(2, 7, 1000) })
          : fc.constantFrom<string | number>('EXCLUSIVE', 'SHARED'),
        waitTimeoutMs: fc.constantFrom(0, 0, 20, 2 ** 32 - 1), tryOnly: fc.boolean(), lockDelayMs: fc.constantFrom(0, 0, 10, 100_000), permits: u32, priority: i32,
      })
      .map((lock) => ({ kind: 'lock' as const, requestId: lock.requestId, msg: { lock } })),
  },
  { weight: 3, arbitrary: fc.record({ requestId: rid, name, token: u64 }).map((release) => ({ kind: 'release' as const, requestId: release.requestId, msg: { release } })) },
  { weight: 2, arbitrary: fc.record({ requestId: rid }).map((cancel) => ({ kind: 'cancel' as const, requestId: cancel.requestId, msg: { cancel } })) },
  {
    weight: 2,
    arbitrary: fc
      .record({ requestId: rid, name, token: u64, value: fc.oneof(fc.uint8Array({ maxLength: 8 }), fc.constant(new Uint8Array(70_000))).map((b) => Buffer.from(b)) })
      .map((put) => ({ kind: 'put' as const, requestId: put.requestId, msg: { put } })),
  },
  { weight: 2, arbitrary: fc.record({ seq: u64 }).map((keepalive) => ({ kind: 'other' as const, msg: { keepalive } })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'other' as const, msg: { close: {} } }) },
  {
    weight: 1,
    arbitrary: fc
      .record({ sessionId: fc.constantFrom('', 'nope', '0123456789abcdef01234567'), ttlMs: fc.constantFrom(0, 1, 1000, 2 ** 32 - 1), clientName: fc.string({ maxLength: 4 }) })
      .map((open) => ({ kind: 'other' as const, msg: { open } })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'other' as const, msg: {} }) },
);

type Mutation = { at: number; how: 'flip' | 'cut' | 'insert'; v: number };
const mutation: fc.Arbitrary<Mutation> = fc.record({ at: fc.nat(), how: fc.constantFrom('flip' as const, 'cut' as const, 'insert' as const), v: fc.nat({ max: 255 }) });

function mutate(b: Buffer, ms: readonly Mutation[]): Buffer {
  let out = Buffer.from(b);
  for (const m of ms) {
    const at = out.length === 0 ? 0 : m.at % out.length;
    if (m.how === 'flip' && out.length > 0) out[at] = (out[at] ?? 0) ^ (1 << (m.v % 8));
    else if (m.how === 'cut') out = out.subarray(0, at);
    else if (m.how === 'insert') out = Buffer.concat([out.subarray(0, at), Buffer.from([m.v]), out.subarray(at)]);
  }
  return out;
}

/** What one case sends after its (optional) valid open. */
export type Sent = { frame: Frame; bytes: Buffer; intact: boolean };

const sent = (unknownEnums: boolean): fc.Arbitrary<Sent> => fc.oneof(
  { weight: 6, arbitrary: requestFrame(unknownEnums).map((frame) => ({ frame, bytes: acquire.requestSerialize(frame.msg), intact: true })) },
  {
    weight: 3,
    arbitrary: fc.tuple(requestFrame(unknownEnums), fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([frame, ms]) => ({ frame, bytes: mutate(acquire.requestSerialize(frame.msg), ms), intact: false })),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((b) => ({ frame: { kind: 'other' as const, msg: {} }, bytes: Buffer.from(b), intact: false })) },
);

const intact = (unknownEnums: boolean): fc.Arbitrary<Sent> => requestFrame(unknownEnums).map((frame) => ({ frame, bytes: acquire.requestSerialize(frame.msg), intact: true }));

/**
 * Half the cases send only well-formed frames: a malformed one ends the stream (grpc-js cannot
 * parse it), after which the answers of the frames before it are not required.
 */
export const cases = (unknownEnums: boolean): fc.Arbitrary<{ open: boolean; frames: Sent[] }> => fc.record({
  open: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  frames: fc.oneof(fc.array(sent(unknownEnums), { minLength: 1, maxLength: 6 }), fc.array(intact(unknownEnums), { minLength: 1, maxLength: 6 })),
});

const KNOWN_CODES = new Set(Object.values(grpc.status).filter((v): v is number => typeof v === 'number'));

/** One well-formed lock frame, for fixed cases. */
export function lockFrame(lock: { requestId: number } & Record<string, unknown>): Sent {
  const msg = { lock };
  return { frame: { kind: 'lock', requestId: lock.requestId, msg }, bytes: acquire.requestSerialize(msg), intact: true };
}

const SESSION_TTL_MS = 60_000;

/** Runs one case on a fresh stream; throws (naming what was missing) when a frame went unanswered. */
export async function runCase(client: grpc.Client, c: { open: boolean; frames: readonly Sent[] }, boundMs: number): Promise<void> {
  if (boundMs >= SESSION_TTL_MS) throw new Error(`the answer bound ${boundMs} ms must be below the session TTL ${SESSION_TTL_MS} ms`);
  const call = client.makeBidiStreamRequest(acquire.path, (b: Buffer) => b, acquire.responseDeserialize, new grpc.Metadata());
  const answered = new Set<number>();
  let opened = false;
  let ended: grpc.StatusObject | null = null;
  let wake: () => void = () => undefined;
  call.on('data', (r: Resp) => {
    if (r.opened) opened = true;
    const id = r.granted?.requestId ?? r.queued?.requestId ?? r.released?.requestId ?? r.failed?.requestId ?? r.valuePut?.requestId;
    if (id !== undefined) answered.add(id);
    wake();
  });
  call.on('error', () => undefined);
  call.on('status', (s: grpc.StatusObject) => {
    ended = s;
    wake();
  });
  const waitFor = async (cond: () => boolean, what: () => string): Promise<void> => {
    const deadline = Date.now() + boundMs;
    while (!cond()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no answer within ${boundMs} ms: ${what()}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  };
  try {
    if (c.open) {
      // A TTL well beyond the answer bound: an expiry must not pass for an answer.
      call.write(acquire.requestSerialize({ open: { sessionId: '', ttlMs: SESSION_TTL_MS, clientName: 'fuzz' } }));
      await waitFor(() => opened || ended !== null, () => 'open');
    }
    const expected = new Set<number>();
    for (const s of c.frames) {
      if (ended !== null) break;
      call.write(s.bytes);
      // A well-formed request on a session that the server opened must be answered by id.
      if (s.intact && opened && s.frame.kind !== 'other') expected.add(s.frame.requestId);
    }
    await waitFor(() => ended !== null || [...expected].every((id) => answered.has(id)), () => `requests ${[...expected].filter((id) => !answered.has(id)).join(', ')} of frames ${JSON.stringify(c.frames.map((f) => f.frame.msg), (_k, v: unknown) => (v instanceof Object && 'type' in v && (v as { type: unknown }).type === 'Buffer' ? '<bytes>' : v))}`);
    const st = ended as grpc.StatusObject | null;
    if (st !== null && st.code !== grpc.status.OK) {
      if (!KNOWN_CODES.has(st.code) || st.code === grpc.status.UNKNOWN || st.details === '') {
        throw new Error(`unclear status ${st.code} '${st.details}'`);
      }
    }
  } finally {
    // Close the session (it would otherwise live a TTL) and half-close the stream: the server
    // ends it. Not cancel: thousands of RST_STREAMs trip HTTP/2's rapid-reset guard, which
    // closes the whole connection.
    if (ended === null) call.write(acquire.requestSerialize({ close: {} }));
    call.end();
  }
}
