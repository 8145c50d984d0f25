import type { Clock } from './clock';

/**
 * Resolves after `ms` on `clock`, or early (resolving, not rejecting) when `stop` fires. The
 * timer is ref'd: a client waiting to retry keeps the process alive, so no promise is left
 * pending in a process that exits underneath it.
 */
export function sleep(clock: Clock, ms: number, stop?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (stop?.aborted === true) return resolve();
    const onStop = (): void => {
      clock.clearTimeout(timer);
      resolve();
    };
    const timer = clock.setTimeout(() => {
      stop?.removeEventListener('abort', onStop);
      resolve();
    }, ms);
    stop?.addEventListener('abort', onStop, { once: true });
  });
}
