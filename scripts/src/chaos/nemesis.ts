import * as fs from 'node:fs';
import * as path from 'node:path';
import { AdminClient } from '@quorumlock/client';
import type { CoordinatorCluster, FaultMode, FaultProxy } from '@quorumlock/coordinator/testing';
import type { SeededRng } from '@quorumlock/raft';
import { chaosClientTls } from './chaos-tls';

/** The kinds of fault the nemesis injects. */
export type FaultKind =
  | 'killLeader'
  | 'killFollower'
  | 'pauseLeaderShort'
  | 'pauseLeaderLong'
  | 'isolateLeader'
  | 'isolateLeaderWithClient'
  | 'splitMinority'
  | 'oneWayLoss'
  | 'slowLinks'
  | 'isolateWorker'
  | 'killWorker'
  | 'killHolderAmidElections'
  | 'removeReAdd'
  | 'clockStep';

export const ALL_FAULTS: readonly FaultKind[] = [
  'killLeader', 'killFollower', 'pauseLeaderShort', 'pauseLeaderLong', 'isolateLeader', 'isolateLeaderWithClient', 'splitMinority',
  'oneWayLoss', 'slowLinks', 'isolateWorker', 'killWorker', 'killHolderAmidElections', 'removeReAdd',
  'clockStep',
];

/** killHolderAmidElections stops waiting for the dead worker's holds after this many TTLs. */
export const FREE_GIVE_UP_TTLS = 3;

/** removeReAdd: the wiped node must be a caught-up voter again within this. */
export const REJOIN_BOUND_MS = 15_000;

/** One injected fault, as the report shows it. */
export interface FaultRecord {
  readonly kind: FaultKind;
  readonly at: number;
  healedAt: number;
  readonly detail: string;
  /** Workers whose links or process this fault touched (excuses their session expiry). */
  readonly workers: readonly string[];
  /**
   * killHolderAmidElections: milliseconds from the kill until the last of the dead worker's
   * holds was gone from the leader's view (Infinity: still there when the nemesis gave up).
   */
  freedAfterMs?: number;
  /** killHolderAmidElections: leader transfers made while waiting (each new term may add the clock-skew allowance). */
  transfers?: number;
  /**
   * Set when the injection or its healing failed (the fault may not have happened as recorded,
   * and its recovery is not measured): the run counts it as a violation.
   */
  error?: string;
}

/** A hold of a killed worker that killHolderAmidElections waits to see freed. */
interface HeldLock {
  readonly name: string;
  readonly session: string;
  readonly token: number;
}

/** A fault the schedule picked that did not run for want of a target (no leader, no holder...). */
export interface SkippedFault {
  readonly kind: FaultKind;
  readonly at: number;
  readonly reason: string;
}

export interface NemesisHooks {
  /** Directed peer link proxies: `${from}>${to}`. */
  readonly peerProxies: ReadonlyMap<string, FaultProxy>;
  /** A worker's client proxies. */
  workerProxies(worker: string): readonly FaultProxy[];
  runningWorkers(): string[];
  /** SIGKILL a worker (recording the time) and start a replacement under a new id. */
  killWorker(worker: string): Promise<void>;
  /** Timing of the cluster, for fault durations. */
  readonly electionTimeoutMs: number;
  readonly ttlMs: number;
}

/**
 * CLOCK_MONOTONIC, one clock for every process of the run (performance.timeOrigin is fixed per
 * process at start and can differ between processes by a millisecond or two).
 */
const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Injects one fault at a time, chosen and timed by a seeded PRNG, and heals it before the next;
 * every fault is logged with its times. The schedule of choices replays for a seed; the cluster's
 * reactions are real processes and so vary run to run.
 */
export class Nemesis {
  readonly log: FaultRecord[] = [];
  /** Faults the schedule picked but that found nothing to act on. */
  readonly skipped: SkippedFault[] = [];
  private admin: AdminClient;

  constructor(
    private readonly cluster: CoordinatorCluster,
    private readonly rng: SeededRng,
    private readonly hooks: NemesisHooks,
    private readonly say: (s: string) => void,
    private readonly kinds: readonly FaultKind[] = ALL_FAULTS,
  ) {
    this.admin = new AdminClient({ endpoints: cluster.endpoints(), tls: chaosClientTls(cluster) });
  }

  private async leader(): Promise<string | null> {
    try {
      return await this.cluster.waitLeader(8000, this.cluster.ids.filter((id) => this.cluster.isRunning(id)));
    } catch {
      return null;
    }
  }

  private setLinks(pred: (from: string, to: string) => boolean, mode: FaultMode | 'drop' | 'pass'): void {
    for (const [key, proxy] of this.hooks.peerProxies) {
      const [from, to] = key.split('>') as [string, string];
      if (pred(from, to)) proxy.setMode(mode);
    }
  }

