/**
 * A stream's messages handled one at a time, in arrival order (a lock and its cancel keep their
 * order). `handle` returns a promise when a message's handling is not over on return; the next
 * message waits for it. A message that finds nothing unfinished before it is handled at once,
 * with no promise of its own: a keepalive, thousands a second on a leader, costs a call.
 * `failed` hears what `handle` throws or rejects with; the messages after it are still handled.
 */
export function inOrder<T>(handle: (msg: T) => Promise<void> | undefined, failed: (e: unknown) => void): (msg: T) => void {
  const run = (msg: T): Promise<void> | undefined => {
    try {
      return handle(msg)?.catch(failed);
    } catch (e) {
      failed(e);
      return undefined;
    }
  };
  let unfinished = 0;
  let chain: Promise<void> = Promise.resolve();
  const finished = (): void => {
    unfinished--;
  };
  return (msg: T): void => {
    if (unfinished === 0) {
      const work = run(msg);
      if (work === undefined) return;
      unfinished++;
      chain = work.then(finished);
      return;
    }
    unfinished++;
    chain = chain.then(() => run(msg)).then(finished);
  };
}
