/**
 * GrpcTransport over real sockets on 127.0.0.1 (port 0), delivery: every message type in order
 * with byte payloads intact; batching of a tick's sends into one envelope (and splitting over
 * maxBatchBytes); the control lane overtaking a backlog; the capped send queue and real
 * backpressure from a peer that stops reading. Addressing, failures and options:
 * grpc-transport-peers.test.ts. Every transport and raw client is closed in afterEach so Jest
 * exits without open handles.
 */
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

import type { Message } from '../../src/core/types';
import { laneOf, type Lane } from '../../src/transport/lanes';
import {
  closeAll,
  everyMessageType,
  heartbeat,
  mesh,
  normalize,
  sleep,
  startNode,
  waitFor,
  warnings,
  type Node,
} from './grpc-transport-helpers';

jest.setTimeout(20_000);

afterEach(closeAll);

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
