import type { Logger } from '../core/logger';
import type { RawNode } from '../core/raw-node';
import type { Entry, NodeId } from '../core/types';
import type { WritableStorage } from '../storage/storage';
import type { MemberDirectory } from './members';
import type { RaftObserver } from './options';
import { packSnapshotEnvelope, type SnapshotEnvelope } from './snapshot-envelope';
import type { StateMachine } from './state-machine';

export interface SnapshotterOptions {
  readonly id: NodeId;
  readonly raw: RawNode;
  readonly storage: WritableStorage;
  readonly stateMachine: Pick<StateMachine, 'snapshot'>;
  readonly members: MemberDirectory;
  readonly observer: RaftObserver;
  readonly logger: Logger;
  /** Snapshot once this many entries, or this many bytes of entry data, were applied since the last one. */
  readonly everyEntries: number;
  readonly everyBytes: number;
  /** Entries kept below a snapshot so slightly slow followers need no snapshot. */
  readonly keepEntries: number;
}

/**
 * When and how a RaftNode snapshots its state machine and compacts its log: once enough was
 * applied since the last snapshot, or when an operator asks (takeSnapshot). Runs between Readies.
 */
export class Snapshotter {
  /** Callers of request(), answered once the snapshot they asked for is durable. */
  private readonly waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private appliedSinceSnapshot = 0;
  private appliedBytesSinceSnapshot = 0;

  constructor(private readonly o: SnapshotterOptions) {}

  /** An entry was applied. */
  counted(e: Entry): void {
    this.appliedSinceSnapshot++;
    this.appliedBytesSinceSnapshot += e.data.byteLength;
  }

  /** A leader's snapshot was installed: it counts as the last one. */
  installed(): void {
    this.appliedSinceSnapshot = 0;
    this.appliedBytesSinceSnapshot = 0;
  }

  /** An operator's request: resolves once the next snapshot is durable. */
  request(): Promise<void> {
    return new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  hasRequests(): boolean {
    return this.waiters.length > 0;
  }

  async maybeSnapshot(): Promise<void> {
    const { o } = this;
    // Only the callers waiting now are answered by this snapshot; later ones get the next.
    const waiters = this.waiters.splice(0);
    let failure: Error | null = null;
    try {
      const due = this.appliedSinceSnapshot >= o.everyEntries || this.appliedBytesSinceSnapshot >= o.everyBytes;
      if (waiters.length === 0 && !due) return;
      const applied = o.raw.applied();
      if (applied <= o.storage.snapshot().meta.index || applied > o.storage.lastIndex()) return;
      const env: SnapshotEnvelope = { members: o.members.toRecord(), app: o.stateMachine.snapshot() };
      const packed = packSnapshotEnvelope(env);
      await o.storage.compact(applied, o.raw.confState(), packed, o.keepEntries);
      this.installed();
      o.observer.snapshotTaken?.(packed.byteLength);
      o.logger.info({ id: o.id, index: applied, bytes: packed.byteLength }, 'snapshot taken, log compacted');
    } catch (e) {
      failure = e instanceof Error ? e : new Error(String(e));
      throw e;
    } finally {
      for (const w of waiters) {
        if (failure === null) w.resolve();
        else w.reject(failure);
      }
    }
  }

  rejectAll(err: Error): void {
    for (const w of this.waiters.splice(0)) w.reject(err);
  }
}
