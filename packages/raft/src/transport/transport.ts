import type { Message, NodeId } from '../core/types';

/**
 * Fire-and-forget delivery of Raft messages between peers. A lost message is never an exception:
 * Raft retries on its own; the transport reports a peer it cannot reach through `onUnreachable`
 * so the core can fall back to probing.
 */
export interface Transport {
  /**
   * Queue messages for delivery; returns at once. Messages to one peer keep their order, except
   * that an implementation may let heartbeats and votes overtake log replication (Raft tolerates
   * any reordering; GrpcTransport does, so that they never wait behind a backlog of appends).
   */
  send(messages: readonly Message[]): void;
  /** Set the handler of messages that arrive for this node (one handler; replaces the last). */
  onMessage(handler: (message: Message) => void): void;
  /** Set the handler called when a peer's link breaks (after messages to it may have been lost). */
  onUnreachable(handler: (peer: NodeId) => void): void;
  /** Add or update the address of a peer (from a membership change). */
  setPeer(id: NodeId, address: string): void;
  /** Forget a removed peer and close its channel. */
  removePeer(id: NodeId): void;
  close(): Promise<void>;
}
