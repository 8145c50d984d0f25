/**
 * Peers are who they say they are (issue 11 §2, §6), with real processes and certificates made
 * per run by Debian's openssl. A forger in the test process speaks the real peer protocol (a
 * GrpcTransport claiming to be a member) and, every tick, sends every node heartbeats, votes
 * (`transfer`, so the leader-lease check is skipped) and TimeoutNow at ever higher terms:
 * - against a plaintext cluster (the control), this moves the term: the forgery works;
 * - with peer TLS on, plaintext forgeries to every peer port for 6 s change neither leader nor term;
 * - a peer with a certificate from the cluster's CA that names another member, or no member, and a
 *   peer with no certificate, cannot depose the leader either; the named-other-member streams are
 *   refused by the identity check and counted in quorumlock_peer_identity_rejected_total.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { createPeerTls, GrpcTransport, type Message, type PeerSecurity } from '@quorumlock/raft';
import { CoordinatorCluster, TestCa, type StatusView } from '@quorumlock/coordinator/testing';

jest.setTimeout(120_000);

const TICK_MS = 100;
const ELECTION_TICKS = 10;
/** The forgery window the issue asks for. */
const FORGE_MS = 6_000;

let dir: string;
let ca: TestCa;
const clusters: CoordinatorCluster[] = [];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quorumlock-peer-tls-'));
  ca = new TestCa(path.join(dir, 'pki'));
});

afterAll(async () => {
  for (const c of clusters) await c.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function startCluster(name: string, tls: boolean): Promise<CoordinatorCluster> {
  const c = await CoordinatorCluster.create({
    size: 3,
    baseDir: path.join(dir, name),
    metrics: true,
    args: ['--tick-ms', String(TICK_MS), '--election-ticks', String(ELECTION_TICKS)],
    ...(tls ? { tls: { ca, client: false } } : {}),
  });
  clusters.push(c);
  await c.startAll();
  await c.waitLeader(20_000);
  return c;
}

/** Every node's view: leader and term. */
async function views(c: CoordinatorCluster): Promise<Array<Pick<StatusView, 'leaderId' | 'term' | 'answeredBy'>>> {
  return Promise.all(c.ids.map(async (id) => c.status(id, 2000).then((s) => ({ leaderId: s.leaderId, term: s.term, answeredBy: s.answeredBy }))));
}

/** The forged messages one claimed member sends to `to` at `term`. */
function forgeries(from: string, to: string, term: number): Message[] {
  return [
    { type: 'heartbeat', from, to, term, commit: 0, ctx: '' },
    { type: 'vote', from, to, term, lastIndex: 1_000_000_000, lastTerm: term, transfer: true },
    { type: 'timeoutNow', from, to, term },
  ];
}

/**
 * For `ms`, every tick: each claimed id sends forgeries to every node, at a term above the highest
 * seen. `samples` gets every node's view as it goes. Returns the transports' send counts.
 */
async function forge(
  c: CoordinatorCluster,
  claimed: readonly string[],
  security: PeerSecurity | undefined,
  ms: number,
  stop: (seen: Array<Pick<StatusView, 'leaderId' | 'term'>>) => boolean = () => false,
): Promise<{ sent: number; samples: Array<Array<Pick<StatusView, 'leaderId' | 'term'>>> }> {
  const peers: Record<string, string> = {};
  for (const id of c.ids) peers[id] = c.peerAddress(id);
  const forgers = claimed.map(
    (selfId) =>
      new GrpcTransport({ clusterId: 'quorumlock', selfId, listenAddress: '127.0.0.1:0', peers, backoff: { initialMs: TICK_MS, maxMs: TICK_MS }, ...(security ? { security } : {}) }),
  );
  const samples: Array<Array<Pick<StatusView, 'leaderId' | 'term'>>> = [];
  let term = Math.max(...(await views(c)).map((v) => v.term)) + 10;
  const deadline = Date.now() + ms;
  try {
    while (Date.now() < deadline) {
      term++;
      for (const f of forgers) {
        const from = claimed[forgers.indexOf(f)] ?? '';
        f.send(c.ids.filter((to) => to !== from).flatMap((to) => forgeries(from, to, term)));
      }
      const seen = await views(c).catch(() => null);
      if (seen !== null) {
        samples.push(seen);
        if (stop(seen)) break;
      }
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
  } finally {
    for (const f of forgers) await f.close();
  }
  return { sent: forgers.reduce((n, f) => n + f.stats().envelopesSent, 0), samples };
}

/**
 * Every sample shows the same leader and term as `before`; there are enough of them to have
 * watched the whole window (one per tick at best, a quarter of that under load).
 */
function expectUnchanged(before: Array<Pick<StatusView, 'leaderId' | 'term'>>, samples: Array<Array<Pick<StatusView, 'leaderId' | 'term'>>>, minSamples = FORGE_MS / (4 * TICK_MS)): void {
  const first = before[0];
  expect(first).toBeDefined();
  expect(samples.length).toBeGreaterThanOrEqual(minSamples);
  for (const s of samples) for (const v of s) expect({ leaderId: v.leaderId, term: v.term }).toEqual({ leaderId: first?.leaderId, term: first?.term });
}

function metric(c: CoordinatorCluster, id: string, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(`http://${c.metricsAddress(id)}/metrics`, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => {
          const line = body.split('\n').find((l) => l.startsWith(`${name} `));
          resolve(line === undefined ? NaN : Number(line.split(' ')[1]));
        });
      })
      .on('error', reject);
  });
}

