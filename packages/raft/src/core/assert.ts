/** A broken invariant: a bug, never an expected outcome. Never catch it; crash and recover from storage. */
export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

export function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new AssertionError(msg);
}

export function assertNever(x: never): never {
  throw new AssertionError(`unexpected value ${JSON.stringify(x)}`);
}