  private healLinks(): void {
    for (const p of this.hooks.peerProxies.values()) p.setMode('pass');
  }

  /** Inject faults until `until` (ms, monotonic); returns after the last one healed. */
  async run(until: number): Promise<void> {
    while (now() < until) {
      await sleep(this.rng.int(1500, 3500));
      if (now() >= until) break;
      const kind = this.rng.pick(this.kinds);
      const before = this.log.length;
      try {
        await this.inject(kind);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        this.say(`nemesis: ${kind} could not run: ${message}`);
        this.healLinks();
        // A failed injection is not a fault that happened and healed: the run judges it.
        const r = this.log.length > before ? this.log[this.log.length - 1] : undefined;
        if (r !== undefined) r.error = message;
        else this.log.push({ kind, at: now(), healedAt: 0, detail: 'failed before it was injected', workers: [], error: message });
      }
    }
  }

  private skip(kind: FaultKind, reason: string): void {
    this.skipped.push({ kind, at: now(), reason });
    this.say(`nemesis: ${kind} skipped: ${reason}`);
  }

  private record(kind: FaultKind, detail: string, workers: readonly string[] = []): FaultRecord {
    const r: FaultRecord = { kind, at: now(), healedAt: 0, detail, workers };
    this.log.push(r);
    this.say(`nemesis: ${kind} ${detail}`);
    return r;
  }

  private healed(r: FaultRecord): void {
    r.healedAt = now();
    this.say(`nemesis: healed ${r.kind} after ${Math.round(r.healedAt - r.at)} ms`);
  }

  /** One injector per fault kind; each records its fault, injects it and heals it (or skips). */
  private readonly injectors: Readonly<Record<FaultKind, (kind: FaultKind) => Promise<void>>> = {
    killLeader: (k) => this.killServer(k),
    killFollower: (k) => this.killServer(k),
    pauseLeaderShort: (k) => this.pauseLeader(k),
    pauseLeaderLong: (k) => this.pauseLeader(k),
    isolateLeader: (k) => this.isolateLeader(k),
    isolateLeaderWithClient: (k) => this.isolateLeaderWithClient(k),
    splitMinority: (k) => this.splitMinority(k),
    oneWayLoss: (k) => this.oneWayLoss(k),
    slowLinks: (k) => this.slowLinks(k),
    isolateWorker: (k) => this.isolateWorker(k),
    killWorker: (k) => this.killWorker(k),
    killHolderAmidElections: (k) => this.killHolderAmidElections(k),
    clockStep: (k) => this.clockStep(k),
    removeReAdd: (k) => this.removeReAdd(k),
  };

  private inject(kind: FaultKind): Promise<void> {
    return this.injectors[kind](kind);
  }

  /** Apply a peer-link mode for 2-4 s, then heal every link. */
  private async linksFor(pred: (from: string, to: string) => boolean, mode: FaultMode | 'drop' | 'pass'): Promise<void> {
    this.setLinks(pred, mode);
    await sleep(this.rng.int(2000, 4000));
    this.healLinks();
  }

  private runningFollowers(leader: string): string[] {
    return this.cluster.ids.filter((id) => id !== leader && this.cluster.isRunning(id));
  }

  private async killServer(kind: FaultKind): Promise<void> {
    const leader = await this.leader();
    if (leader === null) return this.skip(kind, 'no leader');
    const target = kind === 'killLeader' ? leader : this.rng.pick(this.runningFollowers(leader));
    const r = this.record(kind, `SIGKILL ${target}`);
    await this.cluster.kill(target);
    await sleep(this.rng.int(500, 3000));
    await this.cluster.start(target);
    this.healed(r);
  }

  private async pauseLeader(kind: FaultKind): Promise<void> {
    const leader = await this.leader();
    if (leader === null) return this.skip(kind, 'no leader');
    // Short: below the election timeout (nobody should notice). Long: past the TTL.
    const ms = kind === 'pauseLeaderShort' ? Math.floor(this.hooks.electionTimeoutMs * 0.5) : this.hooks.ttlMs + this.rng.int(500, 1500);
    const r = this.record(kind, `SIGSTOP ${leader} for ${ms} ms`);
    this.cluster.pause(leader);
    await sleep(ms);
    this.cluster.resume(leader);
    this.healed(r);
  }

  private async isolateLeader(kind: FaultKind): Promise<void> {
    const leader = await this.leader();
    if (leader === null) return this.skip(kind, 'no leader');
    const r = this.record(kind, `drop every peer link of ${leader}`);
    await this.linksFor((f, t) => f === leader || t === leader, 'drop');
    this.healed(r);
  }

