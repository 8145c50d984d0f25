/**
 * The receiving side of GrpcTransport: the `Send` handler each peer's stream arrives at. It checks
 * who sent each envelope (the sender identity under mTLS, the cluster and node addressed), decodes
 * it and hands the valid messages to the node, in order.
 */
import * as grpc from '@grpc/grpc-js';

import type { Logger } from '../core/logger';
import type { Message, NodeId } from '../core/types';
import type { TransportCounters } from './grpc-options';
import { decodeMessages } from './message-codec';
import type { Envelope } from './peer-link';
import type { PeerSecurity } from './peer-tls';
import type { SendResult } from './raft-proto';

/** What the inbound side reads of its transport. */
export interface InboundContext {
  readonly clusterId: string;
  readonly selfId: NodeId;
  readonly logger: Logger;
  readonly security: PeerSecurity | undefined;
  readonly counters: TransportCounters;
  /** close() has begun: nothing more is accepted or delivered. */
  isClosed(): boolean;
  /** `id` is a configured peer (the mTLS sender check asks). */
  isPeer(id: NodeId): boolean;
  /** The node's message handler; an exception costs only that message. */
  handleMessage(message: Message): void;
}

/** The `Send` handler of the RaftTransport service over `ctx`. */
export function inboundSendHandler(ctx: InboundContext): grpc.handleClientStreamingCall<Envelope, SendResult> {
  return (call, callback) => {
    let accepted = false;
    let finished = false;
    const finish = (error: string): void => {
      if (finished) return;
      finished = true;
      callback(null, { error });
    };
    call.on('data', (envelope: Envelope) => {
      if (finished || ctx.isClosed()) return;
      ctx.counters.envelopesReceived++;
      const rejection = ctx.security?.checkSender(call, envelope.from, ctx.isPeer(envelope.from)) ?? checkAddress(ctx, envelope);
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
      const error = deliver(ctx, envelope);
      if (error !== null) finish(error);
    });
    call.on('end', () => finish(''));
    call.on('cancelled', () => {
      finished = true;
    });
    call.on('error', (err: Error) => {
      finished = true;
      ctx.logger.debug({ err: err.message }, `inbound raft stream errored: ${err.message}`);
    });
  };
}

/** Returns why the envelope must be rejected (wrong cluster or node), or null. */
function checkAddress(ctx: InboundContext, envelope: Envelope): string | null {
  const { clusterId, from, to } = envelope;
  if (clusterId === ctx.clusterId && to === ctx.selfId) return null;
  const reason =
    `envelope for cluster "${clusterId}" node "${to}" from "${from}" reached ` +
    `cluster "${ctx.clusterId}" node "${ctx.selfId}"`;
  ctx.logger.warn(
    { peer: from, clusterId, expectedClusterId: ctx.clusterId, to, selfId: ctx.selfId },
    `rejecting raft stream: ${reason}`,
  );
  // The answer names only what the sender sent: echoing our cluster id would hand it to
  // anything that can reach this port, and it is all a forged envelope needs.
  const wrong = clusterId !== ctx.clusterId ? `cluster "${clusterId}"` : `node "${to}"`;
  return `rejected: this node is not ${wrong}`;
}

/**
 * Hands the envelope's valid messages to the handler, in order. Returns why the stream must be
 * closed (an undecodable payload), or null; invalid single messages only get dropped.
 */
function deliver(ctx: InboundContext, envelope: Envelope): string | null {
  const from = envelope.from;
  let messages: Message[];
  try {
    messages = decodeMessages(envelope.payload, (reason, position) => {
      ctx.counters.messagesRejected++;
      ctx.logger.warn({ peer: from, position, reason }, `dropping invalid message #${position} from ${from}: ${reason}`);
    });
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    ctx.logger.warn({ peer: from, bytes: envelope.payload.length, err: detail }, `closing raft stream from ${from}: ${detail}`);
    return `undecodable payload from "${from}": ${detail}`;
  }
  for (const message of messages) {
    // The handler may close the transport; nothing is delivered after close() began.
    if (ctx.isClosed()) break;
    if (message.from !== from || message.to !== ctx.selfId) {
      ctx.counters.messagesRejected++;
      ctx.logger.warn(
        { peer: from, type: message.type, messageFrom: message.from, messageTo: message.to },
        `dropping ${message.type} from "${message.from}" to "${message.to}" that arrived in an envelope from "${from}" to "${ctx.selfId}"`,
      );
      continue;
    }
    ctx.counters.messagesReceived++;
    try {
      ctx.handleMessage(message);
    } catch (err) {
      // One bad message must cost only itself: an exception here would escape into grpc-js's
      // event handler and end the process.
      ctx.counters.messagesRejected++;
      const detail = err instanceof Error ? err.message : String(err);
      ctx.logger.error({ peer: from, type: message.type, err: detail }, `rejected ${message.type} from ${from}: ${detail}`);
    }
  }
  return null;
}
