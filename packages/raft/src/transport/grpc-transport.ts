/**
 * The production {@link Transport}: Raft messages between nodes over `quorumlock.v1.RaftTransport`
 * (raft.proto), one long-lived client-streaming `Send` call per peer, payloads encoded by
 * {@link encodeMessages}.
 *
 * Delivery is best effort by design (STYLE.md 6.1): Raft already retransmits everything it needs,
 * so this adapter never retries a message, never blocks the caller and never throws from `send`.
 * What it owes the core is (1) per-peer order (per lane), (2) cheap batching, so that a burst of messages
 * costs one gRPC frame, and (3) an `onUnreachable` report whenever messages may have been lost,
 * so the leader falls back to probing instead of waiting for acknowledgements that will not come.
 * Each peer has two lanes, each its own connection and stream ({@link laneOf}).
 */
import { performance } from 'node:perf_hooks';

import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type { MethodDefinition, ServiceDefinition } from '@grpc/proto-loader';
import { loaderOptions, raftProto, type SendResult__Output } from '@quorumlock/proto';

import type { Logger } from '../core/logger';
import { silentLogger } from '../core/logger';
import type { Message, NodeId } from '../core/types';
import { decodeMessages, encodeMessages, estimateMessageBytes } from './message-codec';
import { laneOf, type Lane } from './lanes';
import { PeerLink, type Envelope } from './peer-link';
import type { PeerSecurity } from './peer-tls';
import type { Transport } from './transport';

/** Reconnection backoff: full jitter, `random(0, min(maxMs, initialMs * 2^(failures-1)))`. */
export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** Options of {@link GrpcTransport}. */
export interface GrpcTransportOptions {
  /** Every envelope carries it; a peer in another cluster has its streams rejected. */
  readonly clusterId: string;
  /** This node's id: the `from` of what it sends, the only `to` it accepts. */
  readonly selfId: NodeId;
  /** `host:port` the server binds; port 0 picks a free port (see {@link GrpcTransport.start}). */
  readonly listenAddress: string;
  /** Peer id to `host:port`. An entry for `selfId` is ignored: a node never sends to itself. */
  readonly peers: Readonly<Record<NodeId, string>>;
  /**
   * pino-compatible; defaults to discarding everything. Messages name the values involved (peer
   * ids, addresses, cluster ids), so a plain-text log line is enough to diagnose a problem.
   */
  readonly logger?: Logger;
  /**
   * Target size of one envelope's payload (default 4 MiB). A flush that encodes larger is split
   * into several envelopes; a single message larger than this still goes out alone, up to the
   * 64 MiB gRPC message limit.
   */
  readonly maxBatchBytes?: number;
  /** Estimated bytes that may wait per peer while its stream is congested (default 64 MiB). */
  readonly maxQueueBytes?: number;
  /** Messages that may wait per peer while its stream is congested (default 65536). */
  readonly maxQueueMessages?: number;
  /** Defaults to `{ initialMs: 50, maxMs: 2000 }`. */
  readonly backoff?: BackoffOptions;
  /** Mutual TLS on both directions and the sender identity check (peer-tls.ts); plaintext without. */
  readonly security?: PeerSecurity | undefined;
  /** More services on the peer port (the coordinator's PeerService); never client traffic. */
  readonly services?: ReadonlyArray<{ readonly service: grpc.ServiceDefinition; readonly handlers: grpc.UntypedServiceImplementation }>;
}

/** Counters since construction, for metrics and benchmarks. */
export interface GrpcTransportStats {
  /** Envelopes written to peer streams (each is one gRPC message). */
  readonly envelopesSent: number;
  /** Messages inside those envelopes. */
  readonly messagesSent: number;
  /** Messages dropped on the sending side: unknown peer, backoff, full queue, too large, closed. */
  readonly messagesDropped: number;
  /** Envelopes that arrived on this node's server, accepted or not. */
  readonly envelopesReceived: number;
  /** Messages handed to the `onMessage` handler. */
  readonly messagesReceived: number;
  /** Received messages that were invalid or misaddressed and so never delivered. */
  readonly messagesRejected: number;
  /** Calls of the `onUnreachable` handler. */
  readonly unreachableReports: number;
}

