import { decodeConfChange } from '../core/confchange';
import type { Logger } from '../core/logger';
import type { Entry, NodeId } from '../core/types';
import type { Transport } from '../transport/transport';
import type { MemberInfo } from './options';

/**
 * What the shell knows of each member beyond its id: the opaque context it joined with (its
 * addresses), kept in step with the replicated configuration (membership entries, snapshots)
 * and with the transport's peer table.
 */
export class MemberDirectory {
  private readonly members = new Map<NodeId, Record<string, string>>();

  /**
   * `localPeers`: how this node reaches members, from its own configuration. These win over the
   * addresses replicated in membership entries and snapshots, which carry the leader's view.
   */
  constructor(
    private readonly self: NodeId,
    private readonly localPeers: Readonly<Record<NodeId, string>>,
    private readonly transport: Transport,
    private readonly logger: Logger,
  ) {}

  /** Take the members recorded in a snapshot, replacing what was known. */
  load(members: Readonly<Record<NodeId, Record<string, string>>>): void {
    this.members.clear();
    for (const [id, ctx] of Object.entries(members)) this.members.set(id, ctx);
  }

  /** A founding member: its peer address and the extra context it was configured with. */
  addFounder(id: NodeId, peer: string, context: Readonly<Record<string, string>> | undefined): void {
    this.members.set(id, { ...this.members.get(id), ...context, peer });
  }

  /** Apply the local addresses and hand every member's peer address to the transport. */
  connect(): void {
    this.applyLocalAddresses();
    for (const [id, ctx] of this.members) if (id !== this.self && ctx['peer']) this.transport.setPeer(id, ctx['peer']);
  }

  /**
   * How this node reaches a member it was configured with is its own configuration's business
   * (the leader's snapshot carries the leader's view): local addresses win over replicated contexts.
   */
  private applyLocalAddresses(): void {
    for (const [id, addr] of Object.entries(this.localPeers)) {
      const ctx = this.members.get(id);
      if (ctx !== undefined) this.members.set(id, { ...ctx, peer: addr });
    }
  }

  /** A committed membership entry was applied. */
  applyChange(e: Entry): void {
    const cc = decodeConfChange(e.data);
    if (cc.type === 'remove') {
      this.members.delete(cc.node);
      if (cc.node !== this.self) this.transport.removePeer(cc.node);
      this.logger.info({ id: this.self, member: cc.node, index: e.index }, 'member removed');
      return;
    }
    if (cc.context !== '') {
      const ctx = JSON.parse(cc.context) as Record<string, string>;
      const local = this.localPeers[cc.node];
      if (local !== undefined) ctx['peer'] = local;
      this.members.set(cc.node, ctx);
      if (cc.node !== this.self && ctx['peer']) this.transport.setPeer(cc.node, ctx['peer']);
    }
    this.logger.info({ id: this.self, member: cc.node, change: cc.type, index: e.index }, 'membership changed');
  }

  info(id: NodeId, voter: boolean): MemberInfo {
    const ctx = this.members.get(id) ?? {};
    return { id, voter, peerAddress: ctx['peer'] ?? '', context: ctx };
  }

  /** An address from a member's context ('' if unknown). */
  addressOf(id: NodeId, key: string): string {
    if (id === '') return '';
    return this.members.get(id)?.[key] ?? '';
  }

  /** Every member's context, as a snapshot records it. */
  toRecord(): Record<NodeId, Record<string, string>> {
    return Object.fromEntries(this.members);
  }
}
