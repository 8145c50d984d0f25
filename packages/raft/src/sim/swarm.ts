import { SeededRng } from '../core/rng';
import type { NetworkFaults } from './sim-network';

/** The fault profile of one run, drawn from its seed (swarm testing, as in TigerBeetle's VOPR). */
export interface SimOptions {
  readonly seed: number;
  readonly nodes: 3 | 5;
  readonly safetyMs: number;
  readonly livenessMs: number;
  readonly network: NetworkFaults;
  /** Per simulated ms probabilities of each fault action. */
  readonly crashRate: number;
  readonly partitionRate: number;
  readonly healRate: number;
  readonly proposeRate: number;
  readonly membershipRate: number;
  readonly transferRate: number;
  /** Take a snapshot once this many entries were applied since the last one. */
  readonly snapshotEvery: number;
  /** Upper bound of a Ready's write time (0: writes complete at once). */
  readonly diskLatencyMs: number;
}

export interface SimResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly error: string;
  readonly stats: Record<string, number>;
  readonly replay: string;
}

/** Pick a fault profile from the seed, including calm ones and very hostile ones. */
export function swarmOptions(seed: number, nodes: 3 | 5, safetyMs = 4000, livenessMs = 6000): SimOptions {
  const r = new SeededRng(seed ^ 0x5eed);
  const minDelayMs = r.pick([0, 1, 2]);
  return {
    seed,
    nodes,
    safetyMs,
    livenessMs,
    network: {
      dropRate: r.pick([0, 0.01, 0.05, 0.2]),
      duplicateRate: r.pick([0, 0.02, 0.1]),
      minDelayMs,
      maxDelayMs: minDelayMs + r.pick([1, 5, 20, 60]),
    },
    crashRate: r.pick([0, 0.0005, 0.002]),
    partitionRate: r.pick([0, 0.0005, 0.002]),
    healRate: r.pick([0.002, 0.01]),
    proposeRate: r.pick([0.02, 0.1, 0.3]),
    membershipRate: r.pick([0, 0.0005, 0.002]),
    transferRate: r.pick([0, 0.0005, 0.002]),
    snapshotEvery: r.pick([5, 20, 1000]),
    diskLatencyMs: r.pick([0, 1, 3, 8]),
  };
}