/** An operational failure of the transport itself (for example, the listen address is in use). */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** raft.proto's `SendResult`: empty `error` when the stream ended normally. */
type SendResult = SendResult__Output;

/** The gRPC limit on one message; an envelope is one message. */
const MAX_GRPC_MESSAGE_BYTES = 64 * 1024 * 1024;
/** Room for cluster_id, from, to and the protobuf framing around the payload. */
const ENVELOPE_OVERHEAD_BYTES = 64 * 1024;
const MAX_PAYLOAD_BYTES = MAX_GRPC_MESSAGE_BYTES - ENVELOPE_OVERHEAD_BYTES;

const DEFAULT_MAX_BATCH_BYTES = 4 * 1024 * 1024;
const DEFAULT_MAX_QUEUE_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_QUEUE_MESSAGES = 65_536;
const DEFAULT_BACKOFF: BackoffOptions = Object.freeze({ initialMs: 50, maxMs: 2000 });

// Copied for each client and server: grpc-js keeps the object it is given.
const CHANNEL_OPTIONS: Readonly<grpc.ChannelOptions> = {
  'grpc.max_send_message_length': MAX_GRPC_MESSAGE_BYTES,
  'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_BYTES,
  // A silently dead peer (partition, frozen process) otherwise holds our writes in TCP buffers
  // until the OS gives up, minutes later. Pings are nearly free on a LAN.
  'grpc.keepalive_time_ms': 5_000,
  'grpc.keepalive_timeout_ms': 5_000,
  // Retries would buffer the stream's messages for replay until the server answers, and replaying
  // Raft messages is pointless: Raft retransmits what still matters itself.
  'grpc.enable_retries': 0,
  // The global pool would let a new client reuse a subchannel of a failed one, with grpc's own
  // (1 s and up) reconnect backoff instead of ours; each link owns its connection instead.
  'grpc.use_local_subchannel_pool': 1,
  'grpc.initial_reconnect_backoff_ms': 50,
  'grpc.max_reconnect_backoff_ms': 2_000,
};

const SERVER_OPTIONS: Readonly<grpc.ServerOptions> = {
  'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_BYTES,
  // Inbound streams from peers that vanished without a FIN would otherwise live forever.
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  // Leave channelz on ('grpc.enable_channelz' unset): in grpc-js 1.14.7 the server only tracks
  // sessions for forceShutdown() when channelz is enabled, so with it off close() would wait for
  // peers' long-lived streams (until their keepalive gives up) instead of cutting them.
};

const INSECURE_CHANNEL = grpc.credentials.createInsecure();

function noop(): void {}

interface RaftProtoDefinition {
  readonly service: ServiceDefinition;
  readonly send: MethodDefinition<Envelope, SendResult>;
}

// Parsed once per process: every transport (and every test) shares the same definition.
let raftProtoDefinition: RaftProtoDefinition | null = null;

function loadRaftProto(): RaftProtoDefinition {
  if (raftProtoDefinition !== null) return raftProtoDefinition;
  const pkg = loadSync(raftProto, { ...loaderOptions, bytes: Buffer, includeDirs: [...loaderOptions.includeDirs] });
  const service = pkg['quorumlock.v1.RaftTransport'];
  const send = service !== undefined && 'Send' in service ? service['Send'] : undefined;
  if (service === undefined || send === undefined || !('requestStream' in send) || !send.requestStream) {
    throw new TransportError(`${raftProto} does not define the client-streaming quorumlock.v1.RaftTransport/Send`);
  }
  raftProtoDefinition = {
    service: service as ServiceDefinition,
    send: send as unknown as MethodDefinition<Envelope, SendResult>,
  };
  return raftProtoDefinition;
}

