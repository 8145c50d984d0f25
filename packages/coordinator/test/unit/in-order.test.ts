import { InOrder } from '../../src/server/in-order';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('InOrder', () => {
  test('a handler that is done at once runs within push, in order', () => {
    const seen: number[] = [];
    const q = new InOrder<{ n: number }>((m) => {
      seen.push(m.n);
      return undefined;
    }, () => undefined);
    q.push({ n: 1 });
    expect(seen).toEqual([1]);
    q.push({ n: 2 });
    q.push({ n: 3 });
    expect(seen).toEqual([1, 2, 3]);
  });

  test('a handler that returns a promise holds the messages behind it until it settles', async () => {
    const seen: string[] = [];
    let finish: () => void = () => undefined;
    const q = new InOrder<{ id: string }>((m) => {
      seen.push(`start ${m.id}`);
      if (m.id !== 'slow') return undefined;
      return new Promise<void>((resolve) => {
        finish = () => {
          seen.push('end slow');
          resolve();
        };
      });
    }, () => undefined);
    q.push({ id: 'a' });
    q.push({ id: 'slow' });
    q.push({ id: 'b' });
    q.push({ id: 'c' });
    await turn();
    expect(seen).toEqual(['start a', 'start slow']);
    finish();
    await turn();
    expect(seen).toEqual(['start a', 'start slow', 'end slow', 'start b', 'start c']);
    q.push({ id: 'd' });
    expect(seen[seen.length - 1]).toBe('start d');
  });

  test('a failure, thrown or rejected, goes to `failed` and the messages behind it still go on', async () => {
    const seen: string[] = [];
    const failures: string[] = [];
    const q = new InOrder<{ id: string }>((m) => {
      seen.push(m.id);
      if (m.id === 'throws') throw new Error('thrown');
      if (m.id === 'rejects') return Promise.reject(new Error('rejected'));
      return undefined;
    }, (e) => failures.push(e instanceof Error ? e.message : String(e)));
    q.push({ id: 'throws' });
    q.push({ id: 'after throw' });
    q.push({ id: 'rejects' });
    q.push({ id: 'after reject' });
    expect(seen).toEqual(['throws', 'after throw', 'rejects']);
    await turn();
    expect(seen).toEqual(['throws', 'after throw', 'rejects', 'after reject']);
    expect(failures).toEqual(['thrown', 'rejected']);
  });
});
