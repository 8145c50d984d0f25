import { performance } from 'node:perf_hooks';
import type { Entry } from '../core/types';
import { OutcomeUnknownError } from './errors';

interface Pending<Result> {
  readonly term: number;
  /** performance.now() at propose. */
  readonly at: number;
  readonly resolve: (r: { index: number; result: Result }) => void;
  readonly reject: (e: Error) => void;
}

interface PendingRead {
  readonly resolve: (index: number) => void;
  readonly reject: (e: Error) => void;
}

/**
 * The callers a RaftNode owes an answer: proposals until their entry is applied, read barriers
 * until leadership is confirmed and their read index is applied, and waitApplied callers.
 */
export class Waiters<Result> {
  private readonly proposals = new Map<number, Pending<Result>>();
  private readonly reads = new Map<string, PendingRead>();
  private readonly readsWaitingApply: { index: number; read: PendingRead }[] = [];
  private readonly applyWaiters: { index: number; resolve: () => void }[] = [];

  /** `committed`: a proposal of this node was applied `seconds` after it was proposed. */
  constructor(private readonly committed: (seconds: number) => void) {}

  /** The entry proposed at (index, term): resolves with its result once applied here. */
  proposal(index: number, term: number): Promise<{ index: number; result: Result }> {
    return new Promise((resolve, reject) => {
      this.proposals.set(index, { term, at: performance.now(), resolve, reject });
    });
  }

  /** The read asked with `ctx`: resolves with its read index (see readState). */
  read(ctx: string): Promise<number> {
    return new Promise((resolve, reject) => this.reads.set(ctx, { resolve, reject }));
  }

  /** Resolves once appliedTo reaches `index`. */
  applied(index: number): Promise<void> {
    return new Promise((resolve) => this.applyWaiters.push({ index, resolve }));
  }

  /** Entry `e` was applied with `result`: answer its proposer, if it was proposed here. */
  entryApplied(e: Entry, result: Result | undefined): void {
    const p = this.proposals.get(e.index);
    if (p === undefined) return;
    this.proposals.delete(e.index);
    if (p.term === e.term) {
      this.committed((performance.now() - p.at) / 1000);
      p.resolve({ index: e.index, result: result as Result });
    } else {
      p.reject(new OutcomeUnknownError(`entry ${e.index} was replaced by another leader's entry (term ${e.term}, proposed in ${p.term})`));
    }
  }

  /** Leadership was confirmed for the read `ctx` at `index`; it is answered once that is applied. */
  readState(ctx: string, index: number, applied: number): void {
    const read = this.reads.get(ctx);
    if (read === undefined) return;
    this.reads.delete(ctx);
    if (applied >= index) read.resolve(index);
    else this.readsWaitingApply.push({ index, read });
  }

  /** Everything up to `index` is applied. */
  appliedTo(index: number): void {
    for (let i = this.readsWaitingApply.length - 1; i >= 0; i--) {
      const w = this.readsWaitingApply[i];
      if (w !== undefined && w.index <= index) {
        this.readsWaitingApply.splice(i, 1);
        w.read.resolve(w.index);
      }
    }
    for (let i = this.applyWaiters.length - 1; i >= 0; i--) {
      const w = this.applyWaiters[i];
      if (w !== undefined && w.index <= index) {
        this.applyWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  /** Leadership was lost: nothing proposed or read here can be confirmed any more. */
  rejectInFlight(err: Error): void {
    for (const p of this.proposals.values()) p.reject(err);
    this.proposals.clear();
    for (const r of this.reads.values()) r.reject(err);
    this.reads.clear();
  }

  /** The node stopped: every proposal and read fails (waitApplied callers are left waiting, as before). */
  rejectAll(err: Error): void {
    this.rejectInFlight(err);
    for (const w of this.readsWaitingApply) w.read.reject(err);
    this.readsWaitingApply.length = 0;
  }
}
