import { RenewBatcher, type RenewListener } from '../../src/renew-batcher';

afterEach(() => {
  jest.useRealTimers();
});

/** A listener that writes down what it was told, as `session#seq:answer`. */
function recorder(sessionId: string, heard: string[]): RenewListener {
  return {
    renewed: (seq, alive) => heard.push(`${sessionId}#${seq}:${alive ? 'alive' : 'gone'}`),
    renewFailed: (err) => heard.push(`${sessionId}:failed ${err.message}`),
  };
}

const settle = (): Promise<void> => new Promise((resolve) => jest.requireActual<typeof import('node:timers')>('node:timers').setImmediate(resolve));

test('keepalives within one interval share one renew entry; a session found gone is answered false', async () => {
  jest.useFakeTimers();
  const entries: string[][] = [];
  let applied: (gone: ReadonlySet<string>) => void = () => undefined;
  const batcher = new RenewBatcher(100, (ids) => {
    entries.push(ids);
    return new Promise((resolve) => (applied = resolve));
  });
  const heard: string[] = [];
  const b = recorder('s-b', heard);
  batcher.add('s-b', 1, b);
  batcher.add('s-a', 7, recorder('s-a', heard));
  batcher.add('s-b', 2, b);
  batcher.add('s-gone', 3, recorder('s-gone', heard));
  jest.advanceTimersByTime(99);
  expect(entries).toEqual([]);
  jest.advanceTimersByTime(1);
  expect(entries).toEqual([['s-a', 's-b', 's-gone']]);
  // Proposed is not renewed: nothing is acknowledged before the entry applied.
  await settle();
  expect(heard).toEqual([]);
  applied(new Set(['s-gone']));
  await settle();
  expect(heard).toEqual(['s-b#1:alive', 's-a#7:alive', 's-b#2:alive', 's-gone#3:gone']);

  // The next keepalive starts the next interval's entry.
  batcher.add('s-c', 9, recorder('s-c', heard));
  jest.advanceTimersByTime(100);
  expect(entries).toEqual([['s-a', 's-b', 's-gone'], ['s-c']]);
  applied(new Set());
  await settle();
  expect(heard.slice(4)).toEqual(['s-c#9:alive']);
});

test('a failed proposal fails its keepalives; fail() fails those not yet proposed and proposes nothing', async () => {
  jest.useFakeTimers();
  let calls = 0;
  const batcher = new RenewBatcher(50, () => {
    calls++;
    return Promise.reject(new Error('not the leader'));
  });
  const heard: string[] = [];
  batcher.add('s-1', 1, recorder('s-1', heard));
  jest.advanceTimersByTime(50);
  await settle();
  expect(heard).toEqual(['s-1:failed not the leader']);

  batcher.add('s-2', 1, recorder('s-2', heard));
  batcher.fail(new Error('lost leadership'));
  expect(heard).toEqual(['s-1:failed not the leader', 's-2:failed lost leadership']);
  jest.advanceTimersByTime(200);
  expect(calls).toBe(1);
});