  private async isolateLeaderWithClient(kind: FaultKind): Promise<void> {
    // The leader loses its peers while one worker can reach only that stale leader (same
    // zone): the worker must stop trusting its holds before the majority expires its session.
    const ids = this.cluster.ids;
    const leader = await this.leader();
    const workers = this.hooks.runningWorkers();
    if (leader === null || workers.length === 0) return this.skip(kind, leader === null ? 'no leader' : 'no worker');
    const w = this.rng.pick(workers);
    const others = ids.map((id) => ids.indexOf(id)).filter((i) => ids[i] !== leader);
    const r = this.record(kind, `drop every peer link of ${leader}; ${w} reaches only ${leader}`, [w]);
    this.setLinks((f, t) => f === leader || t === leader, 'drop');
    const proxies = this.hooks.workerProxies(w);
    for (const i of others) proxies[i]?.setMode('drop');
    await sleep(this.rng.int(2500, 4000));
    this.healLinks();
    for (const p of proxies) p.setMode('pass');
    this.healed(r);
  }

  private async splitMinority(kind: FaultKind): Promise<void> {
    const ids = this.cluster.ids;
    const shuffled = ids.slice().sort(() => this.rng.next() - 0.5);
    const minority = new Set(shuffled.slice(0, Math.floor((ids.length - 1) / 2)));
    const r = this.record(kind, `partition {${[...minority].join(',')}} | {${ids.filter((id) => !minority.has(id)).join(',')}}`);
    await this.linksFor((f, t) => minority.has(f) !== minority.has(t), 'drop');
    this.healed(r);
  }

  private async oneWayLoss(kind: FaultKind): Promise<void> {
    const leader = await this.leader();
    if (leader === null) return this.skip(kind, 'no leader');
    const to = this.rng.pick(this.cluster.ids.filter((id) => id !== leader));
    const r = this.record(kind, `drop ${leader} -> ${to} only`);
    await this.linksFor((f, t) => f === leader && t === to, 'drop');
    this.healed(r);
  }

  private async slowLinks(kind: FaultKind): Promise<void> {
    const delayMs = this.rng.int(20, 120);
    const r = this.record(kind, `delay every peer link by ${delayMs} ms`);
    await this.linksFor(() => true, { kind: 'delay', ms: delayMs });
    this.healed(r);
  }

  private async isolateWorker(kind: FaultKind): Promise<void> {
    const workers = this.hooks.runningWorkers();
    if (workers.length === 0) return this.skip(kind, 'no worker');
    const w = this.rng.pick(workers);
    const ms = this.hooks.ttlMs + this.rng.int(500, 2000);
    const r = this.record(kind, `drop every client link of ${w} for ${ms} ms`, [w]);
    for (const p of this.hooks.workerProxies(w)) p.setMode('drop');
    await sleep(ms);
    for (const p of this.hooks.workerProxies(w)) p.setMode('pass');
    this.healed(r);
  }

  private async killWorker(kind: FaultKind): Promise<void> {
    const workers = this.hooks.runningWorkers();
    if (workers.length === 0) return this.skip(kind, 'no worker');
    const w = this.rng.pick(workers);
    const r = this.record(kind, `SIGKILL worker ${w} (replaced by a new one)`, [w]);
    await this.hooks.killWorker(w);
    this.healed(r);
  }

