import { RenewBatcher } from '../../src/renew-batcher';

afterEach(() => {
  jest.useRealTimers();
});

test('keepalives within one interval share one renew entry; a session found gone is answered false', async () => {
  jest.useFakeTimers();
  const entries: string[][] = [];
  const batcher = new RenewBatcher(100, (ids) => {
    entries.push(ids);
    return Promise.resolve(new Set(['s-gone']));
  });
  const answers = [batcher.renew('s-b'), batcher.renew('s-a'), batcher.renew('s-b'), batcher.renew('s-gone')];
  jest.advanceTimersByTime(99);
  expect(entries).toEqual([]);
  jest.advanceTimersByTime(1);
  expect(entries).toEqual([['s-a', 's-b', 's-gone']]);
  expect(await Promise.all(answers)).toEqual([true, true, true, false]);

  // The next keepalive starts the next interval's entry.
  const later = batcher.renew('s-c');
  jest.advanceTimersByTime(100);
  expect(entries).toEqual([['s-a', 's-b', 's-gone'], ['s-c']]);
  await expect(later).resolves.toBe(true);
});

test('a failed proposal rejects its keepalives; fail() rejects those not yet proposed and proposes nothing', async () => {
  jest.useFakeTimers();
  let calls = 0;
  const batcher = new RenewBatcher(50, () => {
    calls++;
    return Promise.reject(new Error('not the leader'));
  });
  const proposed = batcher.renew('s-1');
  jest.advanceTimersByTime(50);
  await expect(proposed).rejects.toThrow('not the leader');

  const queued = batcher.renew('s-2');
  batcher.fail(new Error('lost leadership'));
  await expect(queued).rejects.toThrow('lost leadership');
  jest.advanceTimersByTime(200);
  expect(calls).toBe(1);
});
