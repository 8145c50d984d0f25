/**
 * The sending side of GrpcTransport once messages are queued on a link: one envelope per flush,
 * cut by size when the queue is long, halved when it encodes too large, held while the stream
 * pushes back. Connecting, failing and backing off stay with the transport.
 */
import type * as grpc from '@grpc/grpc-js';

import type { Logger } from '../core/logger';
import type { Message, NodeId } from '../core/types';
import { MAX_PAYLOAD_BYTES, type TransportCounters } from './grpc-options';
import { encodeMessages, estimateMessageBytes } from './message-codec';
import type { Envelope, PeerLink } from './peer-link';

/** What the writer needs of its transport. */
export interface WriterContext {
  readonly clusterId: string;
  readonly selfId: NodeId;
  readonly maxBatchBytes: number;
  readonly counters: TransportCounters;
  readonly logger: Logger;
  /** A batch to `link` was lost (it could not be encoded). */
  reportUnreachableSoon(link: PeerLink): void;
}

/** Writes the queues of a transport's links to their streams; one per transport. */
export class EnvelopeWriter {
  constructor(private readonly ctx: WriterContext) {}

  /** Writes everything queued for `link` as one envelope (or several if over maxBatchBytes). */
  flush(link: PeerLink): void {
    const call = link.call;
    if (call === null || link.awaitingDrain || link.queue.length === 0) return;
    const queue = link.queue;
    let consumed = queue.length;
    try {
      if (link.queuedBytes <= this.ctx.maxBatchBytes) {
        const payload = encodeMessages(queue);
        if (payload.length <= this.ctx.maxBatchBytes) {
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
          if (i > start && bytes + messageBytes > this.ctx.maxBatchBytes) {
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
      this.ctx.counters.messagesDropped += queue.length;
      this.ctx.logger.error({ peer: link.id, messages: queue.length, err: detail }, `cannot encode messages to ${link.id}: ${detail}`);
      this.ctx.reportUnreachableSoon(link);
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
    if (payload.length <= this.ctx.maxBatchBytes) {
      this.write(link, call, payload, messages.length);
    } else if (messages.length === 1) {
      if (payload.length <= MAX_PAYLOAD_BYTES) {
        this.write(link, call, payload, 1);
      } else {
        this.ctx.counters.messagesDropped++;
        const type = messages[0]?.type;
        this.ctx.logger.warn(
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
      this.ctx.counters.messagesDropped += count;
      return;
    }
    const envelope: Envelope = { clusterId: this.ctx.clusterId, from: this.ctx.selfId, to: link.id, payload };
    this.ctx.counters.envelopesSent++;
    this.ctx.counters.messagesSent += count;
    if (!call.write(envelope)) link.awaitingDrain = true;
  }
}
