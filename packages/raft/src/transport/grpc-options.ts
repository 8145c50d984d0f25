/**
 * GrpcTransport's options, their defaults and validation, its counters, and the gRPC channel and
 * server settings every link and server uses. Pure: nothing here opens a socket.
 */
import type * as grpc from '@grpc/grpc-js';

import type { Logger } from '../core/logger';
import type { NodeId } from '../core/types';
import type { PeerSecurity } from './peer-tls';

/** Reconnection backoff: full jitter, `random(0, min(maxMs, initialMs * 2^(failures-1)))`. */
export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** Options of `GrpcTransport`. */
export interface GrpcTransportOptions {
  /** Every envelope carries it; a peer in another cluster has its streams rejected. */
  readonly clusterId: string;
  /** This node's id: the `from` of what it sends, the only `to` it accepts. */
  readonly selfId: NodeId;
  /** `host:port` the server binds; port 0 picks a free port (see `GrpcTransport.start`). */
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

/** The counters as the transport keeps them. */
export type TransportCounters = { -readonly [K in keyof GrpcTransportStats]: number };

export function newCounters(): TransportCounters {
  return {
    envelopesSent: 0,
    messagesSent: 0,
    messagesDropped: 0,
    envelopesReceived: 0,
    messagesReceived: 0,
    messagesRejected: 0,
    unreachableReports: 0,
  };
}

/** An operational failure of the transport itself (for example, the listen address is in use). */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The gRPC limit on one message; an envelope is one message. */
const MAX_GRPC_MESSAGE_BYTES = 64 * 1024 * 1024;
/** Room for cluster_id, from, to and the protobuf framing around the payload. */
const ENVELOPE_OVERHEAD_BYTES = 64 * 1024;
export const MAX_PAYLOAD_BYTES = MAX_GRPC_MESSAGE_BYTES - ENVELOPE_OVERHEAD_BYTES;

const DEFAULT_MAX_BATCH_BYTES = 4 * 1024 * 1024;
const DEFAULT_MAX_QUEUE_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_QUEUE_MESSAGES = 65_536;
const DEFAULT_BACKOFF: BackoffOptions = Object.freeze({ initialMs: 50, maxMs: 2000 });

// Copied for each client and server: grpc-js keeps the object it is given.
export const CHANNEL_OPTIONS: Readonly<grpc.ChannelOptions> = {
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

export const SERVER_OPTIONS: Readonly<grpc.ServerOptions> = {
  'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_BYTES,
  // Inbound streams from peers that vanished without a FIN would otherwise live forever.
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  // Leave channelz on ('grpc.enable_channelz' unset): in grpc-js 1.14.7 the server only tracks
  // sessions for forceShutdown() when channelz is enabled, so with it off close() would wait for
  // peers' long-lived streams (until their keepalive gives up) instead of cutting them.
};

/** The options' limits, defaults applied and checked. */
export interface TransportLimits {
  readonly maxBatchBytes: number;
  readonly maxQueueBytes: number;
  readonly maxQueueMessages: number;
  readonly backoff: BackoffOptions;
}

/** Checks `options` (throws a TypeError or RangeError naming the bad value) and applies the defaults. */
export function resolveLimits(options: GrpcTransportOptions): TransportLimits {
  requireNonEmpty('clusterId', options.clusterId);
  requireNonEmpty('selfId', options.selfId);
  requireNonEmpty('listenAddress', options.listenAddress);
  const maxBatchBytes = requireInteger('maxBatchBytes', options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES, 1, MAX_PAYLOAD_BYTES);
  const maxQueueBytes = requireInteger('maxQueueBytes', options.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES, 1, Number.MAX_SAFE_INTEGER);
  const maxQueueMessages = requireInteger('maxQueueMessages', options.maxQueueMessages ?? DEFAULT_MAX_QUEUE_MESSAGES, 1, Number.MAX_SAFE_INTEGER);
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  requireInteger('backoff.initialMs', backoff.initialMs, 1, Number.MAX_SAFE_INTEGER);
  requireInteger('backoff.maxMs', backoff.maxMs, backoff.initialMs, Number.MAX_SAFE_INTEGER);
  return { maxBatchBytes, maxQueueBytes, maxQueueMessages, backoff: { initialMs: backoff.initialMs, maxMs: backoff.maxMs } };
}

export function requireNonEmpty(name: string, value: string): void {
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
