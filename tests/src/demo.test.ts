/**
 * `pnpm demo` as the README's Commands table describes it, run for real through pnpm: six
 * workers contend for three accounts while a seventh holds a lock, the leader is SIGKILLed
 * halfway, and the summary shows every hold survived and tokens only grew. The command exits 0
 * and leaves no process behind (its cluster's servers are in its process group).
 */
import { killAllScripts, startScript, waitGroupEmpty } from './helpers/script-run';

jest.setTimeout(120_000);

/** Start-up, two 4 s phases and a failover, on a loaded machine. */
const RUN_MS = 90_000;

afterEach(() => killAllScripts());

test('pnpm demo: the leader is SIGKILLed halfway, every hold survives, tokens only grow; exit 0, no process left', async () => {
  const run = startScript('pnpm', ['demo']);
  const ended = await Promise.race([run.exited, new Promise<null>((r) => setTimeout(() => r(null), RUN_MS).unref())]);
  const out = run.output();
  expect({ ended, out }).toEqual({ ended: { code: 0, signal: null }, out: expect.any(String) });
  expect(await waitGroupEmpty(run.pid, 10_000)).toEqual([]);

  const killed = /SIGKILL the leader (n\d) \(pid \d+\)/.exec(out)?.[1];
  const next = /new leader: (n\d)/.exec(out)?.[1];
  expect(killed).toMatch(/^n[123]$/);
  expect(next).toMatch(/^n[123]$/);
  expect(next).not.toBe(killed);
  const summary = out.slice(out.indexOf('\nSummary\n'));
  for (const account of ['account/alice', 'account/bob', 'account/carol']) {
    const line = new RegExp(`${account.replace('/', '\\/')}\\s+(\\d+) grants, tokens (\\d+) \\.\\. (\\d+) \\(strictly increasing\\), most holders at once: 1,`).exec(summary);
    expect({ account, line: line?.[0] ?? summary }).toEqual({ account, line: expect.stringContaining(account) });
    expect(Number(line?.[1])).toBeGreaterThan(0);
    expect(Number(line?.[3])).toBeGreaterThanOrEqual(Number(line?.[2]));
  }
  expect(summary).toContain('long hold report/daily: survived the failover with its token');
  expect(summary).toContain('leases lost: 0');
  expect(summary).toContain('Every hold survived the leader crash and tokens only grew.');
  // The long hold kept its first token across the failover.
  const token = /reporter holds report\/daily with fencing token (\d+)/.exec(out)?.[1];
  expect(out).toContain(`released report/daily with the same token ${token ?? '?'} after the failover`);
});
