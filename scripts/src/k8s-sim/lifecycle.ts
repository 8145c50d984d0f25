import * as fs from 'node:fs';
import { HELD_LOCK, Workload } from './workload';
import type { SimStatefulSet } from './stateful-set';

export interface StepReport {
  readonly step: number;
  readonly name: string;
  ok: boolean;
  ms: number;
  /** Longest time in the step without a grant of the workload's lock. */
  longestUnavailableMs: number;
  /** Longest time in the step without a leader answering. */
  longestNoLeaderMs: number;
  readonly figures: Record<string, number | string>;
  error?: string;
}

export interface LifecycleOptions {
  readonly deadMemberTimeoutMs: number;
  readonly readyTimeoutMs: number;
  readonly log: (line: string) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, k) => from + k);

/** Samples the leader every 200 ms; reports the longest stretch with none answering. */
class LeaderWatch {
  private stopped = false;
  private longest = 0;
  private readonly done: Promise<void>;
  constructor(private readonly sts: SimStatefulSet) {
    this.done = this.run();
  }
  private async run(): Promise<void> {
    let lastSeen = performance.now();
    while (!this.stopped) {
      const st = await this.sts.leaderStatus();
      const now = performance.now();
      if (st !== null && st.leaderId !== '') lastSeen = now;
      this.longest = Math.max(this.longest, now - lastSeen);
      await sleep(200);
    }
  }
  async stop(): Promise<number> {
    this.stopped = true;
    await this.done;
    return Math.round(this.longest);
  }
}

type Figures = Record<string, number | string>;

/**
 * The seven steps of issue 13 §4 against a simulated StatefulSet, with the workload's checks
 * after each. A failed step is reported and ends the run (the later steps assume it held).
 */
export async function runLifecycle(sts: SimStatefulSet, o: LifecycleOptions): Promise<{ steps: StepReport[]; violations: string[] }> {
  return new Lifecycle(sts, o).run();
}

/** One run of the lifecycle: the steps in order, each a method, sharing the workload. */
class Lifecycle {
  private readonly R: number;
  private readonly steps: StepReport[] = [];
  private readonly workload: Workload;

  constructor(
    private readonly sts: SimStatefulSet,
    private readonly o: LifecycleOptions,
  ) {
    this.R = sts.o.spec.replicas;
    this.workload = new Workload({ endpoints: sts.clientEndpoints(this.R + 2), dialMap: sts.dialMap(this.R + 2), workers: 2, ttlMs: 15_000, holderTtlMs: 60_000 });
  }

  async run(): Promise<{ steps: StepReport[]; violations: string[] }> {
    const R = this.R;
    try {
      const ok =
        (await this.step(1, `parallel start of ${R} pods: a leader is elected and every pod becomes ready`, (f) => this.startAll(f))) &&
        (await this.step(2, `scale to ${R + 2}: the new pods join by themselves and become voters`, (f) => this.scaleUp(f))) &&
        (await this.step(3, 'rolling restart, highest ordinal first, gated on /readyz: no member removed, no hold lost', (f) => this.rollingRestart(f))) &&
        (await this.step(4, `scale back to ${R}: the removed members leave the configuration`, (f) => this.scaleDown(f))) &&
        (await this.step(5, 'pod 1 deleted with its PVC: back empty, it rejoins safely and the cluster keeps quorum', (f) => this.wipePod1(f))) &&
        (await this.step(6, 'every pod deleted and recreated with its PVC: same state, tokens keep growing', (f) => this.recreateAll(f))) &&
        (await this.step(7, 'a drain of two pods at once: the PDB refuses the second eviction until the first pod is back; quorum kept', (f) => this.drain(f)));
      this.o.log(ok ? 'every step passed' : 'a step failed; the run stops there');
    } finally {
      await this.workload.stop();
    }
    return { steps: this.steps, violations: this.workload.violations };
  }

  private names(ords: readonly number[]): string[] {
    return ords.map((i) => this.sts.podName(i)).sort();
  }

