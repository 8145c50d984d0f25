/**
 * GrpcTransport over real sockets on 127.0.0.1 (port 0): delivery of every message type in order
 * with byte payloads intact; batching of a tick's sends into one envelope (and splitting over
 * maxBatchBytes); the capped send queue and real backpressure from a peer that stops reading;
 * rejection of envelopes from another cluster or for another node; resilience to
 * garbage on the wire (undecodable payloads, invalid messages, invalid protobuf); reconnection
 * after a peer restarts on the same port, with onUnreachable reported; peer management
 * (setPeer/removePeer); and that send never throws. Every transport and raw client is closed in
 * afterEach so Jest exits without open handles.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type { MethodDefinition } from '@grpc/proto-loader';
import { protoDir, raftProto } from '@quorumlock/proto';
import { Packr } from 'msgpackr';

import type { Logger } from '../../src/core/logger';
import type { HeartbeatMessage, Message, NodeId } from '../../src/core/types';
import { GrpcTransport } from '../../src/transport/grpc-transport';
import { laneOf, type Lane } from '../../src/transport/lanes';
import type { GrpcTransportOptions } from '../../src/transport/grpc-transport';

jest.setTimeout(20_000);

const CLUSTER = 'test-cluster';

interface LogRecord {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly obj: Record<string, unknown>;
  readonly msg: string;
}

interface Node {
  readonly id: NodeId;
  readonly transport: GrpcTransport;
  readonly port: number;
  readonly address: string;
  readonly received: Message[];
  readonly unreachable: NodeId[];
  readonly logs: LogRecord[];
}

const transports: GrpcTransport[] = [];
const clients: grpc.Client[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(transports.splice(0).map((t) => t.close()));
});

function captureLogger(logs: LogRecord[]): Logger {
  const at =
    (level: LogRecord['level']) =>
    (obj: object, msg: string): void => {
      logs.push({ level, obj: obj as Record<string, unknown>, msg });
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

async function startNode(
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
function mesh(nodes: readonly Node[]): void {
  for (const a of nodes) for (const b of nodes) if (a !== b) a.transport.setPeer(b.id, b.address);
}

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
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
function failuresExpectedWithin(windowMs: number, backoff: { initialMs: number; maxMs: number }): number {
  let failures = 1; // the first failure comes at once
  let elapsed = 0;
  for (let k = 1; ; k++) {
    elapsed += Math.min(backoff.maxMs, backoff.initialMs * 2 ** (k - 1)) / 2;
    if (elapsed > windowMs) return failures;
    failures++;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function heartbeat(from: NodeId, to: NodeId, commit: number): HeartbeatMessage {
  return { type: 'heartbeat', from, to, term: 1, commit, ctx: '' };
}

/** One message of every type, with byte payloads that exercise empty, small and large data. */
function everyMessageType(from: NodeId, to: NodeId): Message[] {
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
function normalize(value: unknown): unknown {
  if (value instanceof Uint8Array) return { hex: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex') };
  if (Array.isArray(value)) return value.map(normalize);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}

function warnings(node: Node): LogRecord[] {
  return node.logs.filter((r) => r.level === 'warn');
}

// A client that speaks raft.proto directly, to put arbitrary bytes on the wire.
const sendMethod = (() => {
  const pkg = loadSync(raftProto, { keepCase: false, longs: Number, bytes: Buffer, defaults: true, includeDirs: [protoDir] });
  const service = pkg['quorumlock.v1.RaftTransport'] as Record<string, unknown>;
  return service['Send'] as MethodDefinition<RawEnvelope, { error: string }>;
})();

interface RawEnvelope {
  clusterId: string;
  from: string;
  to: string;
  payload: Buffer;
}

/** Writes `envelopes` on one raw stream, half-closes it and resolves with how the server ended it. */
function rawSend(
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

const msgpack = new Packr({ useRecords: false });

describe('delivery', () => {
  test('three transports deliver every message type in order with bytes intact', async () => {
    const nodes = await Promise.all(['a', 'b', 'c'].map((id) => startNode(id)));
    mesh(nodes);
    const [a, b, c] = nodes as [Node, Node, Node];

    const toB = everyMessageType('a', 'b');
    const toC = everyMessageType('a', 'c');
    const fromC = everyMessageType('c', 'b');
    // Interleaved in one call: the transport must split by destination and keep each peer's order.
    const mixed: Message[] = [];
    for (let i = 0; i < toB.length; i++) mixed.push(toB[i]!, toC[i]!);
    a.transport.send(mixed);
    c.transport.send(fromC);

    await waitFor('b to receive from a and c', () => b.received.length === toB.length + fromC.length);
    await waitFor('c to receive from a', () => c.received.length === toC.length);

    // Order holds within each lane (heartbeats and votes may overtake appends, see lanes.ts).
    for (const lane of ['data', 'control'] as Lane[]) {
      const inLane = (ms: readonly Message[]): unknown => normalize(ms.filter((m) => laneOf(m) === lane));
      expect(inLane(b.received.filter((m) => m.from === 'a'))).toEqual(inLane(toB));
      expect(inLane(b.received.filter((m) => m.from === 'c'))).toEqual(inLane(fromC));
      expect(inLane(c.received)).toEqual(inLane(toC));
    }

    const app = b.received.find((m) => m.type === 'app');
    const snap = b.received.find((m) => m.type === 'snap');
    if (app?.type !== 'app' || snap?.type !== 'snap') throw new Error('expected app first and a snap');
    for (const entry of app.entries) expect(entry.data).toBeInstanceOf(Uint8Array);
    expect(snap.data).toBeInstanceOf(Uint8Array);
    expect(Buffer.compare(Buffer.from(snap.data), Buffer.from((toB[9] as typeof snap).data))).toBe(0);

    // And back the other way, over b's own outbound stream.
    b.transport.send([heartbeat('b', 'a', 1)]);
    await waitFor('a to receive from b', () => a.received.length === 1);
    expect(a.received[0]).toEqual(heartbeat('b', 'a', 1));
    for (const node of nodes) {
      expect(node.unreachable).toEqual([]);
      expect(warnings(node)).toEqual([]);
    }
  });

  test('sends made in one tick go out as one envelope and arrive in order', async () => {
    const [a, b] = (await Promise.all([startNode('a'), startNode('b')])) as [Node, Node];
    mesh([a, b]);
    a.transport.send([heartbeat('a', 'b', 0)]);
    await waitFor('the warm-up message', () => b.received.length === 1);

    const sentBefore = a.transport.stats().envelopesSent;
    const receivedBefore = b.transport.stats().envelopesReceived;
    const burst: Message[] = [];
    for (let i = 1; i <= 64; i++) burst.push(heartbeat('a', 'b', i));
    a.transport.send(burst);
    for (let i = 65; i <= 1000; i++) a.transport.send([heartbeat('a', 'b', i)]); // separate calls, same tick

    await waitFor('1000 messages', () => b.received.length === 1001);
    expect(b.received.map((m) => (m.type === 'heartbeat' ? m.commit : -1))).toEqual(
      Array.from({ length: 1001 }, (_, i) => i),
    );
    expect(a.transport.stats().envelopesSent - sentBefore).toBe(1);
    expect(b.transport.stats().envelopesReceived - receivedBefore).toBe(1);
  });

  test('a batch over maxBatchBytes is split into several envelopes, still in order', async () => {
    const [a, b] = (await Promise.all([startNode('a', { maxBatchBytes: 4096 }), startNode('b')])) as [Node, Node];
    mesh([a, b]);
    const messages: Message[] = [];
    for (let i = 0; i < 100; i++) {
      messages.push({
        type: 'app',
        from: 'a',
        to: 'b',
        term: 1,
        index: i,
        logTerm: 1,
        commit: 0,
        entries: [{ term: 1, index: i + 1, type: 'normal', data: new Uint8Array(300).fill(i) }],
      });
    }
    a.transport.send(messages);
    await waitFor('100 app messages', () => b.received.length === 100);
    expect(normalize(b.received)).toEqual(normalize(messages));
    expect(a.transport.stats().envelopesSent).toBeGreaterThan(5);

    // Long strings defeat the size estimate: the encoded batch is found too big and halved.
    const sentBefore = a.transport.stats().envelopesSent;
    const wordy: Message[] = [];
    for (let i = 0; i < 30; i++) wordy.push({ ...heartbeat('a', 'b', i), ctx: `${i}`.padEnd(600, '.') });
    a.transport.send(wordy);
    await waitFor('30 heartbeats', () => b.received.length === 130);
    expect(b.received.slice(100)).toEqual(wordy);
    expect(a.transport.stats().envelopesSent - sentBefore).toBeGreaterThan(3);
  });

  test('heartbeats and votes overtake a backlog of appends to a peer that reads slowly', async () => {
    // b handles each append slowly (as a follower busy applying and fsyncing would): appends pile
    // up behind flow control. A heartbeat sent behind them must not wait for the backlog, or the
    // follower hears nothing for longer than an election timeout (issue 9 §8).
    const [a, b] = (await Promise.all([startNode('a'), startNode('b')])) as [Node, Node];
    mesh([a, b]);
    const appsHandled: number[] = [];
    let appsBeforePreVote = -1;
    b.transport.onMessage((m) => {
      b.received.push(m);
      if (m.type === 'preVote') appsBeforePreVote = appsHandled.length;
      if (m.type !== 'app') return;
      appsHandled.push(m.index);
      const until = performance.now() + 10;
      while (performance.now() < until) {
        // busy: this follower's event loop reads nothing meanwhile
      }
    });
    a.transport.send([heartbeat('a', 'b', 0)]); // both lanes connected before the backlog
    a.transport.send([{ type: 'app', from: 'a', to: 'b', term: 1, index: 0, logTerm: 1, commit: 0, entries: [] }]);
    await waitFor('the warm-up messages', () => b.received.length === 2);

    const APPS = 200;
    const data = new Uint8Array(256 * 1024);
    for (let i = 1; i <= APPS; i++) {
      a.transport.send([{ type: 'app', from: 'a', to: 'b', term: 1, index: i, logTerm: 1, commit: 0, entries: [{ term: 1, index: i + 1, type: 'normal', data }] }]);
    }
    await waitFor('the first appends of the backlog', () => appsHandled.length > 1);
    a.transport.send([heartbeat('a', 'b', 1), { type: 'preVote', from: 'a', to: 'b', term: 2, lastIndex: 1, lastTerm: 1, transfer: false }]);
    await waitFor('the heartbeat and the pre-vote', () => appsBeforePreVote >= 0, 30_000);
    // Ordered by arrival, not timed: behind the backlog on one stream, they could only arrive
    // after all APPS + 1 appends.
    expect(appsBeforePreVote).toBeLessThan(APPS / 2);
    expect(b.received.filter((m) => m.type === 'heartbeat').map((m) => (m.type === 'heartbeat' ? m.commit : -1))).toEqual([0, 1]);
    await waitFor('the whole backlog', () => appsHandled.length === APPS + 1, 60_000);
    expect(appsHandled).toEqual(Array.from({ length: APPS + 1 }, (_, i) => i));
  });

  test('a long queue to a congested stream is encoded one envelope at a time, as the stream drains', async () => {
    // A peer that accepts and never reads: grpc soon stops taking writes. Encoding the whole
    // queue anyway held the leader's loop for 0.5 s with tens of MB queued (issue 9 §8).
    const sockets = new Set<Socket>();
    const blackHole = createServer((socket) => {
      sockets.add(socket);
      socket.pause();
    });
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const { port } = blackHole.address() as AddressInfo;
    try {
      const a = await startNode('a', { peers: { b: `127.0.0.1:${port}` }, maxBatchBytes: 16 * 1024, maxQueueBytes: 64 * 1024 * 1024 });
      const data = new Uint8Array(10 * 1024);
      const MESSAGES = 2000; // about 20 MB, one message per envelope of at most 16 KiB
      const backlog: Message[] = [];
      for (let i = 0; i < MESSAGES; i++) backlog.push({ type: 'app', from: 'a', to: 'b', term: 1, index: i, logTerm: 1, commit: 0, entries: [{ term: 1, index: i + 1, type: 'normal', data }] });
      a.transport.send(backlog); // one turn: one flush of a queue far over maxBatchBytes
      await waitFor('the flush', () => a.transport.stats().envelopesSent > 0);
      await sleep(200);
      const { envelopesSent, messagesSent, messagesDropped } = a.transport.stats();
      expect(messagesDropped).toBe(0);
      // grpc took what fits its buffers (about 1 MB here) before it pushed back; the rest is
      // still queued with us, not encoded.
      expect(envelopesSent).toBeLessThan(MESSAGES / 4);
      expect(messagesSent + (a.transport.queueDepths().get('b') ?? 0)).toBe(MESSAGES);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => blackHole.close(() => resolve()));
    }
  });

  test('the send queue is capped: messages beyond it are dropped, the peer reported once', async () => {
    const [a, b] = (await Promise.all([startNode('a', { maxQueueMessages: 1000 }), startNode('b')])) as [Node, Node];
    mesh([a, b]);
    const messages: Message[] = [];
    for (let i = 0; i < 1200; i++) messages.push(heartbeat('a', 'b', i));
    a.transport.send(messages);

    await waitFor('the first 1000', () => b.received.length === 1000);
    await sleep(50);
    expect(b.received).toEqual(messages.slice(0, 1000));
    expect(a.transport.stats().messagesDropped).toBe(200);
    expect(a.unreachable).toEqual(['b']);
  });

  test('a peer that stops reading: writes wait for drain, the queue stays bounded', async () => {
    // A TCP server that accepts and never reads: HTTP/2 flow control soon stalls the stream.
    const sockets = new Set<Socket>();
    const blackHole = createServer((socket) => {
      sockets.add(socket);
      socket.pause();
    });
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const { port } = blackHole.address() as AddressInfo;
    try {
      const a = await startNode('a', {
        peers: { b: `127.0.0.1:${port}` },
        maxBatchBytes: 16 * 1024,
        maxQueueBytes: 1024 * 1024,
      });
      const data = new Uint8Array(10 * 1024);
      const app = (i: number): Message => ({
        type: 'app',
        from: 'a',
        to: 'b',
        term: 1,
        index: i,
        logTerm: 1,
        commit: 0,
        entries: [{ term: 1, index: i + 1, type: 'normal', data }],
      });
      let i = 0;
      await waitFor('the queue to fill and drop', () => {
        for (let k = 0; k < 20; k++) a.transport.send([app(i++)]);
        return a.transport.stats().messagesDropped > 0;
      });
      const { messagesSent, messagesDropped } = a.transport.stats();
      // What went to grpc is bounded by its buffers, the rest waited in our capped queue.
      expect(messagesSent).toBeLessThan(i - messagesDropped);
      expect(i - messagesDropped - messagesSent).toBeLessThanOrEqual(Math.ceil((1024 * 1024) / (10 * 1024)));
      await waitFor('the overflow report', () => a.unreachable.length > 0);
      expect(a.unreachable).toEqual(['b']);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => blackHole.close(() => resolve()));
    }
  });
});

describe('addressing', () => {
  test('messages from another cluster are rejected, logged with both ids and never delivered', async () => {
    const b = await startNode('b');
    // A slower backoff than the suite's default, so "backs off" (a handful of attempts in the
    // window below) and "spins" (one per 5 ms send, ~80) stay far apart even on a loaded machine.
    const x = await startNode('a', { clusterId: 'other-cluster', peers: { b: b.address }, backoff: { initialMs: 100, maxMs: 1000 } });

    x.transport.send([heartbeat('a', 'b', 1), everyMessageType('a', 'b')[0]!]);

    await waitFor('b to warn about the cluster id', () => warnings(b).length > 0);
    await waitFor('x to see b as unreachable', () => x.unreachable.includes('b'));
    await sleep(100);
    expect(b.received).toEqual([]);
    const warn = warnings(b)[0]!;
    expect(warn.msg).toContain('other-cluster');
    expect(warn.msg).toContain(CLUSTER);
    expect(warn.obj).toMatchObject({ clusterId: 'other-cluster', expectedClusterId: CLUSTER });
    expect(b.transport.stats().messagesReceived).toBe(0);
    // The sender learns why, from the SendResult, but not the id it should have used.
    expect(warnings(x).some((r) => r.msg.includes('rejected') && r.msg.includes('other-cluster'))).toBe(true);
    expect(x.logs.some((r) => JSON.stringify(r).includes(CLUSTER))).toBe(false);

    // A rejected stream counts as a failed attempt: retries back off instead of spinning.
    const started = Date.now();
    while (Date.now() - started < 400) {
      x.transport.send([heartbeat('a', 'b', 2)]);
      await sleep(5);
    }
    expect(x.unreachable.length).toBeLessThan(30);
    expect(b.received).toEqual([]);
  });

  test('a message the handler throws on is logged as rejected; the next one is still delivered', async () => {
    const [a, b] = (await Promise.all([startNode('a'), startNode('b')])) as [Node, Node];
    mesh([a, b]);
    b.transport.onMessage((m) => {
      if (m.type === 'heartbeat' && m.commit === 1) throw new Error('bad input');
      b.received.push(m);
    });
    a.transport.send([heartbeat('a', 'b', 1), heartbeat('a', 'b', 2)]);
    await waitFor('the second heartbeat', () => b.received.length === 1);
    expect(b.received[0]).toMatchObject({ commit: 2 });
    expect(b.transport.stats().messagesRejected).toBe(1);
    expect(b.logs.some((r) => r.level === 'error' && r.msg.includes('rejected heartbeat from a: bad input'))).toBe(true);
    a.transport.send([heartbeat('a', 'b', 3)]);
    await waitFor('the stream to stay open', () => b.received.length === 2);
  });

  test('an envelope addressed to another node id is rejected', async () => {
    const b = await startNode('b');
    // `a` believes node "c" lives at b's address.
    const a = await startNode('a', { peers: { c: b.address } });
    a.transport.send([heartbeat('a', 'c', 1)]);
    await waitFor('a to see c as unreachable', () => a.unreachable.includes('c'));
    expect(b.received).toEqual([]);
    expect(warnings(b)[0]?.msg).toMatch(/node "c".*node "b"/);
  });

  test('sending to an unknown or removed peer, or after close, does not throw', async () => {
    const [a, b] = (await Promise.all([startNode('a'), startNode('b')])) as [Node, Node];
    expect(() => a.transport.send([heartbeat('a', 'nobody', 1)])).not.toThrow();
    expect(a.transport.stats().messagesDropped).toBe(1);

    mesh([a, b]);
    a.transport.send([heartbeat('a', 'b', 1)]);
    await waitFor('delivery before removal', () => b.received.length === 1);
    a.transport.removePeer('b');
    expect(() => a.transport.send([heartbeat('a', 'b', 2)])).not.toThrow();
    await sleep(50);
    expect(b.received).toHaveLength(1);
    expect(a.unreachable).toEqual([]); // a removal is not a failure

    await a.transport.close();
    await a.transport.close(); // idempotent
    expect(() => a.transport.send([heartbeat('a', 'b', 3)])).not.toThrow();
  });

  test('setPeer with a new address moves the stream to the new address', async () => {
    const [a, b1, b2] = (await Promise.all([startNode('a'), startNode('b'), startNode('b')])) as [Node, Node, Node];
    a.transport.setPeer('b', b1.address);
    a.transport.send([heartbeat('a', 'b', 1)]);
    await waitFor('b1 to receive', () => b1.received.length === 1);

    a.transport.setPeer('b', b2.address);
    a.transport.send([heartbeat('a', 'b', 2)]);
    await waitFor('b2 to receive', () => b2.received.length === 1);
    expect(b2.received[0]).toEqual(heartbeat('a', 'b', 2));
    expect(b1.received).toHaveLength(1);
    // The old stream may have held messages in flight, so the core hears about it.
    await waitFor('the move to be reported', () => a.unreachable.includes('b'));
  });
});

describe('failures', () => {
  test('after a peer restarts on the same port, sends get through again', async () => {
    // A slower backoff than the suite's default, so that "one report per backoff period" and "one
    // per send" (a tight loop) stay far apart even on a loaded machine.
    const backoff = { initialMs: 100, maxMs: 1000 };
    const [a, b] = (await Promise.all([startNode('a', { backoff }), startNode('b')])) as [Node, Node];
    mesh([a, b]);
    a.transport.send([heartbeat('a', 'b', 1)]);
    await waitFor('first delivery', () => b.received.length === 1);

    await b.transport.close();
    a.transport.send([heartbeat('a', 'b', 2)]);
    await waitFor('a to see b as unreachable', () => a.unreachable.includes('b'));

    // b stays down for a while; Raft keeps sending heartbeats every few ms meanwhile.
    const downMs = 600;
    const reportsBefore = a.unreachable.length;
    let commit = 100;
    const downSince = performance.now();
    while (performance.now() - downSince < downMs) {
      a.transport.send([heartbeat('a', 'b', commit++)]);
      await sleep(10);
    }
    const window = performance.now() - downSince;
    const reportsWhileDown = a.unreachable.length - reportsBefore;
    const sendsWhileDown = commit - 100;

    const b2 = await startNode('b', { listenAddress: b.address });
    expect(b2.port).toBe(b.port);
    await waitFor('a message to reach the restarted b', () => {
      a.transport.send([heartbeat('a', 'b', commit++)]);
      return b2.received.length > 0;
    });
    // Each failed reconnection reports once, and reconnections wait out a backoff whose ceiling
    // doubles from initialMs (full jitter: on average half the ceiling). Twice the number of
    // failures that fit in the window on average, plus the one in flight, bounds the reports; a
    // tight loop reports about once per send.
    expect(a.unreachable.every((p) => p === 'b')).toBe(true);
    const bound = 2 * failuresExpectedWithin(window, backoff) + 1;
    expect(sendsWhileDown).toBeGreaterThan(3 * bound); // the window really tells the two apart
    expect(reportsWhileDown).toBeLessThanOrEqual(bound);
    // Order holds on the new stream.
    const commits = b2.received.map((m) => (m.type === 'heartbeat' ? m.commit : -1));
    expect(commits).toEqual([...commits].sort((x, y) => x - y));
  });

  test('garbage on the wire is dropped and logged, and the server keeps working', async () => {
    const [a, b] = (await Promise.all([startNode('a'), startNode('b')])) as [Node, Node];
    mesh([a, b]);
    const envelope = (payload: Buffer): RawEnvelope => ({ clusterId: CLUSTER, from: 'x', to: 'b', payload });

    // 0xc1 is the one byte MessagePack never uses.
    const undecodable = await rawSend(b.address, [envelope(Buffer.from([0xc1, 0x00, 0xff])), envelope(msgpack.pack([heartbeat('x', 'b', 1)]))]);
    expect(undecodable).toMatchObject({ error: expect.stringContaining('undecodable') });

    const notAnArray = await rawSend(b.address, [envelope(msgpack.pack({ type: 'heartbeat' }))]);
    expect(notAnArray).toMatchObject({ error: expect.stringContaining('not an array') });

    const badProtobuf = await rawSend(b.address, [envelope(Buffer.alloc(0))], () => Buffer.from([0xff, 0xff, 0xff, 0xff]));
    expect(badProtobuf).toHaveProperty('code'); // a gRPC error status, not a crash

    // Valid MessagePack with invalid messages: only the valid one is delivered.
    const mixed = await rawSend(b.address, [
      envelope(
        msgpack.pack([
          { type: 'bogus', from: 'x', to: 'b', term: 1 },
          { ...heartbeat('x', 'b', 1), term: 1.5 },
          { ...heartbeat('x', 'b', 1), term: -1 },
          { ...heartbeat('x', 'b', 1), term: 2 ** 60 },
          { ...heartbeat('x', 'b', 1), from: 7 },
          { type: 'app', from: 'x', to: 'b', term: 1, index: 0, logTerm: 0, commit: 0, entries: [{ term: 1, index: 1, type: 'normal', data: 'str' }] },
          { type: 'snap', from: 'x', to: 'b', term: 1, meta: { index: 1, term: 1, confState: { voters: [1], learners: [] } }, offset: 0, totalBytes: 1, data: Buffer.from([1]), done: true },
          heartbeat('y', 'b', 1), // claims a sender other than the envelope's
          heartbeat('x', 'z', 1), // addressed to another node
          'not an object',
          heartbeat('x', 'b', 42),
        ]),
      ),
    ]);
    expect(mixed).toEqual({ error: '' });
    expect(b.received).toEqual([heartbeat('x', 'b', 42)]);
    expect(b.transport.stats().messagesRejected).toBe(10);
    expect(warnings(b).length).toBeGreaterThanOrEqual(12);

    // The node is still healthy.
    a.transport.send([heartbeat('a', 'b', 7)]);
    await waitFor('a normal message after the garbage', () => b.received.length === 2);
    expect(b.received[1]).toEqual(heartbeat('a', 'b', 7));
  });

  test('a peer that was never started is reported unreachable, with backoff', async () => {
    const dead = await startNode('b');
    const address = dead.address;
    await dead.transport.close();
    const a = await startNode('a', { peers: { b: address }, backoff: { initialMs: 50, maxMs: 200 } });
    const started = Date.now();
    while (Date.now() - started < 500) {
      a.transport.send([heartbeat('a', 'b', 1)]);
      await sleep(5);
    }
    // ~100 sends over 500 ms, but reports are bounded by the backoff (mean period >= 25 ms).
    expect(a.unreachable.length).toBeGreaterThan(0);
    expect(a.unreachable.length).toBeLessThan(40);
    expect(warnings(a)).toHaveLength(1); // one warning per outage, the rest at debug
  });
});

describe('options', () => {
  test('invalid options are rejected at construction', () => {
    const base = { clusterId: CLUSTER, selfId: 'a', listenAddress: '127.0.0.1:0', peers: {} };
    expect(() => new GrpcTransport({ ...base, clusterId: '' })).toThrow(/clusterId/);
    expect(() => new GrpcTransport({ ...base, peers: { b: '' } })).toThrow(/address of peer b/);
    expect(() => new GrpcTransport({ ...base, maxBatchBytes: 0 })).toThrow(/maxBatchBytes/);
    expect(() => new GrpcTransport({ ...base, backoff: { initialMs: 100, maxMs: 10 } })).toThrow(/backoff.maxMs/);
  });

  test('start rejects when the address is taken', async () => {
    const a = await startNode('a');
    const clash = new GrpcTransport({ clusterId: CLUSTER, selfId: 'b', listenAddress: a.address, peers: {} });
    transports.push(clash);
    const grpcLog = jest.spyOn(console, 'error').mockImplementation(() => undefined); // grpc-js logs bind errors itself
    await expect(clash.start()).rejects.toThrow(/cannot listen/);
    grpcLog.mockRestore();
  });
});