  private async killHolderAmidElections(kind: FaultKind): Promise<void> {
    // etcd #9888 in a test: a crashed client's holds must come free within its TTL (plus
    // failover) even while leadership keeps moving, i.e. a new leader must not restart the
    // lease clocks of sessions it inherits. Elections every ~ttl/4 put several in one TTL.
    const { ttlMs } = this.hooks;
    const running = new Set(this.hooks.runningWorkers());
    const locks = await this.admin.listLocks();
    const holders = [...new Set(locks.flatMap((l) => l.holders.map((h) => h.clientName)).filter((c) => running.has(c)))].sort();
    if (holders.length === 0) return this.skip(kind, 'no worker holds a lock');
    const w = this.rng.pick(holders);
    const held = locks.flatMap((l) => l.holders.filter((h) => h.clientName === w).map((h) => ({ name: l.name, session: h.sessionId, token: h.token })));
    const r = this.record(kind, `SIGKILL worker ${w} holding ${held.map((h) => `${h.name}#${h.token}`).join(', ')}, leadership moved every ${Math.round(ttlMs / 4)} ms`, [w]);
    const killedAt = now();
    await this.hooks.killWorker(w);
    const { freedAt, transfers } = await this.awaitHoldsFreed(held, killedAt);
    r.freedAfterMs = freedAt - killedAt;
    r.transfers = transfers;
    this.say(`nemesis: ${w}'s holds ${Number.isFinite(freedAt) ? `came free after ${Math.round(freedAt - killedAt)} ms` : `still held after ${FREE_GIVE_UP_TTLS * ttlMs} ms`} (${transfers} leader transfers)`);
    this.healed(r);
  }

  /**
   * Poll the leader until none of `held` is held any more, moving leadership every ttl/4 (at most
   * 6 times) meanwhile; gives up after FREE_GIVE_UP_TTLS TTLs (freedAt Infinity).
   */
  private async awaitHoldsFreed(
    held: readonly HeldLock[],
    killedAt: number,
  ): Promise<{ freedAt: number; transfers: number }> {
    const { ttlMs } = this.hooks;
    const pending = new Map(held.map((h) => [h.name, h]));
    const giveUpAt = killedAt + FREE_GIVE_UP_TTLS * ttlMs;
    let nextTransfer = killedAt + ttlMs / 8;
    let transfers = 0;
    while (now() < giveUpAt) {
      if (now() >= nextTransfer && transfers < 6) {
        transfers++;
        nextTransfer = now() + ttlMs / 4;
        await this.admin.transferLeader('', { deadlineMs: 2000, signal: AbortSignal.timeout(2000) }).catch(() => undefined);
      }
      for (const [name, h] of pending) {
        const info = await this.admin.describeLock(name, { deadlineMs: 1000, signal: AbortSignal.timeout(1000) }).catch((e: unknown) => ((e as { code?: string }).code === 'ERR_NOT_FOUND' ? null : undefined));
        if (info === undefined) continue; // unknown right now (e.g. mid-election): ask again
        if (info === null || !info.holders.some((x) => x.sessionId === h.session && x.token === h.token)) pending.delete(name);
      }
      if (pending.size === 0) return { freedAt: now(), transfers };
      await sleep(50);
    }
    return { freedAt: Infinity, transfers };
  }

  private async clockStep(kind: FaultKind): Promise<void> {
    // An NTP step, a VM resume or `date -s` on one server (its Date only): nothing may notice,
    // not even a leader that took over with its clock stepped.
    const leader = await this.leader();
    if (leader === null) return;
    const followers = this.runningFollowers(leader);
    const target = this.rng.next() < 0.5 || followers.length === 0 ? leader : this.rng.pick(followers);
    const ms = (this.rng.next() < 0.5 ? -1 : 1) * this.rng.int(1000, 300_000);
    const handOver = target !== leader && this.rng.next() < 0.5;
    const r = this.record(kind, `step ${target}'s wall clock by ${ms > 0 ? '+' : ''}${ms} ms (${target === leader ? 'the leader' : handOver ? 'a follower, then made leader' : 'a follower'})`);
    try {
      await this.cluster.stepClock(target, ms);
      await sleep(this.rng.int(1000, 3000));
      if (handOver) await this.admin.transferLeader(target, { deadlineMs: 2000, signal: AbortSignal.timeout(2000) }).catch(() => undefined);
      await sleep(this.rng.int(1000, 3000));
    } finally {
      await this.cluster.stepClock(target, 0);
    }
    this.healed(r);
  }

  private async removeReAdd(kind: FaultKind): Promise<void> {
    const leader = await this.leader();
    if (leader === null) return this.skip(kind, 'no leader');
    const target = this.rng.pick(this.runningFollowers(leader));
    const r = this.record(kind, `remove ${target}, wipe it, re-add it as a new learner`);
    await this.cluster.kill(target);
    await this.admin.removeMember(target);
    fs.rmSync(path.join(this.cluster.baseDir, target), { recursive: true, force: true });
    await this.cluster.start(target, ['--join']);
    await this.admin.addMember(target, this.cluster.peerAddress(target), this.cluster.address(target));
    // Healed only once the cluster is whole again, the re-added node a voter.
    const short = await this.awaitVoterRejoined(target);
    if (short !== '') throw new Error(short);
    this.healed(r);
  }

  /** '' once the cluster is whole with `target` a voter; else why not, after REJOIN_BOUND_MS. */
  private async awaitVoterRejoined(target: string): Promise<string> {
    const total = this.cluster.ids.length;
    const wholeBy = now() + REJOIN_BOUND_MS;
    let short = `${target} not back as a voter within ${REJOIN_BOUND_MS} ms`;
    while (now() < wholeBy) {
      const st = await this.admin.leaderStatus({ deadlineMs: 1000, signal: AbortSignal.timeout(1000) }).catch(() => undefined);
      const m = st?.members.find((x) => x.id === target);
      if (st !== undefined && st.members.length === total && m !== undefined && m.voter) return '';
      if (st !== undefined) short = `cluster left short: ${st.members.length}/${total} members, ${target} ${m === undefined ? 'absent' : m.voter ? 'voter' : 'learner'}`;
      await sleep(100);
    }
    return short;
  }

  close(): void {
    this.admin.close();
  }
}