  private async waitConfig(voters: readonly number[], timeoutMs: number, what: string): Promise<number> {
    const t0 = performance.now();
    const want = this.names(voters).join(',');
    let last = 'no leader';
    while (performance.now() - t0 < timeoutMs) {
      const c = await this.sts.configuration();
      if (c !== null) {
        last = `voters ${c.voters.join(',')} learners ${c.learners.join(',') || '-'}`;
        if (c.voters.join(',') === want && c.learners.length === 0) return Math.round(performance.now() - t0);
      }
      await sleep(100);
    }
    throw new Error(`${what}: the configuration is not voters ${want} within ${timeoutMs} ms (${last})`);
  }

  /** The cluster serves: a grant happens after now. */
  private async waitServing(): Promise<void> {
    const before = this.workload.grants;
    const t0 = performance.now();
    while (this.workload.grants === before) {
      if (performance.now() - t0 > 30_000) throw new Error('no grant of the workload within 30 s: the cluster does not serve');
      await sleep(50);
    }
  }

  private async step(n: number, name: string, body: (figures: Figures) => Promise<void>): Promise<boolean> {
    const { o, workload } = this;
    const figures: Figures = {};
    const rep: StepReport = { step: n, name, ok: false, ms: 0, longestUnavailableMs: 0, longestNoLeaderMs: 0, figures };
    this.steps.push(rep);
    o.log(`step ${n}: ${name}`);
    const t0 = performance.now();
    const watch = n > 1 ? new LeaderWatch(this.sts) : null;
    try {
      await body(figures);
      if (n > 1) await this.waitServing();
      rep.ok = workload.violations.length === 0;
      if (!rep.ok) rep.error = workload.violations.join('; ');
    } catch (e) {
      rep.error = e instanceof Error ? e.message : String(e);
    }
    rep.longestNoLeaderMs = (await watch?.stop()) ?? 0;
    const t1 = performance.now();
    rep.ms = Math.round(t1 - t0);
    rep.longestUnavailableMs = n > 1 ? workload.longestGapMs(t0, t1) : 0;
    o.log(`step ${n}: ${rep.ok ? 'ok' : `FAILED: ${rep.error ?? ''}`} in ${rep.ms} ms; longest unavailability ${rep.longestUnavailableMs} ms, longest without a leader ${rep.longestNoLeaderMs} ms; ${JSON.stringify(figures)}`);
    return rep.ok;
  }

  private async recreate(i: number, figures: Figures, key: string): Promise<void> {
    const del = await this.sts.deletePod(i);
    figures[`${key}StopMs`] = Math.max(Number(figures[`${key}StopMs`] ?? 0), del.ms);
    if (del.killed) throw new Error(`${this.sts.podName(i)} did not stop within terminationGracePeriodSeconds and was SIGKILLed`);
    this.sts.createPod(i);
    figures[`${key}ReadyMs`] = Math.max(Number(figures[`${key}ReadyMs`] ?? 0), await this.sts.waitReady([i], this.o.readyTimeoutMs));
  }

  /** Step 1. */
  private async startAll(f: Figures): Promise<void> {
    const { sts, R } = this;
    for (const i of range(0, R)) sts.createPod(i);
    f['readyMs'] = await sts.waitReady(range(0, R), this.o.readyTimeoutMs);
    await this.waitConfig(range(0, R), 10_000, 'bootstrap');
    await this.workload.start();
    f['heldToken'] = this.workload.held?.token ?? 0;
  }

  /** Step 2. */
  private async scaleUp(f: Figures): Promise<void> {
    const { sts, R } = this;
    for (const i of range(R, R + 2)) sts.createPod(i);
    f['joinedAsVotersMs'] = await this.waitConfig(range(0, R + 2), 60_000, 'scale up');
    f['readyMs'] = await sts.waitReady(range(R, R + 2), this.o.readyTimeoutMs);
  }

  /** Step 3. */
  private async rollingRestart(f: Figures): Promise<void> {
    for (const i of range(0, this.R + 2).reverse()) await this.recreate(i, f, 'max');
    await this.waitConfig(range(0, this.R + 2), 10_000, 'after the rolling restart');
  }

