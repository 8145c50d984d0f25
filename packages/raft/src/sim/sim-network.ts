import type { SeededRng } from '../core/rng';
import type { Message, NodeId } from '../core/types';

/** The network's misbehaviour for one run, drawn per seed (swarm testing). */
export interface NetworkFaults {
  /** Probability that a message is lost. */
  readonly dropRate: number;
  /** Probability that a message is delivered twice. */
  readonly duplicateRate: number;
  /** Delivery delay range in simulated ms; a wide range reorders messages. */
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
}

interface InFlight {
  readonly at: number;
  readonly seq: number;
  readonly msg: Message;
}

/**
 * A simulated network: messages wait in flight for a random delay, may be dropped or
 * duplicated, and are blocked by partitions (symmetric groups or one-way cuts). Deterministic
 * for a given PRNG.
 */
export class SimNetwork {
  private inflight: InFlight[] = [];
  private seq = 0;
  /** Links cut one way: `${from}>${to}`. */
  private readonly cut = new Set<string>();
  faults: NetworkFaults;
  sent = 0;
  dropped = 0;

  constructor(private readonly rng: SeededRng, faults: NetworkFaults) {
    this.faults = faults;
  }

  send(now: number, msgs: readonly Message[]): void {
    for (const msg of msgs) {
      this.sent++;
      if (this.cut.has(`${msg.from}>${msg.to}`) || this.rng.chance(this.faults.dropRate)) {
        this.dropped++;
        continue;
      }
      const copies = this.rng.chance(this.faults.duplicateRate) ? 2 : 1;
      for (let i = 0; i < copies; i++) {
        const at = now + this.rng.int(this.faults.minDelayMs, this.faults.maxDelayMs + 1);
        this.inflight.push({ at, seq: this.seq++, msg });
      }
    }
  }

  /** Messages due at or before `now`, in delivery order; a cut made after sending also blocks them. */
  due(now: number): Message[] {
    if (this.inflight.length === 0) return [];
    const ready: InFlight[] = [];
    const rest: InFlight[] = [];
    for (const f of this.inflight) (f.at <= now ? ready : rest).push(f);
    if (ready.length === 0) return [];
    this.inflight = rest;
    ready.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const out: Message[] = [];
    for (const f of ready) {
      if (this.cut.has(`${f.msg.from}>${f.msg.to}`)) {
        this.dropped++;
        continue;
      }
      out.push(f.msg);
    }
    return out;
  }

  /** Split the nodes into groups that cannot talk to each other. */
  partition(groups: readonly (readonly NodeId[])[]): void {
    this.cut.clear();
    for (const a of groups) {
      for (const b of groups) {
        if (a === b) continue;
        for (const x of a) for (const y of b) this.cut.add(`${x}>${y}`);
      }
    }
  }

  /** Cut one direction only (asymmetric partition). */
  cutOneWay(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}>${to}`);
  }

  heal(): void {
    this.cut.clear();
  }

  isHealed(): boolean {
    return this.cut.size === 0;
  }

  describeCuts(): string {
    return [...this.cut].sort().join(' ');
  }
}
