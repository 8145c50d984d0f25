import {
  type ApplyOutput,
  type Command,
  encodeCommand,
  type LockCommand,
  type LockEvent,
  LockStateMachine,
  type LockStateMachineOptions,
  type RaftEntryLike,
} from '../../src/state';

type WithoutStamp<C> = C extends Command ? Omit<C, 'stamp'> & { stamp?: number } : never;
export type CommandInput = WithoutStamp<Command>;

export type LockOptions = Partial<Omit<LockCommand, 'type' | 'stamp' | 'sessionId' | 'requestId' | 'name'>>;

/**
 * Drives a LockStateMachine the way Raft does: each command is encoded with the codec and applied
 * as a `normal` entry with the next index; `clock` is the leader's wall clock stamped on it.
 */
export class Driver {
  readonly machine: LockStateMachine;
  readonly log: RaftEntryLike[] = [];
  index = 0;
  term = 1;
  clock = 1_000_000;

  constructor(options: LockStateMachineOptions = {}) {
    this.machine = new LockStateMachine(options);
  }

  run(input: CommandInput): ApplyOutput {
    const command = { stamp: this.clock, ...input } as Command;
    const entry: RaftEntryLike = { term: this.term, index: ++this.index, type: 'normal', data: encodeCommand(command) };
    this.log.push(entry);
    return this.machine.apply(entry);
  }

  /** Moves the leader clock on by `ms` (no entry). */
  advance(ms: number): this {
    this.clock += ms;
    return this;
  }

  open(sessionId: string, ttlMs = 10_000, clientName = `client-${sessionId}`): ApplyOutput {
    return this.run({ type: 'openSession', sessionId, ttlMs, clientName });
  }

  lock(sessionId: string, requestId: number, name: string, options: LockOptions = {}): ApplyOutput {
    return this.run({
      type: 'lock',
      sessionId,
      requestId,
      name,
      capacity: 0,
      mode: 'exclusive',
      waitTimeoutMs: 0,
      tryOnly: false,
      lockDelayMs: 0,
      permits: 0,
      priority: 0,
      ...options,
    });
  }

  release(sessionId: string, requestId: number, name: string, token: number): ApplyOutput {
    return this.run({ type: 'release', sessionId, requestId, name, token });
  }

  put(sessionId: string, requestId: number, name: string, token: number, value: Uint8Array | string): ApplyOutput {
    const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
    return this.run({ type: 'put', sessionId, requestId, name, token, value: bytes });
  }

  cancel(sessionId: string, requestId: number): ApplyOutput {
    return this.run({ type: 'cancel', sessionId, requestId });
  }

  tick(): ApplyOutput {
    return this.run({ type: 'tick' });
  }

  /** Starts a new term: the next entry carries it. */
  newTerm(): this {
    this.term++;
    return this;
  }
}

export function ofType<T extends LockEvent['type']>(out: ApplyOutput, type: T): Extract<LockEvent, { type: T }>[] {
  return out.events.filter((e): e is Extract<LockEvent, { type: T }> => e.type === type);
}

/** The single event of a type (fails the test when there is not exactly one). */
export function only<T extends LockEvent['type']>(out: ApplyOutput, type: T): Extract<LockEvent, { type: T }> {
  const found = ofType(out, type);
  if (found.length !== 1) throw new Error(`expected one ${type} event, got ${JSON.stringify(out.events.map((e) => e.type))}`);
  return found[0]!;
}

/** The granted token of a lock that must have been granted by this output. */
export function tokenOf(out: ApplyOutput): number {
  return only(out, 'granted').token;
}

export function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** Bytes as hex, for exact comparisons of snapshots. */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