/**
 * A {@link Transport} over gRPC. Lifecycle: construct, `onMessage`/`onUnreachable`, `start()`,
 * then `send` freely; `close()` once. Sending works before `start()` (only receiving needs the
 * server), and after `close()` every call is a silent no-op.
 *
 * Threading model: everything runs on the Node event loop. Handlers are called synchronously
 * from gRPC callbacks; an exception from the message handler is logged and costs only that
 * message (the sender is untrusted), one from the unreachable handler is a bug and not caught.
 */
export class GrpcTransport implements Transport {
  private readonly clusterId: string;
  private readonly selfId: NodeId;
  private readonly listenAddress: string;
  private readonly logger: Logger;
  private readonly maxBatchBytes: number;
  private readonly maxQueueBytes: number;
  private readonly maxQueueMessages: number;
  private readonly backoff: BackoffOptions;
  private readonly proto: RaftProtoDefinition;
  private readonly security: PeerSecurity | undefined;
  private readonly services: NonNullable<GrpcTransportOptions['services']>;

  private readonly links = new Map<NodeId, PeerLink>();
  private readonly controlLinks = new Map<NodeId, PeerLink>();
  /** Links with queued messages; flushed together by one setImmediate. */
  private dirty: PeerLink[] = [];
  private flushImmediate: NodeJS.Immediate | null = null;

  private messageHandler: (message: Message) => void = noop;
  private unreachableHandler: (peer: NodeId) => void = noop;

  private server: grpc.Server | null = null;
  private startPromise: Promise<number> | null = null;
  private closePromise: Promise<void> | null = null;
  private closed = false;

  private readonly counters = {
    envelopesSent: 0,
    messagesSent: 0,
    messagesDropped: 0,
    envelopesReceived: 0,
    messagesReceived: 0,
    messagesRejected: 0,
    unreachableReports: 0,
  };

  /** Validates the options (throws on nonsense) and loads raft.proto; opens no socket. */
  constructor(options: GrpcTransportOptions) {
    requireNonEmpty('clusterId', options.clusterId);
    requireNonEmpty('selfId', options.selfId);
    requireNonEmpty('listenAddress', options.listenAddress);
    this.clusterId = options.clusterId;
    this.selfId = options.selfId;
    this.listenAddress = options.listenAddress;
    this.logger = options.logger ?? silentLogger;
    this.maxBatchBytes = requireInteger('maxBatchBytes', options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES, 1, MAX_PAYLOAD_BYTES);
    this.maxQueueBytes = requireInteger('maxQueueBytes', options.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES, 1, Number.MAX_SAFE_INTEGER);
    this.maxQueueMessages = requireInteger('maxQueueMessages', options.maxQueueMessages ?? DEFAULT_MAX_QUEUE_MESSAGES, 1, Number.MAX_SAFE_INTEGER);
    this.security = options.security;
    this.services = options.services ?? [];
    const backoff = options.backoff ?? DEFAULT_BACKOFF;
    requireInteger('backoff.initialMs', backoff.initialMs, 1, Number.MAX_SAFE_INTEGER);
    requireInteger('backoff.maxMs', backoff.maxMs, backoff.initialMs, Number.MAX_SAFE_INTEGER);
    this.backoff = { initialMs: backoff.initialMs, maxMs: backoff.maxMs };
    this.proto = loadRaftProto();
    for (const [id, address] of Object.entries(options.peers)) {
      requireNonEmpty(`address of peer ${id}`, address);
      this.setPeer(id, address);
    }
  }

