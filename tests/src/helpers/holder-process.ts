/**
 * A worker process for tests that SIGKILL clients: opens a session at argv[2] with TTL argv[4],
 * takes lock argv[3], keeps the session alive, and prints `granted <token> <sessionId>` on
 * stdout. For every keepalive the server acknowledged it prints `acked <sentAt>`: when that
 * keepalive was sent, in ms of CLOCK_MONOTONIC (`process.hrtime`, one clock for every process on
 * the host), so a test can tell the earliest moment the server may end the session. It runs until
 * it is killed.
 */
import { RawSession } from './raw-session';

const now = (): number => Number(process.hrtime.bigint()) / 1e6;

async function main(): Promise<void> {
  const [address, name, ttl] = process.argv.slice(2);
  if (!address || !name || !ttl) throw new Error('usage: holder-process ADDRESS NAME TTL_MS');
  const s = new RawSession(address);
  const opened = await s.open(Number(ttl));
  const everyMs = Math.floor(Number(ttl) / 4);
  void (async () => {
    for (;;) {
      await new Promise((r) => setTimeout(r, everyMs));
      const sentAt = now();
      const seq = s.keepalive();
      await s.next((r) => r.msg === 'keepaliveAck' && Number(r.keepaliveAck?.seq) === seq, 60_000);
      process.stdout.write(`acked ${sentAt}\n`);
    }
  })().catch((e: unknown) => process.stderr.write(`holder-process keepalive: ${e instanceof Error ? e.message : String(e)}\n`));
  s.lock(1, name);
  const g = await s.granted(1, 60_000);
  process.stdout.write(`granted ${g.token} ${opened.sessionId}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`holder-process: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
