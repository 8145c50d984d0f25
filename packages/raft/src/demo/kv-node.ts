#!/usr/bin/env node
/**
 * One process of the Raft demo cluster: RaftNode + LevelStorage + GrpcTransport + KvStateMachine.
 * Started by the local cluster script, the multi-process tests and the benchmark, which drive it
 * over the IPC channel (see `KvNodeRequest`). Flags:
 *   --id ID --dir PATH --listen HOST:PORT --peers ID=HOST:PORT,... [--cluster-id ID]
 *   [--tick-ms N] [--snapshot-entries N] [--keep-entries N] [--join]
 * With --join the node starts empty and waits to be added by the leader.
 */
import { parseArgs } from 'node:util';
import { LevelStorage } from '../storage/level-storage';
import { GrpcTransport } from '../transport/grpc-transport';
import { RaftNode } from '../node/raft-node';
import { KvStateMachine, encodePut } from './kv-state-machine';
import type { Logger } from '../core/logger';

export type KvNodeRequest =
  | { readonly op: 'status'; readonly rid: number }
  | { readonly op: 'put'; readonly rid: number; readonly key: string; readonly value: string }
  | { readonly op: 'get'; readonly rid: number; readonly key: string; readonly linearizable: boolean }
  | { readonly op: 'addMember'; readonly rid: number; readonly id: string; readonly peer: string }
  | { readonly op: 'removeMember'; readonly rid: number; readonly id: string }
  | { readonly op: 'transfer'; readonly rid: number; readonly to?: string }
  | { readonly op: 'bench'; readonly rid: number; readonly concurrency: number; readonly durationMs: number; readonly valueBytes: number };

export interface KvNodeStatus {
  readonly id: string;
  readonly role: string;
  readonly leader: string;
  readonly term: number;
  readonly commit: number;
  readonly applied: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly snapshotIndex: number;
  readonly size: number;
  readonly digest: string;
  readonly voters: readonly string[];
  readonly learners: readonly string[];
}

function parsePeers(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (s === '') return out;
  for (const part of s.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`--peers entry '${part}' is not ID=HOST:PORT`);
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

function positive(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got '${v}'`);
  return n;
}

const stderrLogger: Logger = {
  debug: () => undefined,
  info: (o, m) => process.stderr.write(`${JSON.stringify({ level: 'info', msg: m, ...o })}\n`),
  warn: (o, m) => process.stderr.write(`${JSON.stringify({ level: 'warn', msg: m, ...o })}\n`),
  error: (o, m) => process.stderr.write(`${JSON.stringify({ level: 'error', msg: m, ...o })}\n`),
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      id: { type: 'string' },
      dir: { type: 'string' },
      listen: { type: 'string' },
      peers: { type: 'string', default: '' },
      'cluster-id': { type: 'string', default: 'quorumlock-demo' },
      'tick-ms': { type: 'string' },
      'snapshot-entries': { type: 'string' },
      'keep-entries': { type: 'string' },
      join: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
    },
  });
  if (!values.id || !values.dir || !values.listen) throw new Error('--id, --dir and --listen are required');
  const id = values.id;
  const peers = parsePeers(values.peers);
  const logger = values.quiet ? { ...stderrLogger, info: () => undefined } : stderrLogger;
  const storage = await LevelStorage.open(values.dir);
  const transport = new GrpcTransport({ clusterId: values['cluster-id'], selfId: id, listenAddress: values.listen, peers, logger });
  await transport.start();
  const sm = new KvStateMachine();
  const node = RaftNode.start({
    id,
    storage,
    transport,
    stateMachine: sm,
    peers: values.join ? {} : peers,
    tickMs: positive('tick-ms', values['tick-ms'], 100),
    snapshotEntries: positive('snapshot-entries', values['snapshot-entries'], 10_000),
    keepEntries: positive('keep-entries', values['keep-entries'], 1_000),
    logger,
  });
  if (values.join) for (const [pid, addr] of Object.entries(peers)) if (pid !== id) transport.setPeer(pid, addr);
  node.on('fatal', (e) => {
    logger.error({ id, err: e.message }, 'fatal');
    process.exit(70);
  });

  const handle = requestHandler(id, node, storage, sm);

  process.on('message', (raw: unknown) => {
    const req = raw as KvNodeRequest;
    handle(req).then(
      (result) => process.send?.({ rid: req.rid, ok: true, result }),
      (e: unknown) => process.send?.({ rid: req.rid, ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e), leader: node.leaderId() }),
    );
  });
  const shutdown = (): void => {
    node.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.on('disconnect', shutdown);
  process.send?.({ rid: 0, ok: true, result: 'started' });
  logger.info({ id, listen: values.listen }, 'kv node started');
}

/** Answers the IPC requests of the cluster harness (see `KvNodeRequest`). */
function requestHandler(id: string, node: RaftNode<number>, storage: LevelStorage, sm: KvStateMachine): (req: KvNodeRequest) => Promise<unknown> {
  const status = (): KvNodeStatus => {
    const s = node.status();
    return {
      id, role: s.role, leader: s.lead, term: s.term, commit: s.commit, applied: s.applied,
      firstIndex: s.firstIndex, lastIndex: s.lastIndex, snapshotIndex: storage.snapshot().meta.index,
      size: sm.size(), digest: sm.digest(), voters: s.confState.voters, learners: s.confState.learners,
    };
  };

  return async (req: KvNodeRequest): Promise<unknown> => {
    switch (req.op) {
      case 'status':
        return status();
      case 'put':
        return (await node.propose(encodePut({ key: req.key, value: req.value }))).index;
      case 'get':
        if (req.linearizable) await node.readBarrier();
        return sm.get(req.key) ?? null;
      case 'addMember':
        await node.addMember(req.id, { peer: req.peer });
        return true;
      case 'removeMember':
        await node.removeMember(req.id);
        return true;
      case 'transfer':
        return node.transferLeadership(req.to);
      case 'bench':
        return bench(node, req.concurrency, req.durationMs, req.valueBytes);
    }
  };
}

/** Closed-loop proposers on the leader: each submits its next proposal when the last one applied. */
async function bench(node: RaftNode<number>, concurrency: number, durationMs: number, valueBytes: number): Promise<{ commits: number; elapsedMs: number; latenciesMs: number[] }> {
  const value = 'x'.repeat(Math.max(0, valueBytes - 16));
  const latencies: number[] = [];
  let commits = 0;
  const start = performance.now();
  const end = start + durationMs;
  const worker = async (w: number): Promise<void> => {
    let i = 0;
    while (performance.now() < end) {
      const t0 = performance.now();
      await node.propose(encodePut({ key: `w${w}-${i++ % 64}`, value }));
      latencies.push(performance.now() - t0);
      commits++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  return { commits, elapsedMs: performance.now() - start, latenciesMs: latencies };
}

main().catch((e: unknown) => {
  process.stderr.write(`kv-node: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