  /** Step 4. */
  private async scaleDown(f: Figures): Promise<void> {
    const { sts, R, o } = this;
    const stopped = await Promise.all(range(R, R + 2).map((i) => sts.deletePod(i)));
    f['stopMs'] = Math.max(...stopped.map((s) => s.ms));
    f['boundMs'] = o.deadMemberTimeoutMs + 10_000;
    f['removedMs'] = await this.waitConfig(range(0, R), o.deadMemberTimeoutMs + 10_000, 'scale down');
  }

  /** Step 5. */
  private async wipePod1(f: Figures): Promise<void> {
    const { sts } = this;
    const from = fs.existsSync(sts.logFile(1)) ? fs.statSync(sts.logFile(1)).size : 0;
    await sts.deletePod(1);
    sts.deletePvc(1);
    const t0 = performance.now();
    sts.createPod(1);
    await sts.waitReady([1], this.o.readyTimeoutMs);
    await this.waitConfig(range(0, this.R), 30_000, 'rejoin');
    f['rejoinedAsVoterMs'] = Math.round(performance.now() - t0);
    const log = fs.readFileSync(sts.logFile(1), 'utf8').slice(from);
    if (!log.includes('old incarnation of this node was removed')) throw new Error(`${sts.podName(1)} came back empty without removing its old incarnation first`);
    if (log.includes('bootstrapping a new cluster')) throw new Error(`${sts.podName(1)} bootstrapped a new cluster from an empty PVC`);
  }

  /** Step 6. */
  private async recreateAll(f: Figures): Promise<void> {
    const { sts, R, workload } = this;
    const before = workload.highestToken;
    const held = workload.held?.token ?? 0;
    await Promise.all(range(0, R).map((i) => sts.deletePod(i)));
    for (const i of range(0, R)) sts.createPod(i);
    f['readyMs'] = await sts.waitReady(range(0, R), this.o.readyTimeoutMs);
    await this.waitConfig(range(0, R), 10_000, 'after recreating every pod');
    const info = await sts.admin.describeLock(HELD_LOCK, { deadlineMs: 2000 });
    const holder = info.holders[0];
    if (holder?.token !== held) throw new Error(`${HELD_LOCK} is held with token ${holder?.token ?? 'none'}, not ${held}`);
    await this.waitServing();
    if (workload.highestToken <= before) throw new Error(`token ${workload.highestToken} after the restart is not above ${before}`);
    f['tokenBefore'] = before;
    f['tokenAfter'] = workload.highestToken;
  }

  /** Step 7. */
  private async drain(f: Figures): Promise<void> {
    const counter = { refused: 0 };
    const drain = [0, 1];
    const evicted = new Set<number>();
    const t0 = performance.now();
    while (evicted.size < drain.length) {
      if (performance.now() - t0 > 120_000) throw new Error('the drain did not finish within 120 s');
      // kubectl drain asks for every pod's eviction at once, then retries the refused ones.
      const answers = [];
      for (const i of drain.filter((k) => !evicted.has(k))) answers.push({ i, ok: await this.evict(i, counter) });
      for (const a of answers) if (a.ok) evicted.add(a.i);
      await sleep(500);
    }
    await this.sts.waitReady(range(0, this.R), this.o.readyTimeoutMs);
    f['refusedEvictions'] = counter.refused;
    if (counter.refused === 0) throw new Error('the PDB never refused an eviction: both pods were down at once');
  }

  /** The eviction API: allowed while the healthy pods exceed replicas - maxUnavailable. */
  private async evict(i: number, counter: { refused: number }): Promise<boolean> {
    const { sts, R } = this;
    const pdb = sts.o.spec.pdbMaxUnavailable;
    const healthy = (await Promise.all(range(0, R).map((k) => (sts.isRunning(k) ? sts.probeReady(k) : false)))).filter(Boolean).length;
    if (healthy - (R - pdb) < 1) {
      counter.refused++;
      return false; // 429: "Cannot evict pod as it would violate the pod's disruption budget"
    }
    await sts.deletePod(i);
    sts.createPod(i); // the StatefulSet controller recreates it (elsewhere), with its PVC
    return true;
  }
}
