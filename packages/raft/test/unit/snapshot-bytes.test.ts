import { MemoryStorage, RaftNode } from '../../src';
import { NoPeers } from './no-peers';

const machine = { apply: () => undefined, snapshot: () => new Uint8Array(8), restore: () => undefined };

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error(`${what} not reached within 5 s`);
}

/** A single-voter node that applies ten 10 KiB entries, with a count trigger it never reaches. */
async function snapshotIndexAfterBigEntries(snapshotBytes: number | undefined): Promise<{ snapIndex: number; lastIndex: number }> {
  const storage = new MemoryStorage();
  const node = RaftNode.start({
    id: 'n1',
    storage,
    transport: new NoPeers(),
    stateMachine: machine,
    peers: { n1: 'self' },
    tickMs: 5,
    electionTicks: 4,
    snapshotEntries: 1_000_000,
    keepEntries: 0,
    ...(snapshotBytes === undefined ? {} : { snapshotBytes }),
  });
  try {
    await waitFor(() => node.isLeader(), 'leadership');
    for (let i = 0; i < 10; i++) await node.propose(new Uint8Array(10 * 1024).fill(i + 1));
    // The snapshot is taken right after the apply that crosses the threshold, in the same pump.
    await new Promise((r) => setTimeout(r, 50));
    return { snapIndex: storage.snapshot().meta.index, lastIndex: storage.lastIndex() };
  } finally {
    await node.stop();
  }
}

describe('RaftNode: snapshots triggered by bytes of log applied', () => {
  test('with snapshotBytes 50 KB, ten 10 KiB entries trigger a snapshot though the entry count is far below snapshotEntries', async () => {
    const { snapIndex, lastIndex } = await snapshotIndexAfterBigEntries(50_000);
    expect(snapIndex).toBeGreaterThan(0);
    expect(snapIndex).toBeLessThanOrEqual(lastIndex);
  });

  test('with the default (64 MiB) the same entries take no snapshot', async () => {
    const { snapIndex } = await snapshotIndexAfterBigEntries(undefined);
    expect(snapIndex).toBe(0);
  });
});