  /**
   * Binds the server to `listenAddress` and resolves the bound port (useful with port 0).
   * Calling it again returns the same promise. Rejects with {@link TransportError} when the
   * address cannot be bound or the transport was closed meanwhile.
   */
  start(): Promise<number> {
    if (this.startPromise !== null) return this.startPromise;
    if (this.closed) return Promise.reject(new TransportError(`transport of ${this.selfId} is closed`));
    const server = new grpc.Server({ ...SERVER_OPTIONS });
    server.addService(this.proto.service, { Send: this.handleSend });
    for (const s of this.services) server.addService(s.service, s.handlers);
    this.server = server;
    this.startPromise = new Promise<number>((resolve, reject) => {
      server.bindAsync(this.listenAddress, this.security?.serverCredentials ?? grpc.ServerCredentials.createInsecure(), (err, port) => {
        if (err !== null) {
          if (this.server === server) this.server = null;
          server.forceShutdown();
          reject(new TransportError(`node ${this.selfId} cannot listen on ${this.listenAddress}: ${err.message}`, { cause: err }));
        } else if (this.closed) {
          reject(new TransportError(`transport of ${this.selfId} was closed while binding ${this.listenAddress}`));
        } else {
          this.logger.info({ selfId: this.selfId, clusterId: this.clusterId, port }, `raft transport listening on port ${port}`);
          resolve(port);
        }
      });
    });
    return this.startPromise;
  }

  /** {@inheritDoc Transport.send} Never throws; undeliverable messages are dropped and counted. */
  send(messages: readonly Message[]): void {
    if (this.closed) {
      this.counters.messagesDropped += messages.length;
      return;
    }
    for (const message of messages) {
      const link = (laneOf(message) === 'control' ? this.controlLinks : this.links).get(message.to);
      if (link === undefined) {
        this.counters.messagesDropped++;
        this.logger.debug({ peer: message.to, type: message.type }, `dropping ${message.type} to unknown peer ${message.to}`);
        continue;
      }
      this.enqueue(link, message);
    }
  }

  /** {@inheritDoc Transport.onMessage} */
  onMessage(handler: (message: Message) => void): void {
    this.messageHandler = handler;
  }

  /** {@inheritDoc Transport.onUnreachable} */
  onUnreachable(handler: (peer: NodeId) => void): void {
    this.unreachableHandler = handler;
  }

  /**
   * {@inheritDoc Transport.setPeer} A changed address closes the old stream (reporting the peer
   * unreachable if one was open, since messages in it may be lost) and forgets any backoff.
   * An empty address is logged and ignored: this runs when a membership change is applied, which
   * must not fail on a bad address.
   */
  setPeer(id: NodeId, address: string): void {
    if (this.closed || id === this.selfId) return;
    if (typeof address !== 'string' || address === '') {
      this.logger.error({ peer: id, address }, `ignoring an empty address for peer ${id}`);
      return;
    }
    this.setLinkAddress(this.links, id, address, 'data');
    this.setLinkAddress(this.controlLinks, id, address, 'control');
  }

  private setLinkAddress(links: Map<NodeId, PeerLink>, id: NodeId, address: string, lane: Lane): void {
    const link = links.get(id);
    if (link === undefined) {
      links.set(id, new PeerLink(id, address, lane));
      return;
    }
    if (link.address === address) return;
    const hadCall = link.call !== null;
    if (lane === 'data') this.logger.info({ peer: id, from: link.address, to: address }, `peer ${id} moved from ${link.address} to ${address}`);
    this.teardown(link);
    link.address = address;
    link.failures = 0;
    link.backoffUntilMs = 0;
    if (hadCall) this.reportUnreachableSoon(link);
  }

  /** {@inheritDoc Transport.removePeer} Queued messages to it are dropped without a report. */
  removePeer(id: NodeId): void {
    for (const links of [this.links, this.controlLinks]) {
      const link = links.get(id);
      if (link === undefined) continue;
      this.teardown(link);
      links.delete(id);
    }
  }

  /** Counters since construction (a copy). */
  stats(): GrpcTransportStats {
    return { ...this.counters };
  }

