/**
 * The chaos run's fixed settings: the cluster's timing, the resources the workers contend for,
 * and the bounds the run is judged by (all derived from the timing), plus the one clock every
 * process of the run shares.
 */
import type { ResourceSpec } from './worker';

export const TICK_MS = 50;
export const ELECTION_TICKS = 10;
/** Long enough that a client connected to a majority keeps its session across any failover. */
export const TTL_MS = 4000;
export const SKEW_MS = 250;
export const ELECTION_MAX_MS = 2 * TICK_MS * ELECTION_TICKS;
/** A crashed worker's holds must come free within TTL + this (failover, skew, batching, slack). */
export const FREE_SLACK_MS = ELECTION_MAX_MS + SKEW_MS + 1500;
/** After a fault heals, grants must resume within this bound. */
export const RESUME_BOUND_MS = 6_000;
/**
 * After any request of a resource, someone is granted it within this: the longest hold (6 s) or a
 * dead holder's TTL plus failover, plus the recovery bound of a fault.
 */
export const LIVENESS_BOUND_MS = TTL_MS + FREE_SLACK_MS + RESUME_BOUND_MS;
/** The availability probe's client name; its grants are not in the workers' histories. */
export const PROBE_CLIENT = 'availability-probe';

export const RESOURCES: readonly ResourceSpec[] = [
  { name: 'acct/1', capacity: 1, fenced: true, sharedRate: 0 },
  { name: 'acct/2', capacity: 1, fenced: true, sharedRate: 0 },
  { name: 'acct/3', capacity: 1, fenced: true, sharedRate: 0 },
  { name: 'pool', capacity: 3, fenced: false, sharedRate: 1 },
  { name: 'config', capacity: 4, fenced: true, sharedRate: 0.7 },
];

/**
 * CLOCK_MONOTONIC, one clock for every process of the run (performance.timeOrigin is fixed per
 * process at start and can differ between processes by a millisecond or two).
 */
export const now = (): number => Number(process.hrtime.bigint()) / 1e6;
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
