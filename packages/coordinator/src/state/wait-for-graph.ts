import { quote } from './status';

/** `from` waits for `to`: a request of `from` on `name` cannot be granted while `to` holds what it holds. */
export interface WaitEdge {
  readonly from: string;
  readonly to: string;
  readonly name: string;
}

/**
 * Looks for a path back to `start` through the wait-for graph between sessions, where `start`
 * is about to wait along `firstEdges` and `edgesOf(session)` lists a session's current edges.
 * Depth-first, in the order the edges are given (so the answer is deterministic), visiting each
 * session at most once: O(sessions + edges) reachable from `start`.
 *
 * Returns the cycle's edges in order (the first leaves `start`, the last returns to it), or
 * undefined when the new wait closes no cycle.
 */
export function findCycle(
  start: string,
  firstEdges: readonly WaitEdge[],
  edgesOf: (session: string) => readonly WaitEdge[],
): WaitEdge[] | undefined {
  const visited = new Set<string>([start]);
  const path: WaitEdge[] = [];
  const stack: { edges: readonly WaitEdge[]; next: number }[] = [{ edges: firstEdges, next: 0 }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const edge = frame.edges[frame.next++];
    if (edge === undefined) {
      stack.pop();
      path.pop(); // the edge that led into this frame (none for the first frame)
      continue;
    }
    if (edge.to === start) return [...path, edge];
    if (visited.has(edge.to)) continue;
    visited.add(edge.to);
    path.push(edge);
    stack.push({ edges: edgesOf(edge.to), next: 0 });
  }
  return undefined;
}

/** "deadlock: s1 waits for s2 (on 'b'), s2 waits for s1 (on 'a')" */
export function describeCycle(cycle: readonly WaitEdge[]): string {
  return `deadlock: ${cycle.map((e) => `${e.from} waits for ${e.to} (on ${quote(e.name)})`).join(', ')}`;
}
