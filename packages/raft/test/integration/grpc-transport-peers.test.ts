/**
 * GrpcTransport over real sockets on 127.0.0.1 (port 0), peers and faults: rejection of envelopes
 * from another cluster or for another node; a handler that throws; resilience to garbage on the
 * wire (undecodable payloads, invalid messages, invalid protobuf); reconnection after a peer
 * restarts on the same port, with onUnreachable reported and backoff; peer management
 * (setPeer/removePeer); that send never throws; and option checks. Every transport and raw
 * client is closed in afterEach so Jest exits without open handles.
 */
import { GrpcTransport } from '../../src/transport/grpc-transport';
import {
  closeAll,
  CLUSTER,
  everyMessageType,
  failuresExpectedWithin,
  heartbeat,
  mesh,
  msgpack,
  rawSend,
  sleep,
  startNode,
  transports,
  waitFor,
  warnings,
  type Node,
  type RawEnvelope,
} from './grpc-transport-helpers';

jest.setTimeout(20_000);

afterEach(closeAll);

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