  /** Messages queued for each peer now (not yet written to its stream), for metrics. */
  queueDepths(): Map<NodeId, number> {
    const depths = new Map<NodeId, number>();
    for (const [id, link] of this.links) depths.set(id, link.queue.length + (this.controlLinks.get(id)?.queue.length ?? 0));
    return depths;
  }

  /**
   * Cancels every outbound stream, closes every channel and shuts the server down (inbound
   * streams are cut, not drained). Idempotent: later calls return the same promise, which
   * resolves once the listening socket is closed, so the port can be bound again.
   */
  close(): Promise<void> {
    this.closePromise ??= this.shutdown();
    return this.closePromise;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    if (this.flushImmediate !== null) {
      clearImmediate(this.flushImmediate);
      this.flushImmediate = null;
    }
    this.dirty = [];
    for (const link of [...this.links.values(), ...this.controlLinks.values()]) this.teardown(link);
    this.links.clear();
    this.controlLinks.clear();
    const server = this.server;
    this.server = null;
    if (server !== null) {
      await new Promise<void>((resolve) => {
        // tryShutdown's callback fires once the listener and all sessions are closed; the
        // forceShutdown right after makes that immediate instead of waiting for peers' streams.
        server.tryShutdown(() => resolve());
        server.forceShutdown();
      });
    }
    this.logger.debug({ selfId: this.selfId }, `raft transport of ${this.selfId} closed`);
  }

  // ---- outbound ----

  private enqueue(link: PeerLink, message: Message): void {
    if (link.call === null) {
      if (link.backoffUntilMs > 0 && performance.now() < link.backoffUntilMs) {
        this.counters.messagesDropped++;
        if (!link.backoffDropLogged) {
          link.backoffDropLogged = true;
          this.logger.debug({ peer: link.id }, `dropping messages to ${link.id} while backing off`);
        }
        return;
      }
      this.connect(link);
      if (link.call === null) {
        this.counters.messagesDropped++;
        return;
      }
    }
    const bytes = estimateMessageBytes(message);
    if (link.queue.length >= this.maxQueueMessages || link.queuedBytes + bytes > this.maxQueueBytes) {
      this.counters.messagesDropped++;
      if (!link.overflowing) {
        link.overflowing = true;
        this.logger.debug(
          { peer: link.id, queuedMessages: link.queue.length, queuedBytes: link.queuedBytes },
          `send queue to ${link.id} is full (${link.queue.length} messages, ~${link.queuedBytes} bytes): dropping`,
        );
        // Dropped appends leave the leader waiting for acknowledgements that will not come.
        this.reportUnreachableSoon(link);
      }
      return;
    }
    link.queue.push(message);
    link.queuedBytes += bytes;
    if (!link.flushScheduled) {
      link.flushScheduled = true;
      this.dirty.push(link);
      // setImmediate rather than a microtask: everything sent in this turn of the event loop,
      // across several Ready batches, shares one envelope per peer.
      this.flushImmediate ??= setImmediate(this.flushDirty);
    }
  }

  private readonly flushDirty = (): void => {
    this.flushImmediate = null;
    const dirty = this.dirty;
    this.dirty = [];
    for (const link of dirty) {
      link.flushScheduled = false;
      this.flush(link);
    }
  };

