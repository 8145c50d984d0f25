/**
 * How `pnpm start` stops its cluster: the leader alone first (SIGTERM: it hands leadership to a
 * follower before it exits), then, once another node is seen leading, the rest. Stopping all
 * three at once would leave the leader nobody to hand over to. Every node still running
 * `graceMs` after its SIGTERM is SIGKILLed, and the caller is told which.
 */
import type { CoordinatorCluster } from '@quorumlock/coordinator/testing';

export interface LeaderFirstStopOptions {
  /** How long each node may take to stop after its SIGTERM before it is SIGKILLed. */
  readonly graceMs?: number;
  /**
   * How long to wait for a follower to lead once the leader has exited. A completed transfer
   * has elected it already; a failed one leaves an election after the election timeout
   * (600-1200 ms at the servers' default timing), which this allows several of.
   */
  readonly handoverMs?: number;
  /** Progress lines (each ends with a newline). */
  readonly say: (line: string) => void;
}

export interface LeaderFirstStopResult {
  /** The leader when the stop began ('' when no node led). */
  readonly leader: string;
  /** Who led after it had exited ('' when nobody took over within `handoverMs`). */
  readonly successor: string;
  /** Nodes that had to be SIGKILLed. */
  readonly killed: readonly string[];
}

/** SIGTERM `ids` together; SIGKILL whichever still runs after `graceMs`. Resolves with those. */
async function stopNodes(cluster: CoordinatorCluster, ids: readonly string[], graceMs: number): Promise<string[]> {
  const killed: string[] = [];
  const timer = setTimeout(() => {
    for (const id of ids.filter((i) => cluster.isRunning(i))) {
      killed.push(id);
      void cluster.kill(id, 'SIGKILL');
    }
  }, graceMs);
  try {
    await Promise.all(ids.map((id) => cluster.kill(id, 'SIGTERM')));
  } finally {
    clearTimeout(timer);
  }
  return killed;
}

export async function stopLeaderFirst(cluster: CoordinatorCluster, opts: LeaderFirstStopOptions): Promise<LeaderFirstStopResult> {
  const graceMs = opts.graceMs ?? 10_000;
  const handoverMs = opts.handoverMs ?? 10_000;
  const running = (): string[] => cluster.ids.filter((id) => cluster.isRunning(id));
  const killed: string[] = [];
  // A cluster that has no leader now (a node down, an election on) is not waited for long.
  const leader = running().length > 1 ? await cluster.waitLeader(2000, running()).catch(() => '') : '';
  let successor = '';
  if (leader !== '') {
    opts.say(`stopping ${leader} (the leader) first: SIGTERM, it hands leadership over...\n`);
    killed.push(...(await stopNodes(cluster, [leader], graceMs)));
    const rest = running();
    successor = await cluster.waitLeader(handoverMs, rest).catch(() => '');
    if (successor !== '') {
      const term = await cluster
        .status(successor, 1000)
        .then((st) => ` (term ${st.term})`)
        .catch(() => '');
      opts.say(`leadership handed over: ${leader} -> ${successor}${term}\n`);
    } else {
      opts.say(`no other node took over leadership within ${handoverMs} ms of ${leader} exiting\n`);
    }
  }
  const rest = running();
  if (rest.length > 0) {
    opts.say(`stopping ${rest.join(', ')} (SIGTERM)...\n`);
    killed.push(...(await stopNodes(cluster, rest, graceMs)));
  }
  await cluster.destroy(); // closes admin channels; kills nothing that has exited
  return { leader, successor, killed };
}
