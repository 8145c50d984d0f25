/** The chaos runner's command line (see run.ts), checked: a bad value is named in the error. */
import { parseArgs } from 'node:util';
import { ALL_FAULTS, type FaultKind } from './nemesis';

export interface RunArgs {
  readonly durationS: number;
  readonly seed: number;
  readonly nodes: number;
  readonly workerCount: number;
  readonly kinds: readonly FaultKind[];
  /** Keep the run's directory here (it is also kept, in a temporary one, after a violation). */
  readonly keep: string | undefined;
  readonly strict: boolean;
  readonly tls: boolean;
}

/** Parses `argv` (without node and the script; a `--` from pnpm is ignored). */
export function parseRunArgs(argv: readonly string[]): RunArgs {
  const { values } = parseArgs({
    args: argv.filter((a) => a !== '--'),
    options: {
      duration: { type: 'string', default: '60' },
      seed: { type: 'string', default: '1' },
      nodes: { type: 'string', default: '3' },
      workers: { type: 'string', default: '6' },
      faults: { type: 'string', default: ALL_FAULTS.join(',') },
      keep: { type: 'string' },
      strict: { type: 'boolean', default: false },
      tls: { type: 'boolean', default: false },
    },
  });
  const durationS = Number(values.duration);
  const seed = Number(values.seed);
  const nodes = Number(values.nodes);
  const workerCount = Number(values.workers);
  if (!(durationS > 0)) throw new Error(`--duration must be a positive number of seconds, got '${values.duration}'`);
  if (!Number.isSafeInteger(seed)) throw new Error(`--seed must be an integer, got '${values.seed}'`);
  if (nodes !== 3 && nodes !== 5) throw new Error(`--nodes must be 3 or 5, got '${values.nodes}'`);
  if (!Number.isSafeInteger(workerCount) || workerCount < 1) throw new Error(`--workers must be a positive integer, got '${values.workers}'`);
  const kinds = values.faults.split(',').filter((k) => k !== '') as FaultKind[];
  for (const k of kinds) if (!ALL_FAULTS.includes(k)) throw new Error(`--faults: unknown fault '${k}'; known: ${ALL_FAULTS.join(', ')}`);
  return { durationS, seed, nodes, workerCount, kinds, keep: values.keep, strict: values.strict, tls: values.tls };
}