  /** Writes everything queued for `link` as one envelope (or several if over maxBatchBytes). */
  private flush(link: PeerLink): void {
    const call = link.call;
    if (call === null || link.awaitingDrain || link.queue.length === 0) return;
    const queue = link.queue;
    let consumed = queue.length;
    try {
      if (link.queuedBytes <= this.maxBatchBytes) {
        const payload = encodeMessages(queue);
        if (payload.length <= this.maxBatchBytes) {
          this.write(link, call, payload, queue.length);
        } else {
          this.writeSplit(link, call, queue.slice(), payload);
        }
      } else {
        // A long queue (it built up behind a congested stream) is cut by estimated size first,
        // so that it is not encoded whole and then again at every level of halving. Once the
        // stream pushes back, the rest waits for 'drain': encoding tens of MB in one go held the
        // leader's loop for 0.5 s (issue 9 §8).
        let start = 0;
        let bytes = 0;
        for (let i = 0; i < queue.length && !link.awaitingDrain; i++) {
          const messageBytes = estimateMessageBytes(queue[i] as Message);
          if (i > start && bytes + messageBytes > this.maxBatchBytes) {
            this.writeChunk(link, call, queue.slice(start, i));
            link.queuedBytes -= bytes;
            start = i;
            bytes = 0;
          }
          bytes += messageBytes;
        }
        if (link.awaitingDrain) consumed = start;
        else this.writeChunk(link, call, queue.slice(start));
      }
    } catch (err) {
      // Only a message that msgpack cannot encode (a bug upstream) gets here. This runs from a
      // timer, where a throw would kill the process, so it is logged loudly and the batch lost.
      const detail = err instanceof Error ? err.message : String(err);
      this.counters.messagesDropped += queue.length;
      this.logger.error({ peer: link.id, messages: queue.length, err: detail }, `cannot encode messages to ${link.id}: ${detail}`);
      this.reportUnreachableSoon(link);
      consumed = queue.length;
    }
    if (consumed < queue.length) {
      queue.splice(0, consumed);
    } else {
      queue.length = 0;
      link.queuedBytes = 0;
    }
    link.overflowing = false;
  }

  private writeChunk(link: PeerLink, call: grpc.ClientWritableStream<Envelope>, messages: Message[]): void {
    this.writeSplit(link, call, messages, encodeMessages(messages));
  }

  /** Halves an oversized batch until each part fits, keeping order; `payload` encodes `messages`. */
  private writeSplit(link: PeerLink, call: grpc.ClientWritableStream<Envelope>, messages: Message[], payload: Buffer): void {
    if (payload.length <= this.maxBatchBytes) {
      this.write(link, call, payload, messages.length);
    } else if (messages.length === 1) {
      if (payload.length <= MAX_PAYLOAD_BYTES) {
        this.write(link, call, payload, 1);
      } else {
        this.counters.messagesDropped++;
        const type = messages[0]?.type;
        this.logger.warn(
          { peer: link.id, type, bytes: payload.length, maxBytes: MAX_PAYLOAD_BYTES },
          `dropping a ${String(type)} message of ${payload.length} bytes to ${link.id}: over the ${MAX_PAYLOAD_BYTES}-byte envelope limit`,
        );
      }
    } else {
      const half = messages.length >>> 1;
      const head = messages.slice(0, half);
      const tail = messages.slice(half);
      this.writeSplit(link, call, head, encodeMessages(head));
      this.writeSplit(link, call, tail, encodeMessages(tail));
    }
  }

  private write(link: PeerLink, call: grpc.ClientWritableStream<Envelope>, payload: Buffer, count: number): void {
    if (link.call !== call) {
      this.counters.messagesDropped += count;
      return;
    }
    const envelope: Envelope = { clusterId: this.clusterId, from: this.selfId, to: link.id, payload };
    this.counters.envelopesSent++;
    this.counters.messagesSent += count;
    if (!call.write(envelope)) link.awaitingDrain = true;
  }

