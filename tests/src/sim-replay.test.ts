/**
 * The README's promise about `pnpm sim`: "A failure prints `replay: pnpm sim -- --seed S --nodes
 * N`". A deliberately broken core (a preload, loaded only into the simulator's process, makes
 * every node grant its vote whatever the candidate's log, breaking Raft §5.4.1) makes a run of
 * `pnpm sim` fail; the printed replay command, run as printed, fails the same way: same seed,
 * same node count, same violation at the same simulated time. On the intact core the same
 * command passes, so the failure is the broken rule's, found again by the seed alone.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { killAllScripts, startScript } from './helpers/script-run';

jest.setTimeout(120_000);

const RUN_MS = 60_000;
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quorumlock-sim-replay-'));
});
afterEach(() => killAllScripts());
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A preload that breaks the vote rule in the simulator's process only (pnpm and tsc load it too, and skip). */
function brokenVotePreload(): string {
  const file = path.join(dir, 'grant-every-vote.js');
  fs.writeFileSync(
    file,
    [
      "const path = require('node:path');",
      "const main = process.argv[1] ?? '';",
      "if (main.endsWith(path.join('sim', 'cli.js'))) {",
      "  const { RaftLog } = require(path.join(path.dirname(main), '..', 'core', 'raft-log.js'));",
      '  RaftLog.prototype.isUpToDate = () => true;',
      '}',
      '',
    ].join('\n'),
  );
  return file;
}

async function pnpm(args: readonly string[], preload?: string): Promise<{ code: number | null; out: string }> {
  const run = startScript('pnpm', args, { env: { NODE_OPTIONS: preload === undefined ? '' : `--require ${preload}` } });
  const ended = await Promise.race([run.exited, new Promise<null>((r) => setTimeout(() => r(null), RUN_MS).unref())]);
  if (ended === null) throw new Error(`pnpm ${args.join(' ')} did not end within ${RUN_MS} ms; output:\n${run.output()}`);
  return { code: ended.code, out: run.output() };
}

const failLine = (out: string): string => /^FAIL seed .*$/m.exec(out)?.[0] ?? `no FAIL line in:\n${out}`;

test("a failing seed's printed replay command replays the same failure", async () => {
  const preload = brokenVotePreload();
  // Not from seed 1 and over several seeds, so the replay must name the one that failed.
  const first = await pnpm(['sim', '--', '--seeds', '30', '--seed', '102', '--nodes', '5'], preload);
  expect(first.code).toBe(1);
  const fail = failLine(first.out);
  expect(fail).toMatch(/^FAIL seed (\d+) \(5 nodes\): InvariantViolation: .+ \(at \d+ ms\)$/);
  const seed = Number(/^FAIL seed (\d+)/.exec(fail)?.[1]);
  expect(seed).toBeGreaterThan(102); // a later seed, not the first one run
  const replay = /^replay: (pnpm sim .*)$/m.exec(first.out)?.[1] ?? '';
  expect(replay).toBe(`pnpm sim -- --seed ${seed} --nodes 5`);

  const [cmd, ...args] = replay.split(' ');
  expect(cmd).toBe('pnpm');
  const again = await pnpm(args, preload);
  expect(again.code).toBe(1);
  expect(failLine(again.out)).toBe(fail);
  expect(again.out).toContain(`replay: ${replay}\n`);

  const intact = await pnpm(args);
  expect({ code: intact.code, passed: /^1 seeds passed/m.test(intact.out) }).toEqual({ code: 0, passed: true });
});
