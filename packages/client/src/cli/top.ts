/**
 * `lockctl top`: the most contended locks, refreshed in place. Ranked by queue depth, then by
 * the longest wait, then by holder count. On a terminal each refresh clears the screen and
 * redraws; otherwise (a pipe, a test) frames are printed one after another. With `--json` each
 * refresh is one JSON line.
 */
import type { AdminClient, LockInfo } from '../admin-client';
import { formatDuration } from '../duration';
import type { Clock } from '../clock';
import { sleep } from '../sleep';
import { longestWaitMs } from './commands';
import { renderTable } from './table';

export interface TopOptions {
  readonly intervalMs: number;
  /** Stop after this many refreshes; undefined runs until `stop` aborts. */
  readonly iterations: number | undefined;
  readonly prefix: string | undefined;
  readonly rows: number;
  readonly json: boolean;
  readonly tty: boolean;
}

export interface TopRow {
  readonly name: string;
  readonly queue: number;
  readonly longestWaitMs: number;
  readonly holders: number;
  readonly capacity: number;
  readonly latestToken: number;
  /** Client names of the holders. */
  readonly heldBy: readonly string[];
}

/** Ranks locks by contention (pure). */
export function rankContention(locks: readonly LockInfo[], rows: number): TopRow[] {
  return locks
    .map((l) => ({
      name: l.name,
      queue: l.waiters.length,
      longestWaitMs: longestWaitMs(l),
      holders: l.holders.length,
      capacity: l.capacity,
      latestToken: l.latestToken,
      heldBy: l.holders.map((h) => h.clientName || h.sessionId),
    }))
    .sort((a, b) => b.queue - a.queue || b.longestWaitMs - a.longestWaitMs || b.holders - a.holders || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, rows);
}

export function renderTopFrame(locks: readonly LockInfo[], rows: number, intervalMs: number, at: Date): string {
  const ranked = rankContention(locks, rows);
  const waiting = locks.reduce((n, l) => n + l.waiters.length, 0);
  const header = `quorumlock top  ${at.toISOString()}  ${locks.length} locks, ${waiting} waiting  (every ${formatDuration(intervalMs)}, Ctrl-C quits)\n\n`;
  return (
    header +
    renderTable(
      [
        { header: 'NAME', value: (r: TopRow) => r.name },
        { header: 'QUEUE', value: (r: TopRow) => r.queue },
        { header: 'LONGEST WAIT', value: (r: TopRow) => (r.queue === 0 ? '-' : formatDuration(r.longestWaitMs)), align: 'right' as const },
        { header: 'HOLDERS', value: (r: TopRow) => `${r.holders}/${r.capacity}`, align: 'right' as const },
        { header: 'TOKEN', value: (r: TopRow) => r.latestToken },
        { header: 'HELD BY', value: (r: TopRow) => (r.heldBy.length === 0 ? '-' : r.heldBy.join(',')) },
      ],
      ranked,
      '(no locks)\n',
    )
  );
}

const CLEAR = '\x1b[2J\x1b[H';

export async function runTop(admin: AdminClient, o: TopOptions, write: (s: string) => void, clock: Clock, stop: AbortSignal): Promise<void> {
  for (let i = 0; o.iterations === undefined || i < o.iterations; i++) {
    if (stop.aborted) return;
    const locks = await admin.listLocks(o.prefix === undefined ? {} : { prefix: o.prefix });
    if (stop.aborted) return;
    if (o.json) {
      write(`${JSON.stringify({ at: new Date().toISOString(), locks: locks.length, top: rankContention(locks, o.rows) })}\n`);
    } else {
      write((o.tty ? CLEAR : i > 0 ? '\n' : '') + renderTopFrame(locks, o.rows, o.intervalMs, new Date()));
    }
    if (o.iterations !== undefined && i + 1 >= o.iterations) return;
    await sleep(clock, o.intervalMs, stop);
  }
}
