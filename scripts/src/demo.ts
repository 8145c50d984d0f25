#!/usr/bin/env node
/**
 * `pnpm demo`: quorumlock as a newcomer should first see it. A 3-node cluster starts; six
 * workers (each its own LockClient, i.e. its own session) contend for three accounts, taking
 * each lock, "working" under it and releasing it; a seventh worker holds `report/daily` the
 * whole time. Halfway the leader is SIGKILLed. At the end the demo shows that every hold
 * survived the failover (the long hold kept its token and was never lost), that no account ever
 * had two holders, and that fencing tokens only grew.
 */
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';
import { LockClient, type Lease } from '@quorumlock/client';

const ACCOUNTS = ['account/alice', 'account/bob', 'account/carol'];
const WORKERS = 6;
const PHASE_MS = 4000;

const t0 = Date.now();
const stamp = (): string => `[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s]`;
const say = (s: string): void => void process.stdout.write(`${stamp()} ${s}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Stats {
  grants: number;
  tokens: number[];
  holders: number;
  maxHolders: number;
  lastGrantAt: number;
  longestGapMs: number;
}

async function main(): Promise<void> {
  const cluster = await CoordinatorCluster.create({ size: 3, logLevel: 'warn' });
  const clients: LockClient[] = [];
  try {
    await cluster.startAll();
    const leader = await cluster.waitLeader();
    say(`3 nodes up (${cluster.endpoints().join(', ')}); leader is ${leader}`);
    const endpoints = cluster.endpoints();
    const stats = new Map<string, Stats>(ACCOUNTS.map((a) => [a, { grants: 0, tokens: [], holders: 0, maxHolders: 0, lastGrantAt: 0, longestGapMs: 0 }]));
    let lostLeases = 0;
    let stop = false;

    // The long hold: taken before the failover, released after it.
    const reporter = new LockClient({ endpoints, clientName: 'reporter', ttlMs: 5000 });
    clients.push(reporter);
    reporter.on('leaseLost', () => lostLeases++);
    const report: Lease = await reporter.acquire('report/daily');
    say(`reporter holds report/daily with fencing token ${report.token}`);

    const worker = async (w: number): Promise<void> => {
      const client = new LockClient({ endpoints, clientName: `worker-${w}`, ttlMs: 5000 });
      clients.push(client);
      client.on('leaseLost', () => lostLeases++);
      let i = w;
      while (!stop) {
        const name = ACCOUNTS[i++ % ACCOUNTS.length] as string;
        try {
          await client.withLock(name, async ({ token }) => {
            const s = stats.get(name) as Stats;
            const now = Date.now();
            if (s.lastGrantAt > 0) s.longestGapMs = Math.max(s.longestGapMs, now - s.lastGrantAt);
            s.lastGrantAt = now;
            s.holders++;
            s.maxHolders = Math.max(s.maxHolders, s.holders);
            s.grants++;
            s.tokens.push(token);
            await sleep(15 + ((w * 7) % 20));
            s.holders--;
          }, { waitTimeoutMs: 30_000 });
        } catch (e) {
          say(`worker-${w}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    };
    const running = Array.from({ length: WORKERS }, (_, w) => worker(w));

    const progress = setInterval(() => {
      say(ACCOUNTS.map((a) => `${a}: ${stats.get(a)?.grants ?? 0} grants, token ${stats.get(a)?.tokens.at(-1) ?? '-'}`).join(' | '));
    }, 1000);

    await sleep(PHASE_MS);
    const pid = cluster.pid(leader);
    say(`>>> SIGKILL the leader ${leader} (pid ${pid ?? '?'})`);
    await cluster.kill(leader);
    const survivors = cluster.ids.filter((id) => id !== leader);
    const next = await cluster.waitLeader(15_000, survivors);
    say(`>>> new leader: ${next}`);
    await sleep(PHASE_MS);

    stop = true;
    await Promise.all(running);
    clearInterval(progress);
    const stillValid = report.valid;
    await report.release();
    say(`reporter released report/daily with the same token ${report.token} after the failover`);

    process.stdout.write('\nSummary\n');
    let ok = stillValid && lostLeases === 0;
    for (const [name, s] of stats) {
      const increasing = s.tokens.every((t, k) => k === 0 || t > (s.tokens[k - 1] ?? 0));
      ok = ok && increasing && s.maxHolders === 1;
      process.stdout.write(
        `  ${name.padEnd(14)} ${String(s.grants).padStart(5)} grants, tokens ${s.tokens[0] ?? '-'} .. ${s.tokens.at(-1) ?? '-'} ` +
          `(${increasing ? 'strictly increasing' : 'NOT INCREASING'}), most holders at once: ${s.maxHolders}, ` +
          `longest wait between grants: ${s.longestGapMs} ms\n`,
      );
    }
    process.stdout.write(`  long hold report/daily: ${stillValid ? 'survived the failover with its token' : 'LOST'}\n`);
    process.stdout.write(`  leases lost: ${lostLeases}\n`);
    process.stdout.write(ok ? '\nEvery hold survived the leader crash and tokens only grew.\n' : '\nSOMETHING WENT WRONG: see above.\n');
    process.exitCode = ok ? 0 : 1;
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await cluster.destroy();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`demo: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
