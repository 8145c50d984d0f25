/**
 * packages/raft across real processes: three kv-node processes on 127.0.0.1, each with LevelDB
 * in its own temp dir and gRPC between them. SIGKILL the leader: a new one is elected and
 * commits. Keep writing until the survivors compact their logs past the killed node's last
 * entry, restart it: it catches up by InstallSnapshot, and all three end with the same state.
 */
import { KvCluster, type KvNodeStatus } from '@quorumlock/raft/testing';

jest.setTimeout(90_000);

describe('raft cluster of real processes', () => {
  let cluster: KvCluster;

  beforeAll(async () => {
    cluster = await KvCluster.create({ size: 3, tickMs: 50, snapshotEntries: 100, keepEntries: 10 });
    await cluster.startAll();
  });

  afterAll(async () => {
    await cluster.destroy();
  });

  it('survives a leader SIGKILL and catches the restarted node up by snapshot', async () => {
    const first = await cluster.waitLeader();
    for (let i = 0; i < 50; i++) await cluster.call(first, { op: 'put', key: `a${i}`, value: `v${i}` });
    const before = await cluster.status(first);
    const killedAt = await cluster.status(first);

    await cluster.kill(first);
    expect(cluster.isRunning(first)).toBe(false);
    const survivors = cluster.ids.filter((id) => id !== first);
    const second = await cluster.waitLeader(10_000, survivors);
    expect(second).not.toBe(first);
    const afterElection = await cluster.status(second);
    expect(afterElection.term).toBeGreaterThan(before.term);
    // Every acknowledged write survived the failover: read each back through the new leader. (Its
    // applied index alone can lag until its own term's first entry commits the old leader's tail.)
    for (let k = 0; k < 50; k++) expect(await cluster.call(second, { op: 'get', key: `a${k}`, linearizable: true })).toBe(`v${k}`);

    // Write enough that the survivors snapshot and compact beyond the killed node's log.
    let i = 0;
    let st: KvNodeStatus = afterElection;
    while (st.firstIndex <= killedAt.lastIndex + 1 || i < 300) {
      await cluster.call(second, { op: 'put', key: `b${i % 150}`, value: `w${i}` });
      i++;
      if (i % 50 === 0) st = await cluster.status(second);
      if (i > 5000) throw new Error(`log never compacted past ${killedAt.lastIndex}: ${JSON.stringify(st)}`);
    }
    st = await cluster.status(second);
    expect(st.firstIndex).toBeGreaterThan(killedAt.lastIndex + 1);

    await cluster.start(first);
    const target = (await cluster.status(second)).commit;
    const all = await cluster.waitConverged(target, 20_000);
    const restarted = all.find((s) => s.id === first);
    expect(restarted).toBeDefined();
    // It could only have caught up through InstallSnapshot: the entries it lacked were gone.
    expect(restarted?.snapshotIndex).toBeGreaterThan(killedAt.lastIndex);
    expect(new Set(all.map((s) => s.digest)).size).toBe(1);
    expect(new Set(all.map((s) => s.size)).size).toBe(1);
    expect(restarted?.size).toBe(50 + 150);

    // The cluster still commits with all three, and a linearizable read sees the last write.
    await cluster.call(second, { op: 'put', key: 'final', value: 'yes' });
    expect(await cluster.call(second, { op: 'get', key: 'final', linearizable: true })).toBe('yes');
  });
});
