/**
 * The README's default limit of 1,000 requests awaiting replication per Acquire stream
 * (`--max-in-flight`, not set here: the default is what runs). With both followers frozen
 * (SIGSTOP, well inside the election timeout), nothing commits, so whatever the leader reads from
 * a stream stays awaiting replication: the leader's count of proposed lock requests
 * (quorumlock_proposals_total{type="lock"}, one per request whichever entry carries it; requests
 * share entries, so the replication lag in entries would count far fewer) counts what it read.
 * One stream writes 1,500 requests: the count stops at 1,000 and the stream gets no answer, not
 * a refusal. Another stream's 200 requests still go in (the limit is per stream, not a stall of
 * the leader). Once the followers resume, every request gets the answer the log decided, in
 * the order sent, and none is RESOURCE_EXHAUSTED.
 */
import * as http from 'node:http';
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';
import { RawSession, type Response } from './helpers/raw-session';
import { waitUntil } from './helpers/util';

jest.setTimeout(120_000);

/** The README's default --max-in-flight. */
const DEFAULT_MAX_IN_FLIGHT = 1000;
const BURST = 1500;
const OTHER = 200;
/** Election timeout 5-10 s (ticks of 50 ms): the frozen followers' few seconds never depose the leader. */
const ELECTION_TICKS = 100;
const FAILED_PRECONDITION = 9;
const RESOURCE_EXHAUSTED = 8;

let cluster: CoordinatorCluster;
const sessions: RawSession[] = [];
const paused: string[] = [];

beforeAll(async () => {
  cluster = await CoordinatorCluster.create({ size: 3, metrics: true, args: ['--election-ticks', String(ELECTION_TICKS)] });
  await cluster.startAll();
});

afterAll(async () => {
  for (const id of paused.splice(0)) cluster?.resume(id);
  for (const s of sessions) s.close();
  await cluster?.destroy();
});

function session(address: string): RawSession {
  const s = new RawSession(address);
  sessions.push(s);
  return s;
}

function scrape(address: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(`http://${address}/metrics`, { timeout: 5000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

/** Lock requests the leader has proposed since it started (one per request, not per entry). */
async function lockProposals(leader: string): Promise<number> {
  const m = /^quorumlock_proposals_total\{type="lock"\} (\d+)$/m.exec(await scrape(cluster.metricsAddress(leader)));
  return m === null ? 0 : Number(m[1]);
}

/** The leader's replication lag to `peer`, in entries. */
async function lag(leader: string, peer: string): Promise<number> {
  const m = new RegExp(`^quorumlock_raft_replication_lag_entries\\{peer="${peer}"\\} (\\d+)$`, 'm').exec(await scrape(cluster.metricsAddress(leader)));
  if (m === null) throw new Error(`no replication lag for ${peer} on ${leader}`);
  return Number(m[1]);
}

const requestIdOf = (r: Response): number | undefined => r.granted?.requestId ?? r.queued?.requestId ?? r.failed?.requestId;

test('at the default limit of 1,000 a stream is held back, not refused; another stream still goes in', async () => {
  const leader = await cluster.waitLeader(30_000);
  const followers = cluster.ids.filter((id) => id !== leader);
  const peer = followers[0]!;
  const holder = session(cluster.address(leader));
  await holder.open(60_000, '', 'holder');
  holder.lock(1, 'busy');
  await holder.granted(1);
  const s = session(cluster.address(leader));
  await s.open(60_000, '', 'burst');
  const t = session(cluster.address(leader));
  await t.open(60_000, '', 'other');
  await waitUntil(async () => (await lag(leader, peer)) === 0, 10_000, 'followers caught up', 50);

  for (const id of followers) {
    cluster.pause(id);
    paused.push(id);
  }
  // Every request is a try-only lock of a lock someone else holds: each is decided
  // FAILED_PRECONDITION (no hold piles up against --max-holds-per-session).
  const before = await lockProposals(leader);
  for (let i = 1; i <= BURST; i++) s.lock(i, 'busy', { tryOnly: true });
  const held = await waitUntil(async () => {
    const n = (await lockProposals(leader)) - before;
    return n >= DEFAULT_MAX_IN_FLIGHT ? n : undefined;
  }, 5000, `${DEFAULT_MAX_IN_FLIGHT} requests proposed`, 50);
  // The other 500 are written and waiting; give the leader time to (wrongly) read more.
  await new Promise((r) => setTimeout(r, 500));
  const settled = (await lockProposals(leader)) - before;
  expect(held).toBe(DEFAULT_MAX_IN_FLIGHT);
  expect(settled).toBe(DEFAULT_MAX_IN_FLIGHT);
  expect(await lag(leader, peer)).toBeGreaterThan(0); // nothing of it replicated
  expect(s.log.length).toBe(1); // only `opened`: nothing decided, nothing refused
  expect(s.ended).toBeNull();

  for (let i = 1; i <= OTHER; i++) t.lock(i, 'busy', { tryOnly: true });
  await waitUntil(async () => (await lockProposals(leader)) - before >= settled + OTHER, 5000, 'the other stream proposed too', 50);

  for (const id of paused.splice(0)) cluster.resume(id);
  await waitUntil(() => s.log.length >= 1 + BURST && t.log.length >= 1 + OTHER, 30_000, 'an answer to every request', 50);
  for (const [stream, n] of [[s, BURST], [t, OTHER]] as const) {
    const answers = stream.log.slice(1);
    expect(answers.filter((r) => r.failed?.code === RESOURCE_EXHAUSTED)).toEqual([]);
    expect(answers.map(requestIdOf)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(new Set(answers.map((r) => `${r.msg}/${r.failed?.code ?? ''}`))).toEqual(new Set([`failed/${FAILED_PRECONDITION}`]));
    expect(stream.ended).toBeNull();
  }
  expect(await cluster.waitLeader()).toBe(leader); // the pause deposed nobody
});