describe('forged peer messages', () => {
  it('control: against a plaintext peer port the forger moves the term', async () => {
    const c = await startCluster('plain', false);
    const before = await views(c);
    const leader = before[0]?.leaderId ?? '';
    const startTerm = Math.max(...before.map((v) => v.term));
    const { sent, samples } = await forge(c, [leader, ...c.ids.filter((id) => id !== leader)], undefined, FORGE_MS, (seen) => seen.some((v) => v.term > startTerm));
    expect(sent).toBeGreaterThan(0);
    expect(samples.some((s) => s.some((v) => v.term > startTerm))).toBe(true);
    await c.destroy();
  });

  describe('with peer TLS on', () => {
    let c: CoordinatorCluster;
    beforeAll(async () => {
      c = await startCluster('tls', true);
    });

    it('plaintext heartbeats, votes and TimeoutNow to every peer port for 6 s leave leader and term unchanged', async () => {
      const before = await views(c);
      const leader = before[0]?.leaderId ?? '';
      const { samples } = await forge(c, [leader, ...c.ids.filter((id) => id !== leader), 'n9'], undefined, FORGE_MS);
      expectUnchanged(before, samples);
      expectUnchanged(before, [await views(c)], 1);
    });

    it('a certificate from the cluster CA naming another member (or none) cannot depose the leader; the streams are counted', async () => {
      const before = await views(c);
      const leader = before[0]?.leaderId ?? '';
      const followers = c.ids.filter((id) => id !== leader);
      const rejectedBefore = await Promise.all(c.ids.map((id) => metric(c, id, 'quorumlock_peer_identity_rejected_total')));
      expect(rejectedBefore.every((n) => n === 0)).toBe(true);
      // Certified as the second follower, claiming the leader and the first follower.
      const other = ca.peer(followers[1] ?? 'n3', 'rogue-names-other');
      const named = createPeerTls({ certFile: other.cert, keyFile: other.key, caFile: ca.caFile });
      const asOther = forge(c, [leader, followers[0] ?? ''], named, FORGE_MS);
      // Certified as no member at all, claiming every member.
      const nobody = ca.issue('rogue-names-nobody', 'nobody', ['URI:quorumlock://evil', 'IP:127.0.0.1']);
      const unnamed = createPeerTls({ certFile: nobody.cert, keyFile: nobody.key, caFile: ca.caFile });
      const asNobody = forge(c, [...c.ids], unnamed, FORGE_MS);
      const [a, b] = await Promise.all([asOther, asNobody]);
      named.close();
      unnamed.close();
      expect(a.sent + b.sent).toBeGreaterThan(0);
      expectUnchanged(before, [...a.samples, ...b.samples]);
      const rejected = await Promise.all(c.ids.map((id) => metric(c, id, 'quorumlock_peer_identity_rejected_total')));
      // Every node was sent to by both forgers, over TLS that verified: the identity check refused them.
      for (const n of rejected) expect(n).toBeGreaterThan(0);
      const log = fs.readFileSync(c.logFile(leader), 'utf8');
      expect(log).toContain("the sender's certificate names member");
      expect(log).toContain('refusing raft stream');
    });

    it('a peer without a certificate cannot depose the leader', async () => {
      const before = await views(c);
      const leader = before[0]?.leaderId ?? '';
      const caPem = fs.readFileSync(ca.caFile);
      // TLS that trusts the cluster's CA, but presents no certificate of its own.
      const certless: PeerSecurity = {
        serverCredentials: grpc.ServerCredentials.createInsecure(),
        channelOptions: { 'grpc.ssl_target_name_override': 'quorumlock-peer' },
        channelCredentials: () => grpc.credentials.createSsl(caPem, null, null, { checkServerIdentity: () => undefined }),
        checkSender: () => null,
        close: () => undefined,
      };
      const { sent, samples } = await forge(c, [leader, ...c.ids.filter((id) => id !== leader)], certless, FORGE_MS);
      expect(sent).toBeGreaterThan(0);
      expectUnchanged(before, samples);
    });
  });
});
