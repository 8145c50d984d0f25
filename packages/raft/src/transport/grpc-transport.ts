/**
 * The production {@link Transport}: Raft messages between nodes over `quorumlock.v1.RaftTransport`
 * (raft.proto), one long-lived client-streaming `Send` call per peer, payloads encoded by
 * message-codec.ts.
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

import type { Logger } from '../core/logger';
import { silentLogger } from '../core/logger';
import type { Message, NodeId } from '../core/types';
import { EnvelopeWriter } from './envelope-writer';
import {
  type BackoffOptions,
  CHANNEL_OPTIONS,
  type GrpcTransportOptions,
  type GrpcTransportStats,
  newCounters,
  requireNonEmpty,
  resolveLimits,
  SERVER_OPTIONS,
  TransportError,
} from './grpc-options';
import { inboundSendHandler } from './inbound-streams';
import { estimateMessageBytes } from './message-codec';
import { laneOf, type Lane } from './lanes';
import { PeerLink, type Envelope } from './peer-link';
import type { PeerSecurity } from './peer-tls';
import { loadRaftProto, type RaftProtoDefinition, type SendResult } from './raft-proto';
import type { Transport } from './transport';

// Options, limits and counters: grpc-options.ts; receiving: inbound-streams.ts; batching and
// writing envelopes: envelope-writer.ts.
export { TransportError, type BackoffOptions, type GrpcTransportOptions, type GrpcTransportStats } from './grpc-options';

const INSECURE_CHANNEL = grpc.credentials.createInsecure();

function noop(): void {}

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

  private readonly counters = newCounters();
  private readonly writer: EnvelopeWriter;
  private readonly handleSend: grpc.handleClientStreamingCall<Envelope, SendResult>;

  /** Validates the options (throws on nonsense) and loads raft.proto; opens no socket. */
  constructor(options: GrpcTransportOptions) {
    const limits = resolveLimits(options);
    this.clusterId = options.clusterId;
    this.selfId = options.selfId;
    this.listenAddress = options.listenAddress;
    this.logger = options.logger ?? silentLogger;
    this.maxQueueBytes = limits.maxQueueBytes;
    this.maxQueueMessages = limits.maxQueueMessages;
    this.security = options.security;
    this.services = options.services ?? [];
    this.backoff = limits.backoff;
    this.proto = loadRaftProto();
    const { clusterId, selfId, logger, security, counters } = this;
    this.writer = new EnvelopeWriter({
      clusterId,
      selfId,
      logger,
      counters,
      maxBatchBytes: limits.maxBatchBytes,
      reportUnreachableSoon: (link) => this.reportUnreachableSoon(link),
    });
    this.handleSend = inboundSendHandler({
      clusterId,
      selfId,
      logger,
      security,
      counters,
      isClosed: () => this.closed,
      isPeer: (id) => this.links.has(id),
      handleMessage: (message) => this.messageHandler(message),
    });
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
      this.writer.flush(link);
    }
  };

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
      this.writer.flush(link);
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
}
