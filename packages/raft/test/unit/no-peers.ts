import type { Message, NodeId, Transport } from '../../src';

/** The transport of a one-node cluster: it has no peers, so nothing is ever sent. */
export class NoPeers implements Transport {
  send(_messages: readonly Message[]): void {}
  onMessage(): void {}
  onUnreachable(): void {}
  setPeer(_id: NodeId, _address: string): void {}
  removePeer(_id: NodeId): void {}
  async close(): Promise<void> {}
}
