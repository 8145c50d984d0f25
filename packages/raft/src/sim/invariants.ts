import type { Entry, NodeId } from '../core/types';

/** A safety property was broken: the run fails with this message and its seed. */
export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

function describe(e: Entry): string {
  const text = e.data.byteLength === 0 ? '<no-op>' : Buffer.from(e.data).toString('utf8');
  return `${e.type}:${text}`;
}

/**
 * Global observers fed by every node of a simulation. Each check is incremental, so running
 * them after every step costs O(work done by the step):
 * - election safety: at most one leader per term;
 * - log matching: two entries with the same (index, term) have the same content and the same
 *   predecessor term, which by induction makes the whole prefixes identical;
 * - state machine safety: no index is applied with two different entries, and replicas that
 *   applied the same index hold the same state;
 * - leader completeness: a new leader's log contains every entry applied anywhere so far.
 */
export class Invariants {
  private readonly leaders = new Map<number, NodeId>();
  private readonly logged = new Map<string, { content: string; prevTerm: number; node: NodeId }>();
  /** index -> entry applied there, and the state hash after applying it. */
  private readonly applied = new Map<number, { term: number; content: string; node: NodeId }>();
  private readonly stateAt = new Map<number, { hash: string; node: NodeId }>();
  maxApplied = 0;
  checks = 0;

  leaderElected(term: number, node: NodeId): void {
    this.checks++;
    const prev = this.leaders.get(term);
    if (prev !== undefined && prev !== node) {
      throw new InvariantViolation(`election safety: both ${prev} and ${node} are leaders of term ${term}`);
    }
    this.leaders.set(term, node);
  }

  /** Node `node` made `e` durable right after an entry of term `prevTerm`. */
  entryPersisted(node: NodeId, e: Entry, prevTerm: number): void {
    this.checks++;
    const key = `${e.index}:${e.term}`;
    const content = describe(e);
    const prev = this.logged.get(key);
    if (prev === undefined) {
      this.logged.set(key, { content, prevTerm, node });
      return;
    }
    if (prev.content !== content || prev.prevTerm !== prevTerm) {
      throw new InvariantViolation(
        `log matching: entry ${e.index} of term ${e.term} is ${prev.content} (after term ${prev.prevTerm}) on ${prev.node} ` +
          `but ${content} (after term ${prevTerm}) on ${node}`,
      );
    }
  }

  entryApplied(node: NodeId, e: Entry, stateHash: string): void {
    this.checks++;
    const content = describe(e);
    const prev = this.applied.get(e.index);
    if (prev === undefined) {
      this.applied.set(e.index, { term: e.term, content, node });
      if (e.index > this.maxApplied) this.maxApplied = e.index;
    } else if (prev.term !== e.term || prev.content !== content) {
      throw new InvariantViolation(
        `state machine safety: index ${e.index} applied as ${prev.content} (term ${prev.term}) on ${prev.node} ` +
          `but as ${content} (term ${e.term}) on ${node}`,
      );
    }
    this.stateReached(node, e.index, stateHash);
  }

  /** After applying (or restoring a snapshot at) `index`, `node` holds state `hash`. */
  stateReached(node: NodeId, index: number, hash: string): void {
    const prev = this.stateAt.get(index);
    if (prev === undefined) {
      this.stateAt.set(index, { hash, node });
    } else if (prev.hash !== hash) {
      throw new InvariantViolation(
        `state machine safety: after index ${index} ${prev.node} holds state ${prev.hash} but ${node} holds ${hash}`,
      );
    }
  }

  /**
   * A node just became leader: every applied entry above its snapshot must be in its log.
   * `termAt(i)` returns the term of its entry at i, or undefined if it has none.
   */
  checkLeaderCompleteness(node: NodeId, term: number, snapshotIndex: number, termAt: (index: number) => number | undefined): void {
    this.checks++;
    for (const [index, a] of this.applied) {
      if (index <= snapshotIndex) continue;
      const t = termAt(index);
      if (t !== a.term) {
        throw new InvariantViolation(
          `leader completeness: ${node}, leader of term ${term}, lacks applied entry ${index} of term ${a.term} ` +
            `(${a.content}, applied on ${a.node}); it has ${t === undefined ? 'nothing' : `term ${t}`} there`,
        );
      }
    }
  }
}
