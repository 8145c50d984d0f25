#!/usr/bin/env node
/**
 * `pnpm start [-- --port-base N --data-dir DIR]`: a local 3-node quorumlock cluster in the
 * foreground. Client (gRPC) ports 6001-6003, peer ports 7001-7003, all on 127.0.0.1 (another
 * --port-base or $QUORUMLOCK_PORT_BASE moves them; 0 picks free ones); data and logs in .data/
 * (n1.log ...). It prints each node's pid, then every two seconds who leads and how many
 * sessions and locks there are. Ctrl-C, SIGTERM or SIGHUP stops all three: the nodes run in
 * process groups of their own, so the terminal's Ctrl-C reaches only this script, which stops
 * the leader first (it hands leadership over), waits for a follower to lead, then stops the
 * rest (SIGKILL after 10 s for one that hangs). Should this script die without stopping them,
 * each node stops itself.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';
import { stopLeaderFirst } from './leader-first-stop';
import { DEFAULT_PORT_BASE, parsePortBase, portsOf, requireFree, stoppedLine } from './local-ports';

function parse(): { portBase: number; dataDir: string } {
  const argv = process.argv.slice(2);
  if (argv[0] === '--') argv.shift(); // `pnpm start -- --port-base 9001` passes the separator on
  const { values } = parseArgs({ args: argv, options: { 'port-base': { type: 'string' }, 'data-dir': { type: 'string' } } });
  const portBase = parsePortBase(values['port-base']);
  const dataDir = path.resolve(values['data-dir'] ?? path.join(__dirname, '..', '..', '.data'));
  return { portBase, dataDir };
}

async function main(): Promise<void> {
  const { portBase, dataDir } = parse();
  fs.mkdirSync(dataDir, { recursive: true });
  if (portBase !== 0) await requireFree(portsOf(portBase, false), 'is another `pnpm start` or `pnpm observe` running? Stop it, or pass --port-base');
  const cluster = await CoordinatorCluster.create({ size: 3, baseDir: dataDir, detached: true, ...(portBase === 0 ? {} : { basePort: portBase }) });
  // A crash of this script (an exception, process.exit) skips the stop below: end the nodes on
  // the way out, as nothing else would (they are not in the terminal's process group).
  process.on('exit', () => {
    for (const id of cluster.ids) {
      const pid = cluster.pid(id);
      if (pid !== undefined && cluster.isRunning(id)) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // gone meanwhile
        }
      }
    }
  });
  let stopping = false;
  let started: Promise<unknown> = Promise.resolve();
  const stop = (code: number): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping...\n');
    // A signal during start-up waits for the nodes being started, so none is left behind.
    started
      .catch(() => undefined)
      .then(() => stopLeaderFirst(cluster, { say: (line) => process.stdout.write(line) }))
      .then(
        ({ killed }) => {
          process.stdout.write(stoppedLine(killed));
          process.exit(code);
        },
        () => process.exit(1),
      );
  };
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
  // A closed terminal: the nodes, in groups of their own, do not get its hang-up; stop them too.
  process.on('SIGHUP', () => stop(0));
  process.stdout.on('error', () => undefined); // and printing to it may fail from then on
  started = cluster.startAll();
  try {
    await started;
  } catch (e) {
    process.stderr.write(`local-cluster: ${e instanceof Error ? e.message : String(e)}\n`);
    stop(1);
    return;
  }
  if (stopping) return;
  const endpoints = cluster.endpoints().join(',');
  const lockctlHint = portBase === DEFAULT_PORT_BASE ? 'pnpm lockctl status' : `QUORUMLOCK_ENDPOINTS=${endpoints} pnpm lockctl status`;
  process.stdout.write(
    `quorumlock: 3 nodes, client endpoints ${endpoints}\n` +
      `pids: ${cluster.ids.map((id) => `${id} ${cluster.pid(id) ?? '?'}`).join(', ')}\n` +
      `data and logs in ${dataDir}; try: ${lockctlHint}   (Ctrl-C stops the cluster)\n`,
  );
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
    if (line !== last && !stopping) process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
    last = line;
    await new Promise((r) => setTimeout(r, 2000));
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`local-cluster: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
