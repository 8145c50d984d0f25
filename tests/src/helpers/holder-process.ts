/**
 * A worker process for tests that SIGKILL clients: opens a session at argv[2] with TTL argv[4],
 * takes lock argv[3], keeps the session alive, and prints `granted <token> <sessionId>` on
 * stdout. It runs until it is killed.
 */
import { RawSession } from './raw-session';

async function main(): Promise<void> {
  const [address, name, ttl] = process.argv.slice(2);
  if (!address || !name || !ttl) throw new Error('usage: holder-process ADDRESS NAME TTL_MS');
  const s = new RawSession(address);
  const opened = await s.open(Number(ttl));
  s.keepAliveEvery(Math.floor(Number(ttl) / 4));
  s.lock(1, name);
  const g = await s.granted(1, 60_000);
  process.stdout.write(`granted ${g.token} ${opened.sessionId}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`holder-process: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
