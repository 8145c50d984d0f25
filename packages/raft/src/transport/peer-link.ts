import type * as grpc from '@grpc/grpc-js';
import type { Envelope__Output } from '@quorumlock/proto';

import type { Message, NodeId } from '../core/types';
import type { Lane } from './lanes';

/** raft.proto's `Envelope`, as proto-loader presents it (camelCase, bytes as Buffer, defaults filled). */
export type Envelope = Envelope__Output;

/**
 * The outbound side of one peer's lane (see lanes.ts) in GrpcTransport. Its lifecycle: idle (no
 * call) → open (a call exists, created on the first send) → on failure, backoff until
 * `backoffUntilMs` → idle again.
 */
export class PeerLink {
  client: grpc.Client | null = null;
  /** The one `Send` stream to this peer. Invariant: non-null exactly when `client` is. */
  call: grpc.ClientWritableStream<Envelope> | null = null;
  /** Messages accepted by `send` and not yet written; reused across flushes. */
  readonly queue: Message[] = [];
  /** Estimated encoded size of `queue`. */
  queuedBytes = 0;
  /** A write returned false: hold the queue until 'drain', so grpc's buffer stays bounded. */
  awaitingDrain = false;
  /** In the transport's dirty list, waiting for the next flush. */
  flushScheduled = false;
  /** A full queue has dropped messages since the last flush (and reported it once). */
  overflowing = false;
  /** Failures since the server last accepted a stream; drives the backoff exponent. */
  failures = 0;
  /** `performance.now()` before which sends to this peer are dropped. */
  backoffUntilMs = 0;
  /** Drops during the current backoff have been logged. */
  backoffDropLogged = false;

  constructor(
    readonly id: NodeId,
    public address: string,
    readonly lane: Lane,
  ) {}
}
