#!/usr/bin/env node
/**
 * `pnpm start:raft`: a local 3-node Raft-only cluster (the consensus layer alone) in the foreground, data in .data/raft/n1..n3, peer
 * ports 27001-27003 on 127.0.0.1. Every second it writes a key through the leader and prints
 * each node's role, term and applied index. Ctrl-C stops all three (SIGTERM, then they exit).
 */
import * as path from 'node:path';
import { KvCluster } from '@quorumlock/raft/testing';

async function main(): Promise<void> {
  const baseDir = path.resolve(__dirname, '..', '..', '.data', 'raft');
  const cluster = await KvCluster.create({ size: 3, tickMs: 100, baseDir, showLogs: false });
  cluster.ports.set('n1', 27001);
  cluster.ports.set('n2', 27002);
  cluster.ports.set('n3', 27003);
  await cluster.startAll();
  process.stdout.write(`quorumlock raft demo: 3 nodes on 127.0.0.1:27001-27003, data in ${baseDir}; Ctrl-C stops them\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping...\n');
    Promise.all(cluster.ids.map((id) => cluster.kill(id, 'SIGTERM'))).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  let n = 0;
  while (!stopping) {
    try {
      const leader = await cluster.waitLeader(5000);
      await cluster.call(leader, { op: 'put', key: `tick${n % 100}`, value: new Date().toISOString() });
      n++;
      const sts = await Promise.all(cluster.ids.map((id) => cluster.status(id)));
      process.stdout.write(`${sts.map((s) => `${s.id} ${s.role.padEnd(9)} term ${s.term} applied ${s.applied}`).join(' | ')}\n`);
    } catch (e) {
      if (!stopping) process.stdout.write(`waiting for the cluster: ${e instanceof Error ? e.message : String(e)}\n`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`local-cluster: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
