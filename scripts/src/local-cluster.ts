#!/usr/bin/env node
/**
 * `pnpm start`: a local 3-node quorumlock cluster in the foreground. Client (gRPC) ports
 * 6001-6003, peer ports 7001-7003, all on 127.0.0.1; data and logs in .data/ (n1.log ...).
 * Every two seconds it prints who leads and how many sessions and locks there are. Ctrl-C sends
 * SIGTERM to all three: the leader hands over leadership, then each stops cleanly.
 */
import * as path from 'node:path';
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';

async function main(): Promise<void> {
  const baseDir = path.resolve(__dirname, '..', '..', '.data');
  const cluster = await CoordinatorCluster.create({ size: 3, baseDir, basePort: 6001 });
  await cluster.startAll();
  process.stdout.write(
    `quorumlock: 3 nodes, client endpoints ${cluster.endpoints().join(',')}\n` +
      `data and logs in ${baseDir}; try: pnpm lockctl status   (Ctrl-C stops the cluster)\n`,
  );
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping (SIGTERM to every node)...\n');
    Promise.all(cluster.ids.map((id) => cluster.kill(id, 'SIGTERM'))).then(
      () => {
        process.stdout.write('stopped\n');
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  let last = '';
  while (!stopping) {
    const parts = await Promise.all(
      cluster.ids.map(async (id) => {
        if (!cluster.isRunning(id)) return `${id} down`;
        try {
          const st = await cluster.status(id, 1000);
          const me = st.members.find((m) => m.id === id);
          return `${id} ${me?.role ?? '?'} term ${st.term} applied ${me?.appliedIndex ?? 0} sessions ${st.sessions} locks ${st.locks}`;
        } catch {
          return `${id} not answering`;
        }
      }),
    );
    const line = parts.join(' | ');
    if (line !== last) process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
    last = line;
    await new Promise((r) => setTimeout(r, 2000));
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`local-cluster: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
