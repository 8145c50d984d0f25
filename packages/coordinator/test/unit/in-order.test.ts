import { inOrder } from '../../src/server/in-order';

/** A handler whose messages named `async:*` stay unfinished until `finish` is called for them. */
function recorder(): { log: string[]; finish: (msg: string) => void; handle: (msg: string) => Promise<void> | undefined } {
  const log: string[] = [];
  const open = new Map<string, () => void>();
  return {
    log,
    finish: (msg) => open.get(msg)?.(),
    handle: (msg) => {
      log.push(`start ${msg}`);
      if (msg === 'throws') throw new Error('thrown');
      if (msg === 'rejects') return Promise.reject(new Error('rejected'));
      if (!msg.startsWith('async:')) return undefined;
      return new Promise<void>((resolve) => open.set(msg, resolve)).then(() => {
        log.push(`end ${msg}`);
      });
    },
  };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('a message that finds nothing unfinished is handled at once, synchronously', () => {
  const r = recorder();
  const push = inOrder(r.handle, () => undefined);
  push('keepalive-1');
  push('keepalive-2');
  expect(r.log).toEqual(['start keepalive-1', 'start keepalive-2']);
});

test('messages behind an unfinished one wait for it, and keep their order', async () => {
  const r = recorder();
  const push = inOrder(r.handle, () => undefined);
  push('async:lock');
  push('keepalive');
  push('async:cancel');
  push('keepalive-2');
  expect(r.log).toEqual(['start async:lock']);
  await settle();
  expect(r.log).toEqual(['start async:lock']);
  r.finish('async:lock');
  await settle();
  expect(r.log).toEqual(['start async:lock', 'end async:lock', 'start keepalive', 'start async:cancel']);
  r.finish('async:cancel');
  await settle();
  expect(r.log).toEqual(['start async:lock', 'end async:lock', 'start keepalive', 'start async:cancel', 'end async:cancel', 'start keepalive-2']);
  // All finished: the next one is handled at once again.
  push('keepalive-3');
  expect(r.log.at(-1)).toBe('start keepalive-3');
});

test('a handler that throws or rejects is reported, and the messages after it are still handled', async () => {
  const r = recorder();
  const failures: string[] = [];
  const push = inOrder(r.handle, (e) => failures.push(e instanceof Error ? e.message : String(e)));
  push('throws');
  push('rejects');
  push('after');
  await settle();
  push('last');
  expect(failures).toEqual(['thrown', 'rejected']);
  expect(r.log).toEqual(['start throws', 'start rejects', 'start after', 'start last']);
});
