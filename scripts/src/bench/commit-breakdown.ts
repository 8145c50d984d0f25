/**
 * Where a commit's time goes, from the servers' own histograms: on the leader, proposing to
 * applying an entry (quorumlock_raft_commit_seconds) and its own synced writes; on the followers,
 * their synced writes (quorumlock_raft_persist_seconds{sync="true"}). Means over a window are the
 * difference of two readings; what a client sees beyond the commit is the gRPC hops and queueing.
 */
import { seriesValue } from './prom-text';

interface SumCount {
  readonly sum: number;
  readonly count: number;
}

export interface CommitTotals {
  readonly commit: SumCount;
  readonly leaderFsync: SumCount;
  readonly followerFsync: SumCount;
}

export interface CommitBreakdown {
  /** Leader: propose → applied (committed by a quorum), mean ms per entry. */
  readonly commitMs: number;
  readonly leaderFsyncMs: number;
  readonly followerFsyncMs: number;
}


function sumCount(texts: readonly string[], name: string, labels = ''): SumCount {
  let sum = 0;
  let count = 0;
  for (const t of texts) {
    sum += seriesValue(t, `${name}_sum`, labels);
    count += seriesValue(t, `${name}_count`, labels);
  }
  return { sum, count };
}

const fetchText = async (address: string): Promise<string> => (await fetch(`http://${address}/metrics`)).text();

/** Cumulative totals now; `leader` and `followers` are metrics addresses (host:port). */
export async function commitTotals(leader: string, followers: readonly string[]): Promise<CommitTotals> {
  const [l, ...fs] = await Promise.all([leader, ...followers].map(fetchText));
  const lt = [l ?? ''];
  return {
    commit: sumCount(lt, 'quorumlock_raft_commit_seconds'),
    leaderFsync: sumCount(lt, 'quorumlock_raft_persist_seconds', '{sync="true"}'),
    followerFsync: sumCount(fs, 'quorumlock_raft_persist_seconds', '{sync="true"}'),
  };
}

const meanMs = (a: SumCount, b: SumCount): number => (b.count > a.count ? ((b.sum - a.sum) / (b.count - a.count)) * 1000 : NaN);

/** Means between two readings, in ms. */
export function breakdown(a: CommitTotals, b: CommitTotals): CommitBreakdown {
  return { commitMs: meanMs(a.commit, b.commit), leaderFsyncMs: meanMs(a.leaderFsync, b.leaderFsync), followerFsyncMs: meanMs(a.followerFsync, b.followerFsync) };
}