  private connect(link: PeerLink): void {
    const { send } = this.proto;
    let client: grpc.Client;
    try {
      client = new grpc.Client(link.address, this.security?.channelCredentials(link.id) ?? INSECURE_CHANNEL, { ...CHANNEL_OPTIONS, ...this.security?.channelOptions });
    } catch (err) {
      // grpc-js throws on a target it cannot parse; send() must not, so treat it as a failed
      // attempt (logged, backed off, reported) until setPeer supplies a usable address.
      this.fail(link, `invalid address: ${err instanceof Error ? err.message : String(err)}`, false, true);
      return;
    }
    const call: grpc.ClientWritableStream<Envelope> = client.makeClientStreamRequest<Envelope, SendResult>(
      send.path,
      send.requestSerialize,
      send.responseDeserialize,
      (err: grpc.ServiceError | null, result?: SendResult) => this.onCallEnded(link, call, err, result),
    );
    // The server sends headers once it has accepted the stream's first envelope: the link
    // works, so the next failure starts the backoff from the beginning again.
    call.on('metadata', () => {
      if (link.call === call) link.failures = 0;
    });
    call.on('drain', () => {
      if (link.call !== call) return;
      link.awaitingDrain = false;
      this.flush(link);
    });
    // The outcome of the call arrives through the callback; this only keeps a stream error
    // from becoming an uncaught 'error' event.
    call.on('error', (err: Error) => {
      this.logger.debug({ peer: link.id, err: err.message }, `stream to ${link.id} errored: ${err.message}`);
    });
    link.client = client;
    link.call = call;
    link.backoffUntilMs = 0;
    link.backoffDropLogged = false;
  }

  private onCallEnded(link: PeerLink, call: grpc.ClientWritableStream<Envelope>, err: grpc.ServiceError | null, result?: SendResult): void {
    // A call we tore down ourselves (close, removePeer, address change) is not a failure.
    if (link.call !== call || this.closed) return;
    if (err !== null) {
      this.fail(link, `${grpc.status[err.code] ?? err.code}: ${err.details}`, false);
    } else if (result !== undefined && result.error !== '') {
      this.fail(link, result.error, true);
    } else {
      this.fail(link, 'the peer ended the stream', false);
    }
  }

