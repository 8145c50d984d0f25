import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';
import { RawSession } from '../helpers/raw-session';
import { cases, runCase } from './acquire-frames';

/**
 * One real server process (a single-node cluster: every request is decided and answered by it)
 * and a bystander session opened first and kept alive throughout; `fn` gets a client of the
 * node. Afterwards the process must still run and the bystander must still lock and release.
 */
export async function withLiveNode(fn: (node: grpc.Client, isRunning: () => boolean, logFile: string) => Promise<void>): Promise<void> {
  const cluster = await CoordinatorCluster.create({ size: 1, logLevel: 'warn' });
  let bystander: RawSession | null = null;
  let stopKeepalive: () => void = () => undefined;
  try {
    await cluster.startAll();
    const leader = await cluster.waitLeader();
    const address = cluster.address(leader);
    // Its own connection: the bystander stands for other clients.
    const raw = new grpc.Client(address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
    // A fresh single-node cluster may still be settling its first term: retry the first open.
    for (let attempt = 1; ; attempt++) {
      bystander = new RawSession(address);
      try {
        await bystander.open(5000);
        break;
      } catch (e) {
        bystander.close();
        if (attempt >= 20) throw e;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    stopKeepalive = bystander.keepAliveEvery(1000);
    try {
      await fn(raw, () => cluster.isRunning(leader), cluster.logFile(leader));
    } finally {
      raw.close();
    }
    expect(cluster.isRunning(leader)).toBe(true);
    bystander.lock(1, 'fz/bystander');
    const g = await bystander.granted(1);
    bystander.release(2, 'fz/bystander', g.token);
    await bystander.next((r) => r.msg === 'released');
    expect(bystander.ended).toBeNull();
  } finally {
    stopKeepalive();
    bystander?.close();
    await cluster.destroy();
  }
}

/** `runs` cases of random and mutated frames against a live node (see acquire-frames.ts). */
export async function fuzzLiveNode(runs: number, seed?: number, unknownEnums = false): Promise<void> {
  const envSeed = process.env['FUZZ_SEED'];
  const s = envSeed !== undefined && envSeed !== '' ? Number(envSeed) : seed;
  await withLiveNode(async (raw, isRunning, logFile) => {
    await fc.assert(
      fc.asyncProperty(cases(unknownEnums), async (c) => {
        await runCase(raw, c, 10_000);
        if (!isRunning()) throw new Error(`the server exited; see ${logFile}`);
      }),
      { numRuns: runs, ...(s !== undefined ? { seed: s } : {}), endOnFailure: true },
    );
  });
}
