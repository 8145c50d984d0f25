import type { NodeId } from './types';

/** Majority arithmetic over a set of voters (etcd-io/raft's quorum package, for one majority). */

/** The smallest majority of n voters. */
export function quorumSize(n: number): number {
  return Math.floor(n / 2) + 1;
}

/** Whether the voters for which `acked` holds form a majority. */
export function hasQuorum(voters: ReadonlySet<NodeId>, acked: (id: NodeId) => boolean): boolean {
  let n = 0;
  for (const id of voters) if (acked(id)) n++;
  return n >= quorumSize(voters.size);
}

/** The highest index stored on a majority of voters, given each voter's match (0 for no voters). */
export function committedIndex(voters: ReadonlySet<NodeId>, matchOf: (id: NodeId) => number): number {
  const matches: number[] = [];
  for (const id of voters) matches.push(matchOf(id));
  if (matches.length === 0) return 0;
  matches.sort((a, b) => b - a);
  return matches[quorumSize(matches.length) - 1] ?? 0;
}

export type VoteResult = 'won' | 'lost' | 'pending';

/** The outcome of an election so far: won with a majority of grants, lost once a majority is out of reach. */
export function voteResult(voters: ReadonlySet<NodeId>, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === true) granted++;
    else if (v === false) rejected++;
  }
  const q = quorumSize(voters.size);
  if (granted >= q) return 'won';
  if (rejected > voters.size - q) return 'lost';
  return 'pending';
}
