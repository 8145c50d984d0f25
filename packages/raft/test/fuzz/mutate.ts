import fc from 'fast-check';

/**
 * Byte-level mutations of valid encodings, the way corruption and forgery look: bit flips,
 * overwritten bytes, truncation, inserted garbage, a repeated slice. Purely random bytes are
 * mostly rejected at the first byte; mutated valid ones reach the decoders' deeper checks.
 */
type Mutation =
  | { k: 'flip'; at: number; bit: number }
  | { k: 'set'; at: number; v: number }
  | { k: 'cut'; at: number }
  | { k: 'insert'; at: number; bytes: Uint8Array }
  | { k: 'repeat'; at: number; len: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ k: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
  fc.record({ k: fc.constant('set' as const), at: fc.nat(), v: fc.constantFrom(0x00, 0x7f, 0x80, 0xc0, 0xc1, 0xd9, 0xdc, 0xdd, 0xde, 0xdf, 0xff) }),
  fc.record({ k: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 9 }) }),
  fc.record({ k: fc.constant('repeat' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 16 }) }),
);

function apply(bytes: Uint8Array, m: Mutation): Uint8Array {
  const n = bytes.length;
  const at = n === 0 ? 0 : m.at % n;
  switch (m.k) {
    case 'flip': {
      if (n === 0) return bytes;
      const out = Uint8Array.from(bytes);
      out[at] = (out[at] ?? 0) ^ (1 << m.bit);
      return out;
    }
    case 'set': {
      if (n === 0) return bytes;
      const out = Uint8Array.from(bytes);
      out[at] = m.v;
      return out;
    }
    case 'cut':
      return bytes.slice(0, at);
    case 'insert':
      return Uint8Array.from([...bytes.subarray(0, at), ...m.bytes, ...bytes.subarray(at)]);
    case 'repeat':
      return Uint8Array.from([...bytes.subarray(0, at + m.len), ...bytes.subarray(at, at + m.len), ...bytes.subarray(at + m.len)]);
  }
}

/** `valid` encodings with 1..4 mutations applied. */
export function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.tuple(valid, fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([b, ms]) => ms.reduce(apply, Uint8Array.from(b)));
}

/** Random bytes, mutated valid encodings, and valid ones, mixed. */
export function hostileBytes(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 300 }) },
    { weight: 6, arbitrary: mutated(valid) },
    { weight: 1, arbitrary: valid },
  );
}

/** fast-check parameters: `runs` cases, a fixed seed when given (FUZZ_SEED overrides for replays). */
export function params(runs: number, seed?: number): fc.Parameters<unknown> {
  const envSeed = process.env['FUZZ_SEED'];
  const s = envSeed !== undefined && envSeed !== '' ? Number(envSeed) : seed;
  return { numRuns: runs, ...(s !== undefined ? { seed: s } : {}), endOnFailure: true };
}

/** Cases per target for `pnpm fuzz` (FUZZ_RUNS overrides; at least what the issue asks). */
export function fuzzRuns(): number {
  return Number(process.env['FUZZ_RUNS'] ?? 10_000);
}