  /** Ends the link's stream after a failure: backoff starts, the peer is reported unreachable. */
  private fail(link: PeerLink, reason: string, rejected: boolean, deferReport = false): void {
    const droppedMessages = link.queue.length;
    this.teardown(link);
    link.failures++;
    const ceilingMs = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** Math.min(link.failures - 1, 30));
    const backoffMs = Math.random() * ceilingMs;
    link.backoffUntilMs = performance.now() + backoffMs;
    const fields = {
      peer: link.id,
      lane: link.lane,
      address: link.address,
      reason,
      droppedMessages,
      failures: link.failures,
      backoffMs: Math.round(backoffMs),
    };
    if (rejected) {
      this.logger.warn(fields, `peer ${link.id} at ${link.address} rejected our stream: ${reason}`);
    } else if (link.failures === 1) {
      this.logger.warn(fields, `lost the stream to peer ${link.id} at ${link.address}: ${reason}`);
    } else {
      // While a peer stays down every retry fails; one warning per outage is enough.
      this.logger.debug(fields, `still cannot reach peer ${link.id} at ${link.address}: ${reason}`);
    }
    if (deferReport) {
      this.reportUnreachableSoon(link);
    } else {
      this.counters.unreachableReports++;
      this.unreachableHandler(link.id);
    }
  }

  /** Drops the stream, channel and queue of `link`; the link itself stays. */
  private teardown(link: PeerLink): void {
    const { call, client } = link;
    this.counters.messagesDropped += link.queue.length;
    link.call = null;
    link.client = null;
    link.awaitingDrain = false;
    link.overflowing = false;
    link.queue.length = 0;
    link.queuedBytes = 0;
    call?.cancel();
    client?.close();
  }

  /**
   * Reports from inside `send`/`setPeer` are deferred to a fresh macrotask: the caller is usually
   * the node in the middle of handling a Ready, which must not be re-entered.
   */
  private reportUnreachableSoon(link: PeerLink): void {
    setImmediate(() => {
      if (this.closed || (link.lane === 'control' ? this.controlLinks : this.links).get(link.id) !== link) return;
      this.counters.unreachableReports++;
      this.unreachableHandler(link.id);
    });
  }

  // ---- inbound ----

  private readonly handleSend: grpc.handleClientStreamingCall<Envelope, SendResult> = (call, callback) => {
    let accepted = false;
    let finished = false;
    const finish = (error: string): void => {
      if (finished) return;
      finished = true;
      callback(null, { error });
    };
    call.on('data', (envelope: Envelope) => {
      if (finished || this.closed) return;
      this.counters.envelopesReceived++;
      const rejection = this.security?.checkSender(call, envelope.from, this.links.has(envelope.from)) ?? this.checkAddress(envelope);
      if (rejection !== null) {
        finish(rejection);
        return;
      }
      if (!accepted) {
        // Headers tell the client its stream was accepted, so it resets its backoff; they go out
        // only after the first envelope passed the address check, or a peer from another cluster
        // would reset its backoff on every attempt and retry in a tight loop. They also let
        // grpc-js on the client stop holding written messages for a possible retry.
        accepted = true;
        call.sendMetadata(new grpc.Metadata());
      }
      const error = this.deliver(envelope);
      if (error !== null) finish(error);
    });
    call.on('end', () => finish(''));
    call.on('cancelled', () => {
      finished = true;
    });
    call.on('error', (err: Error) => {
      finished = true;
      this.logger.debug({ err: err.message }, `inbound raft stream errored: ${err.message}`);
    });
  };

  /** Returns why the envelope must be rejected (wrong cluster or node), or null. */
  private checkAddress(envelope: Envelope): string | null {
    const { clusterId, from, to } = envelope;
    if (clusterId === this.clusterId && to === this.selfId) return null;
    const reason =
      `envelope for cluster "${clusterId}" node "${to}" from "${from}" reached ` +
      `cluster "${this.clusterId}" node "${this.selfId}"`;
    this.logger.warn(
      { peer: from, clusterId, expectedClusterId: this.clusterId, to, selfId: this.selfId },
      `rejecting raft stream: ${reason}`,
    );
    // The answer names only what the sender sent: echoing our cluster id would hand it to
    // anything that can reach this port, and it is all a forged envelope needs.
    const wrong = clusterId !== this.clusterId ? `cluster "${clusterId}"` : `node "${to}"`;
    return `rejected: this node is not ${wrong}`;
  }

  /**
   * Hands the envelope's valid messages to the handler, in order. Returns why the stream must be
   * closed (an undecodable payload), or null; invalid single messages only get dropped.
   */
  private deliver(envelope: Envelope): string | null {
    const from = envelope.from;
    let messages: Message[];
    try {
      messages = decodeMessages(envelope.payload, (reason, position) => {
        this.counters.messagesRejected++;
        this.logger.warn({ peer: from, position, reason }, `dropping invalid message #${position} from ${from}: ${reason}`);
      });
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      this.logger.warn({ peer: from, bytes: envelope.payload.length, err: detail }, `closing raft stream from ${from}: ${detail}`);
      return `undecodable payload from "${from}": ${detail}`;
    }
    for (const message of messages) {
      // The handler may close the transport; nothing is delivered after close() began.
      if (this.closed) break;
      if (message.from !== from || message.to !== this.selfId) {
        this.counters.messagesRejected++;
        this.logger.warn(
          { peer: from, type: message.type, messageFrom: message.from, messageTo: message.to },
          `dropping ${message.type} from "${message.from}" to "${message.to}" that arrived in an envelope from "${from}" to "${this.selfId}"`,
        );
        continue;
      }
      this.counters.messagesReceived++;
      try {
        this.messageHandler(message);
      } catch (err) {
        // One bad message must cost only itself: an exception here would escape into grpc-js's
        // event handler and end the process.
        this.counters.messagesRejected++;
        const detail = err instanceof Error ? err.message : String(err);
        this.logger.error({ peer: from, type: message.type, err: detail }, `rejected ${message.type} from ${from}: ${detail}`);
      }
    }
    return null;
  }
}

function requireNonEmpty(name: string, value: string): void {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`GrpcTransport: ${name} must be a non-empty string, got ${JSON.stringify(value)}`);
  }
}

function requireInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`GrpcTransport: ${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}
