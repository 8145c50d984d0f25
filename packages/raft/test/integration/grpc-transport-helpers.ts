/**
 * Nodes, messages and a raw raft.proto client for the GrpcTransport tests: real transports on
 * 127.0.0.1 port 0 with captured logs, closed by {@link closeAll}.
 */
import { randomBytes } from 'node:crypto';

import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type { MethodDefinition } from '@grpc/proto-loader';
import { protoDir, raftProto } from '@quorumlock/proto';
import { Packr } from 'msgpackr';

import type { Logger } from '../../src/core/logger';
import type { HeartbeatMessage, Message, NodeId } from '../../src/core/types';
import { GrpcTransport } from '../../src/transport/grpc-transport';
import type { GrpcTransportOptions } from '../../src/transport/grpc-transport';

export const CLUSTER = 'test-cluster';

export interface LogRecord {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly obj: Record<string, unknown>;
  readonly msg: string;
}

export interface Node {
  readonly id: NodeId;
  readonly transport: GrpcTransport;
  readonly port: number;
  readonly address: string;
  readonly received: Message[];
  readonly unreachable: NodeId[];
  readonly logs: LogRecord[];
}

/** Transports a test started; {@link closeAll} closes them. */
export const transports: GrpcTransport[] = [];
const clients: grpc.Client[] = [];

/** Closes every transport and raw client the test started; each test file runs it in afterEach. */
export async function closeAll(): Promise<void> {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(transports.splice(0).map((t) => t.close()));
}

function captureLogger(logs: LogRecord[]): Logger {
  const at =
    (level: LogRecord['level']) =>
    (obj: object, msg: string): void => {
      logs.push({ level, obj: obj as Record<string, unknown>, msg });
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export async function startNode(
  id: NodeId,
  options: Partial<Omit<GrpcTransportOptions, 'selfId'>> = {},
): Promise<Node> {
  const logs: LogRecord[] = [];
  const transport = new GrpcTransport({
    clusterId: CLUSTER,
    listenAddress: '127.0.0.1:0',
    peers: {},
    logger: captureLogger(logs),
    backoff: { initialMs: 10, maxMs: 100 },
    ...options,
    selfId: id,
  });
  transports.push(transport);
  const received: Message[] = [];
  const unreachable: NodeId[] = [];
  transport.onMessage((m) => received.push(m));
  transport.onUnreachable((peer) => unreachable.push(peer));
  const port = await transport.start();
  return { id, transport, port, address: `127.0.0.1:${port}`, received, unreachable, logs };
}

/** Connects every node to every other one. */
export function mesh(nodes: readonly Node[]): void {
  for (const a of nodes) for (const b of nodes) if (a !== b) a.transport.setPeer(b.id, b.address);
}

export async function waitFor(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * How many failed reconnections fit in `windowMs` when each waits, on average, half of a ceiling
 * that starts at `initialMs` and doubles up to `maxMs` (the transport's full-jitter backoff).
 */
export function failuresExpectedWithin(windowMs: number, backoff: { initialMs: number; maxMs: number }): number {
  let failures = 1; // the first failure comes at once
  let elapsed = 0;
  for (let k = 1; ; k++) {
    elapsed += Math.min(backoff.maxMs, backoff.initialMs * 2 ** (k - 1)) / 2;
    if (elapsed > windowMs) return failures;
    failures++;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function heartbeat(from: NodeId, to: NodeId, commit: number): HeartbeatMessage {
  return { type: 'heartbeat', from, to, term: 1, commit, ctx: '' };
}

/** One message of every type, with byte payloads that exercise empty, small and large data. */
export function everyMessageType(from: NodeId, to: NodeId): Message[] {
  const big = 2 ** 40; // beyond 32 bits: must survive as an exact integer
  return [
    {
      type: 'app',
      from,
      to,
      term: big,
      index: 10,
      logTerm: 2,
      commit: 9,
      entries: [
        { term: big, index: 11, type: 'normal', data: new Uint8Array([0, 1, 2, 254, 255]) },
        { term: big, index: 12, type: 'confChange', data: new Uint8Array(0) },
        { term: big, index: 13, type: 'normal', data: new Uint8Array(randomBytes(70_000)) },
      ],
    },
    { type: 'app', from, to, term: 3, index: 13, logTerm: 3, commit: 13, entries: [] },
    { type: 'appResp', from, to, term: 3, index: 13, reject: true, hintIndex: 7, hintTerm: 2 },
    { type: 'vote', from, to, term: 4, lastIndex: 13, lastTerm: 3, transfer: false },
    { type: 'preVote', from, to, term: 5, lastIndex: 13, lastTerm: 3, transfer: true },
    { type: 'voteResp', from, to, term: 4, reject: false },
    { type: 'preVoteResp', from, to, term: 5, reject: true },
    { type: 'heartbeat', from, to, term: 4, commit: 13, ctx: 'read-ctx-1' },
    { type: 'heartbeatResp', from, to, term: 4, ctx: 'read-ctx-1' },
    {
      type: 'snap',
      from,
      to,
      term: 4,
      meta: { index: 100, term: 4, confState: { voters: ['a', 'b', 'c'], learners: ['d'] } },
      offset: 65_536,
      totalBytes: 200_000,
      data: randomBytes(65_536),
      done: false,
    },
    { type: 'snapResp', from, to, term: 4, snapIndex: 100, nextOffset: 131_072, reject: false, index: 0 },
    { type: 'timeoutNow', from, to, term: 4 },
  ];
}

/** Replaces byte arrays by their hex so that Buffer and Uint8Array compare by content. */
export function normalize(value: unknown): unknown {
  if (value instanceof Uint8Array) return { hex: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex') };
  if (Array.isArray(value)) return value.map(normalize);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}

export function warnings(node: Node): LogRecord[] {
  return node.logs.filter((r) => r.level === 'warn');
}

// A client that speaks raft.proto directly, to put arbitrary bytes on the wire.
const sendMethod = (() => {
  const pkg = loadSync(raftProto, { keepCase: false, longs: Number, bytes: Buffer, defaults: true, includeDirs: [protoDir] });
  const service = pkg['quorumlock.v1.RaftTransport'] as Record<string, unknown>;
  return service['Send'] as MethodDefinition<RawEnvelope, { error: string }>;
})();

export interface RawEnvelope {
  clusterId: string;
  from: string;
  to: string;
  payload: Buffer;
}

/** Writes `envelopes` on one raw stream, half-closes it and resolves with how the server ended it. */
export function rawSend(
  address: string,
  envelopes: readonly RawEnvelope[],
  serialize: (value: RawEnvelope) => Buffer = sendMethod.requestSerialize,
): Promise<{ error: string } | grpc.ServiceError> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  clients.push(client);
  return new Promise((resolve) => {
    const call = client.makeClientStreamRequest<RawEnvelope, { error: string }>(
      sendMethod.path,
      serialize,
      sendMethod.responseDeserialize,
      (err, result) => resolve(err ?? result ?? { error: '<no result>' }),
    );
    call.on('error', () => undefined);
    for (const envelope of envelopes) call.write(envelope);
    call.end();
  });
}

export const msgpack = new Packr({ useRecords: false });
