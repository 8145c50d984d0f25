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

/**
 * The seven steps of issue 13 §4 against a simulated StatefulSet, with the workload's checks
 * after each. A failed step is reported and ends the run (the later steps assume it held).
 */
export async function runLifecycle(sts: SimStatefulSet, o: LifecycleOptions): Promise<{ steps: StepReport[]; violations: string[] }> {
  const R = sts.o.spec.replicas;
  const names = (ords: readonly number[]): string[] => ords.map((i) => sts.podName(i)).sort();
  const steps: StepReport[] = [];
  const workload = new Workload({ endpoints: sts.clientEndpoints(R + 2), dialMap: sts.dialMap(R + 2), workers: 2, ttlMs: 15_000, holderTtlMs: 60_000 });

  const waitConfig = async (voters: readonly number[], timeoutMs: number, what: string): Promise<number> => {
    const t0 = performance.now();
    const want = names(voters).join(',');
    let last = 'no leader';
    while (performance.now() - t0 < timeoutMs) {
      const c = await sts.configuration();
      if (c !== null) {
        last = `voters ${c.voters.join(',')} learners ${c.learners.join(',') || '-'}`;
        if (c.voters.join(',') === want && c.learners.length === 0) return Math.round(performance.now() - t0);
      }
      await sleep(100);
    }
    throw new Error(`${what}: the configuration is not voters ${want} within ${timeoutMs} ms (${last})`);
  };

  /** The cluster serves: a grant happens after now. */
  const waitServing = async (): Promise<void> => {
    const before = workload.grants;
    const t0 = performance.now();
    while (workload.grants === before) {
      if (performance.now() - t0 > 30_000) throw new Error('no grant of the workload within 30 s: the cluster does not serve');
      await sleep(50);
    }
  };

  const step = async (n: number, name: string, body: (figures: Record<string, number | string>) => Promise<void>): Promise<boolean> => {
    const figures: Record<string, number | string> = {};
    const rep: StepReport = { step: n, name, ok: false, ms: 0, longestUnavailableMs: 0, longestNoLeaderMs: 0, figures };
    steps.push(rep);
    o.log(`step ${n}: ${name}`);
    const t0 = performance.now();
    const watch = n > 1 ? new LeaderWatch(sts) : null;
    try {
      await body(figures);
      if (n > 1) await waitServing();
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
  };

  const recreate = async (i: number, figures: Record<string, number | string>, key: string): Promise<void> => {
    const del = await sts.deletePod(i);
    figures[`${key}StopMs`] = Math.max(Number(figures[`${key}StopMs`] ?? 0), del.ms);
    if (del.killed) throw new Error(`${sts.podName(i)} did not stop within terminationGracePeriodSeconds and was SIGKILLed`);
    sts.createPod(i);
    figures[`${key}ReadyMs`] = Math.max(Number(figures[`${key}ReadyMs`] ?? 0), await sts.waitReady([i], o.readyTimeoutMs));
  };

  try {
    const ok =
      (await step(1, `parallel start of ${R} pods: a leader is elected and every pod becomes ready`, async (f) => {
        for (const i of range(0, R)) sts.createPod(i);
        f['readyMs'] = await sts.waitReady(range(0, R), o.readyTimeoutMs);
        await waitConfig(range(0, R), 10_000, 'bootstrap');
        await workload.start();
        f['heldToken'] = workload.held?.token ?? 0;
      })) &&
      (await step(2, `scale to ${R + 2}: the new pods join by themselves and become voters`, async (f) => {
        for (const i of range(R, R + 2)) sts.createPod(i);
        f['joinedAsVotersMs'] = await waitConfig(range(0, R + 2), 60_000, 'scale up');
        f['readyMs'] = await sts.waitReady(range(R, R + 2), o.readyTimeoutMs);
      })) &&
      (await step(3, 'rolling restart, highest ordinal first, gated on /readyz: no member removed, no hold lost', async (f) => {
        for (const i of range(0, R + 2).reverse()) await recreate(i, f, 'max');
        await waitConfig(range(0, R + 2), 10_000, 'after the rolling restart');
      })) &&
      (await step(4, `scale back to ${R}: the removed members leave the configuration`, async (f) => {
        const stopped = await Promise.all(range(R, R + 2).map((i) => sts.deletePod(i)));
        f['stopMs'] = Math.max(...stopped.map((s) => s.ms));
        f['boundMs'] = o.deadMemberTimeoutMs + 10_000;
        f['removedMs'] = await waitConfig(range(0, R), o.deadMemberTimeoutMs + 10_000, 'scale down');
      })) &&
      (await step(5, 'pod 1 deleted with its PVC: back empty, it rejoins safely and the cluster keeps quorum', async (f) => {
        const from = fs.existsSync(sts.logFile(1)) ? fs.statSync(sts.logFile(1)).size : 0;
        await sts.deletePod(1);
        sts.deletePvc(1);
        const t0 = performance.now();
        sts.createPod(1);
        await sts.waitReady([1], o.readyTimeoutMs);
        await waitConfig(range(0, R), 30_000, 'rejoin');
        f['rejoinedAsVoterMs'] = Math.round(performance.now() - t0);
        const log = fs.readFileSync(sts.logFile(1), 'utf8').slice(from);
        if (!log.includes('old incarnation of this node was removed')) throw new Error(`${sts.podName(1)} came back empty without removing its old incarnation first`);
        if (log.includes('bootstrapping a new cluster')) throw new Error(`${sts.podName(1)} bootstrapped a new cluster from an empty PVC`);
      })) &&
      (await step(6, 'every pod deleted and recreated with its PVC: same state, tokens keep growing', async (f) => {
        const before = workload.highestToken;
        const held = workload.held?.token ?? 0;
        await Promise.all(range(0, R).map((i) => sts.deletePod(i)));
        for (const i of range(0, R)) sts.createPod(i);
        f['readyMs'] = await sts.waitReady(range(0, R), o.readyTimeoutMs);
        await waitConfig(range(0, R), 10_000, 'after recreating every pod');
        const info = await sts.admin.describeLock(HELD_LOCK, { deadlineMs: 2000 });
        const holder = info.holders[0];
        if (holder?.token !== held) throw new Error(`${HELD_LOCK} is held with token ${holder?.token ?? 'none'}, not ${held}`);
        await waitServing();
        if (workload.highestToken <= before) throw new Error(`token ${workload.highestToken} after the restart is not above ${before}`);
        f['tokenBefore'] = before;
        f['tokenAfter'] = workload.highestToken;
      })) &&
      (await step(7, 'a drain of two pods at once: the PDB refuses the second eviction until the first pod is back; quorum kept', async (f) => {
        const pdb = sts.o.spec.pdbMaxUnavailable;
        let refused = 0;
        // The eviction API: allowed while the healthy pods exceed replicas - maxUnavailable.
        const evict = async (i: number): Promise<boolean> => {
          const healthy = (await Promise.all(range(0, R).map((k) => (sts.isRunning(k) ? sts.probeReady(k) : false)))).filter(Boolean).length;
          if (healthy - (R - pdb) < 1) {
            refused++;
            return false; // 429: "Cannot evict pod as it would violate the pod's disruption budget"
          }
          await sts.deletePod(i);
          sts.createPod(i); // the StatefulSet controller recreates it (elsewhere), with its PVC
          return true;
        };
        const drain = [0, 1];
        const evicted = new Set<number>();
        const t0 = performance.now();
        while (evicted.size < drain.length) {
          if (performance.now() - t0 > 120_000) throw new Error('the drain did not finish within 120 s');
          // kubectl drain asks for every pod's eviction at once, then retries the refused ones.
          const answers = [];
          for (const i of drain.filter((k) => !evicted.has(k))) answers.push({ i, ok: await evict(i) });
          for (const a of answers) if (a.ok) evicted.add(a.i);
          await sleep(500);
        }
        await sts.waitReady(range(0, R), o.readyTimeoutMs);
        f['refusedEvictions'] = refused;
        if (refused === 0) throw new Error('the PDB never refused an eviction: both pods were down at once');
      }));
    o.log(ok ? 'every step passed' : 'a step failed; the run stops there');
  } finally {
    await workload.stop();
  }
  return { steps, violations: workload.violations };
}
