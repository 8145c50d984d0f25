/**
 * The real lockctl binary (packages/client/bin/lockctl.js, which runs dist/cli/lockctl.js)
 * against a real 3-node cluster, on locks and sessions: `lock`, `locks`, `sessions` and `top`,
 * table and JSON output checked against what the test set up with the SDK; `revoke` and
 * `expire-session` (the holders' lease signals fire); `run` (token in the environment, exit
 * status passed through, SIGTERM then SIGKILL on a revoked lease); exit 1 with a clear message
 * when the cluster cannot be reached, exit 2 on usage errors. The cluster commands are in
 * lockctl-cluster.test.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort } from '@quorumlock/raft/testing';
import { LockLostError, type Lease, type LockClient } from '@quorumlock/client';
import { type LockJson, useLockctlCluster } from './helpers/lockctl-cluster';
import { lockctl as runLockctl, startLockctl, waitUntil } from './helpers/util';

jest.setTimeout(60_000);

const lc = useLockctlCluster();
const { client, lockctl, json, lockInfo } = lc;

function aborted(signal: AbortSignal): Promise<unknown> {
  return signal.aborted ? Promise.resolve(signal.reason) : new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
}

describe('with holders and a queue', () => {
  let a: LockClient;
  let b: LockClient;
  let c: LockClient;
  let hot: Lease;
  let waits: Promise<Lease>[];

  beforeEach(async () => {
    a = client('worker-a');
    b = client('worker-b');
    c = client('worker-c');
    hot = await a.acquire('hot/1');
    await hot.put('hello');
    await a.acquire('cold/1');
    const queued = (): { p: Promise<void>; on: () => void } => {
      let on!: () => void;
      const p = new Promise<void>((r) => (on = r));
      return { p, on: () => on() };
    };
    const qb = queued();
    const pb = b.acquire('hot/1', { onQueued: qb.on });
    await qb.p;
    const qc = queued();
    const pc = c.acquire('hot/1', { onQueued: qc.on });
    await qc.p;
    waits = [pb, pc];
    for (const w of waits) w.catch(() => undefined); // they end with the clients' close
  });

  it('lock NAME: holders (session, token, mode, age), the queue in order, the value size', async () => {
    const j = await json<LockJson>('lock', 'hot/1');
    expect(j).toMatchObject({ name: 'hot/1', capacity: 1, valueBytes: 5 });
    expect(j.latestToken).toBeGreaterThanOrEqual(hot.token);
    expect(j.holders).toEqual([{ sessionId: a.sessionId, clientName: 'worker-a', token: hot.token, mode: 'exclusive', permits: 1, ageMs: expect.any(Number) }]);
    expect(j.waiters.map((w) => [w.position, w.sessionId, w.clientName, w.mode])).toEqual([
      [1, b.sessionId, 'worker-b', 'exclusive'],
      [2, c.sessionId, 'worker-c', 'exclusive'],
    ]);

    const t = await lockctl('lock', 'hot/1');
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/^name:\s+hot\/1$/m);
    expect(t.stdout).toMatch(/^value:\s+5 bytes$/m);
    expect(t.stdout).toMatch(new RegExp(`^Holders:\\nSESSION\\s+CLIENT\\s+TOKEN\\s+MODE\\s+PERMITS\\s+AGE\\n${a.sessionId}\\s+worker-a\\s+${hot.token}\\s+exclusive\\s+1\\s+\\S+\\n`, 'm'));
    const queue = t.stdout.slice(t.stdout.indexOf('Queue:'));
    expect(queue).toMatch(new RegExp(`^\\s*1\\s+${b.sessionId}\\s+worker-b\\s+\\d+\\s+exclusive`, 'm'));
    expect(queue).toMatch(new RegExp(`^\\s*2\\s+${c.sessionId}\\s+worker-c\\s+\\d+\\s+exclusive`, 'm'));
    expect(queue.indexOf(b.sessionId)).toBeLessThan(queue.indexOf(c.sessionId));

    const missing = await lockctl('lock', 'no/such/lock');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/lock 'no\/such\/lock' not found/);
  });

  it('locks [--prefix P]: capacity, holders, waiters, token, value size', async () => {
    const all = await json<LockJson[]>('locks');
    const hotJ = all.find((l) => l.name === 'hot/1');
    expect(hotJ).toMatchObject({ capacity: 1, valueBytes: 5 });
    expect(hotJ?.holders).toHaveLength(1);
    expect(hotJ?.waiters).toHaveLength(2);
    expect(all.find((l) => l.name === 'cold/1')?.waiters).toEqual([]);

    const t = await lockctl('locks', '--prefix', 'hot/');
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/^NAME\s+CAPACITY\s+HOLDERS\s+WAITERS\s+LONGEST WAIT\s+TOKEN\s+VALUE$/m);
    expect(t.stdout).toMatch(new RegExp(`^hot/1\\s+1\\s+1\\s+2\\s+\\S+\\s+${hotJ?.latestToken}\\s+5B$`, 'm'));
    expect(t.stdout).not.toContain('cold/1');
    expect((await json<LockJson[]>('locks', '--prefix', 'nothing-here/'))).toEqual([]);
    expect((await lockctl('locks', '--prefix', 'nothing-here/')).stdout).toBe('(no locks)\n');
  });

  it('sessions: client names, TTLs, holds and waits', async () => {
    const j = await json<{ sessionId: string; clientName: string; ttlMs: number; remainingMs: number; holds: number; waits: number }[]>('sessions');
    const mine = j.filter((s) => [a.sessionId, b.sessionId, c.sessionId].includes(s.sessionId)).sort((x, y) => x.clientName.localeCompare(y.clientName));
    expect(mine).toEqual([
      { sessionId: a.sessionId, clientName: 'worker-a', ttlMs: 10_000, remainingMs: expect.any(Number), holds: 2, waits: 0 },
      { sessionId: b.sessionId, clientName: 'worker-b', ttlMs: 10_000, remainingMs: expect.any(Number), holds: 0, waits: 1 },
      { sessionId: c.sessionId, clientName: 'worker-c', ttlMs: 10_000, remainingMs: expect.any(Number), holds: 0, waits: 1 },
    ]);
    for (const s of mine) expect(s.remainingMs).toBeLessThanOrEqual(10_000 + 1000);
    const t = await lockctl('sessions');
    expect(t.stdout).toMatch(/^SESSION\s+CLIENT\s+TTL\s+REMAINING\s+HOLDS\s+WAITS$/m);
    expect(t.stdout).toMatch(new RegExp(`^${a.sessionId}\\s+worker-a\\s+10\\.0s\\s+\\S+\\s+2\\s+0$`, 'm'));
    expect(t.stdout).toMatch(new RegExp(`^${b.sessionId}\\s+worker-b\\s+\\S+\\s+\\S+\\s+0\\s+1$`, 'm'));
  });

  it('top --iterations 1: the most contended lock first, as a table and as a JSON line', async () => {
    const t = await lockctl('top', '--iterations', '1');
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/^quorumlock top .* locks, \d+ waiting/);
    const rows = t.stdout.split('\n').filter((l) => /^(hot|cold)\/1\s/.test(l));
    expect(rows[0]).toMatch(/^hot\/1\s+2\s+\S+\s+1\/1\s+\d+\s+worker-a$/);
    expect(rows[1]).toMatch(/^cold\/1\s+0\s+-\s+1\/1\s+\d+\s+worker-a$/);
    const j = await lockctl('top', '--iterations', '1', '--json', '--prefix', '');
    const lines = j.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const frame = JSON.parse(lines[0] ?? '') as { at: string; locks: number; top: { name: string; queue: number; holders: number; capacity: number; heldBy: string[] }[] };
    expect(frame.top[0]).toMatchObject({ name: 'hot/1', queue: 2, holders: 1, capacity: 1, heldBy: ['worker-a'] });
    expect(frame.top.map((r) => r.name)).toContain('cold/1');
  });
});

describe('revoke and expire-session', () => {
  it("revoke NAME: the holder's lease signal fires (reason revoked); --token takes one hold; JSON and table", async () => {
    const h = client('revokee');
    const lease = await h.acquire('rv/1');
    const lost = aborted(lease.signal);
    const j = await json<{ name: string; revoked: { name: string; token: number; mode: string }[] }>('revoke', 'rv/1', '--reason', 'stuck worker');
    expect(j).toEqual({ name: 'rv/1', revoked: [{ name: 'rv/1', token: lease.token, mode: 'exclusive' }] });
    const reason = await lost;
    expect(reason).toBeInstanceOf(LockLostError);
    expect(reason).toMatchObject({ reason: 'revoked', token: lease.token });
    expect((reason as LockLostError).detail).toContain('stuck worker');
    expect(() => lease.assertValid()).toThrow(LockLostError);
    expect((await lockInfo('rv/1'))?.holders ?? []).toEqual([]);

    // The table form, for one token.
    const l2 = await h.acquire('rv/2');
    const lost2 = aborted(l2.signal);
    const t = await lockctl('revoke', 'rv/2', '--token', String(l2.token));
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(new RegExp(`^revoked 1 hold of 'rv/2':\\nTOKEN\\s+MODE\\n\\s*${l2.token}\\s+exclusive\\n$`));
    expect(await lost2).toMatchObject({ reason: 'revoked' });
    // A token that is not a hold is refused (exit 1, naming it) and revokes nothing; an unknown lock too.
    const l3 = await h.acquire('rv/2');
    const wrong = l3.token + 1000;
    const none = await lockctl('revoke', 'rv/2', '--token', String(wrong));
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`token ${wrong} is not a current hold of 'rv/2'`);
    expect(l3.valid).toBe(true);
    const unknown = await lockctl('revoke', 'no/such/lock');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no lock named 'no\/such\/lock'/);
  });

  it('expire-session ID: the session ends, its holds are released and its leases lost', async () => {
    const d = client('expiree');
    const lease = await d.acquire('ex/1');
    const lost = aborted(lease.signal);
    const id = d.sessionId; // the client forgets it once the session is gone
    const j = await json<{ sessionId: string; released: number }>('expire-session', id);
    expect(j).toEqual({ sessionId: id, released: 1 });
    expect(await lost).toMatchObject({ reason: 'session expired' });
    expect((await lockInfo('ex/1'))?.holders ?? []).toEqual([]);
    const sessions = await json<{ sessionId: string }[]>('sessions');
    expect(sessions.map((s) => s.sessionId)).not.toContain(id);

    const e = client('expiree-2');
    const l2 = await e.acquire('ex/2');
    const id2 = e.sessionId;
    const t = await lockctl('expire-session', id2);
    expect(t.code).toBe(0);
    expect(t.stdout).toBe(`session ${id2} expired; 1 hold released\n`);
    expect(await aborted(l2.signal)).toMatchObject({ reason: 'session expired' });
    const again = await lockctl('expire-session', id2);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/expire-session: .*session/i);
  });
});

describe('run NAME -- COMMAND', () => {
  const node = process.execPath;

  it('passes QUORUMLOCK_TOKEN and QUORUMLOCK_LOCK, holds the lock while the command runs, exits with its status', async () => {
    const dir = fs.mkdtempSync(path.join(lc.cluster.baseDir, 'run-'));
    const go = path.join(dir, 'go');
    // The command reports its token, then waits for the test to let it finish (exit 7).
    const script = `console.log('token=' + process.env.QUORUMLOCK_TOKEN + ' lock=' + process.env.QUORUMLOCK_LOCK);
const t = setInterval(() => { if (require('fs').existsSync(${JSON.stringify(go)})) { clearInterval(t); process.exit(7); } }, 20);
setTimeout(() => process.exit(99), 30000);`;
    const run = startLockctl(['--endpoints', lc.cluster.endpoints().join(','), 'run', 'run/1', '--json', '--', node, '-e', script]);
    const m = await waitUntil(() => /token=(\d+) lock=run\/1/.exec(run.stdout()) ?? undefined, 20_000, 'the command started');
    const token = Number(m[1]);
    const acquired = JSON.parse(run.stdout().split('\n')[0] ?? '') as { event: string; name: string; token: number };
    expect(acquired).toEqual({ event: 'acquired', name: 'run/1', token });
    const info = await lockInfo('run/1');
    expect(info?.holders.map((h) => h.token)).toEqual([token]);
    expect(info?.holders[0]?.clientName).toMatch(/^lockctl run run\/1/);
    fs.writeFileSync(go, '');
    const r = await run.done;
    expect(r.code).toBe(7);
    // Released once the command ended.
    expect((await lockInfo('run/1'))?.holders ?? []).toEqual([]);
  });

  it('on a lost lease (lockctl revoke) stops the command with SIGTERM and exits with its status', async () => {
    const script = `process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(42); });
console.log('started ' + process.env.QUORUMLOCK_TOKEN);
setTimeout(() => process.exit(99), 30000);`;
    const run = startLockctl(['--endpoints', lc.cluster.endpoints().join(','), 'run', 'run/2', '--', node, '-e', script]);
    const m = await waitUntil(() => /started (\d+)/.exec(run.stdout()) ?? undefined, 20_000, 'the command started');
    const rv = await lockctl('revoke', 'run/2', '--token', m[1] ?? '', '--reason', 'operator says stop');
    expect(rv.code).toBe(0);
    const r = await run.done;
    expect(r.code).toBe(42);
    expect(r.stdout).toContain('got SIGTERM');
    expect(r.stderr).toMatch(/lockctl run: lease on 'run\/2' lost \(revoked: .*operator says stop\); sending SIGTERM/);
  });

  it('SIGKILLs a command that ignores SIGTERM after --grace (exit 128+9)', async () => {
    const script = `process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
console.log('started');
setTimeout(() => process.exit(99), 30000);`;
    const run = startLockctl(['--endpoints', lc.cluster.endpoints().join(','), 'run', 'run/3', '--grace', '200ms', '--', node, '-e', script]);
    await waitUntil(() => run.stdout().includes('started') || undefined, 20_000, 'the command started');
    expect((await lockctl('revoke', 'run/3')).code).toBe(0);
    const r = await run.done;
    expect(r.code).toBe(137);
    expect(r.stdout).toContain('ignoring SIGTERM');
    expect(r.stderr).toMatch(/still running after 200 ms; sending SIGKILL/);
  });

  it('--try exits 3 when the lock is held; a missing command exits 127', async () => {
    const h = client('holder');
    const lease = await h.acquire('run/4');
    const r = await lockctl('run', 'run/4', '--try', '--', node, '-e', 'process.exit(0)');
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/'run\/4' is held/);
    await lease.release();
    const nf = await lockctl('run', 'run/4', '--', '/nonexistent/command-for-lockctl-test');
    expect(nf.code).toBe(127);
    expect(nf.stderr).toMatch(/cannot run/);
  });
});

describe('errors', () => {
  it('exits 1 with a clear message when the cluster cannot be reached', async () => {
    const port = await freePort(); // nothing listens there
    for (const args of [['status'], ['locks'], ['run', 'x', '--', process.execPath, '-e', '0']]) {
      const r = await runLockctl(['--endpoints', `127.0.0.1:${port}`, '--retry-for', '300ms', ...args]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`no quorumlock (leader|node) reachable at 127\\.0\\.0\\.1:${port}`));
      expect(r.stderr).toMatch(/--endpoints or QUORUMLOCK_ENDPOINTS/);
    }
    // The environment variable is used when --endpoints is not given.
    const env = await runLockctl(['--retry-for', '300ms', 'status'], { QUORUMLOCK_ENDPOINTS: `127.0.0.1:${port}` });
    expect(env.code).toBe(1);
    expect(env.stderr).toContain(`127.0.0.1:${port}`);
    const ok = await runLockctl(['status', '--json'], { QUORUMLOCK_ENDPOINTS: lc.cluster.endpoints().join(',') });
    expect(ok.code).toBe(0);
  });

  it('exits 2 on usage errors, naming the problem and pointing to --help', async () => {
    const cases: [string[], RegExp][] = [
      [[], /no command given/],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['lock'], /'lockctl lock' needs NAME/],
      [['status', '--bogus'], /unknown flag --bogus/],
      [['run', 'x'], /needs '-- COMMAND/],
      [['top', '--interval-ms', 'soon'], /--interval-ms/],
      [['--endpoints', 'not an endpoint', 'status'], /--endpoints/],
      [['members', 'frob'], /unexpected argument 'frob' for 'lockctl members'/],
    ];
    for (const [args, message] of cases) {
      const r = await runLockctl(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/--help' for usage/);
    }
    const help = await runLockctl(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: lockctl/m);
  });
});
