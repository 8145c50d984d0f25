/**
 * The defaults the README states, on a cluster started with no timing flags at all: it elects a
 * leader and grants locks with `--tick-ms` 50 / `--election-ticks` 12; a session asks for 0 and
 * gets the default TTL (10 s); the maximum TTL (5 min) is accepted and one millisecond more is
 * refused with INVALID_ARGUMENT naming the value and the bounds.
 */
import * as grpc from '@grpc/grpc-js';
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';
import { RawSession } from './helpers/raw-session';

jest.setTimeout(60_000);

let cluster: CoordinatorCluster;
const sessions: RawSession[] = [];

beforeAll(async () => {
  cluster = await CoordinatorCluster.create({ size: 3 }); // no --tick-ms: the defaults
  await cluster.startAll();
});

afterAll(async () => {
  for (const s of sessions) s.close();
  await cluster?.destroy();
});

function session(address: string): RawSession {
  const s = new RawSession(address);
  sessions.push(s);
  return s;
}

it('elects a leader and grants with the default timing; default and maximum TTL', async () => {
  const leader = await cluster.waitLeader(30_000);
  const a = session(cluster.address(leader));
  const opened = await a.open(0);
  expect(Number(opened.ttlMs)).toBe(10_000);
  a.lock(1, 'defaults/1');
  expect((await a.granted(1)).token).toBeGreaterThan(0);

  const max = session(cluster.address(leader));
  expect(Number((await max.open(300_000)).ttlMs)).toBe(300_000);

  const over = session(cluster.address(leader));
  over.send({ open: { sessionId: '', ttlMs: 300_001, clientName: 'too-long' } });
  const end = await over.waitEnd();
  expect(end.code).toBe(grpc.status.INVALID_ARGUMENT);
  expect(end.details).toContain('300001');
  expect(end.details).toContain('[1000, 300000]');
});
