import { MAX_BATCH_REQUESTS, RequestBatcher } from '../../src/request-batcher';

interface Proposal {
  readonly requests: readonly string[];
  settle(error?: Error): void;
}

/** A batcher over a fake log: every proposal waits until the test settles it. */
function setUp(): { batcher: RequestBatcher<string>; proposals: Proposal[] } {
  const proposals: Proposal[] = [];
  const batcher = new RequestBatcher<string>(
    (requests) =>
      new Promise<void>((resolve, reject) => {
        proposals.push({ requests: [...requests], settle: (error) => (error === undefined ? resolve() : reject(error)) });
      }),
    (r) => r.length,
  );
  return { batcher, proposals };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('RequestBatcher', () => {
  test('a lone request goes out on the next turn; those arriving while it is in flight go out together once it applied', async () => {
    const { batcher, proposals } = setUp();
    const done: string[] = [];
    const submit = (r: string): Promise<void> => batcher.submit(r).then(() => void done.push(r));
    const first = submit('a');
    expect(proposals).toHaveLength(0);
    await turn();
    expect(proposals.map((p) => p.requests)).toEqual([['a']]);

    const later = ['b', 'c', 'd'].map(submit);
    await turn();
    expect(proposals).toHaveLength(1); // they wait for the entry in flight

    proposals[0]?.settle();
    await first;
    expect(done).toEqual(['a']);
    await turn();
    expect(proposals.map((p) => p.requests)).toEqual([['a'], ['b', 'c', 'd']]);
    proposals[1]?.settle();
    await Promise.all(later);
    expect(done).toEqual(['a', 'b', 'c', 'd']);
  });

  test('flush sends what is queued at once, so a command proposed after it follows it in the log', async () => {
    const { batcher, proposals } = setUp();
    const p = batcher.submit('x');
    batcher.flush();
    expect(proposals.map((q) => q.requests)).toEqual([['x']]);
    batcher.flush(); // nothing queued: no empty entry
    expect(proposals).toHaveLength(1);
    proposals[0]?.settle();
    await p;
    await turn();
    expect(proposals).toHaveLength(1);
  });

  test("an entry's failure fails every request in it, and only those", async () => {
    const { batcher, proposals } = setUp();
    const a = batcher.submit('a');
    await turn();
    const b = batcher.submit('b');
    const c = batcher.submit('c');
    const lost = new Error('lost leadership');
    proposals[0]?.settle(lost);
    await expect(a).rejects.toBe(lost);
    await turn();
    expect(proposals[1]?.requests).toEqual(['b', 'c']);
    proposals[1]?.settle();
    await expect(Promise.all([b, c])).resolves.toEqual([undefined, undefined]);
  });

  test('a full batch goes out at once, even with an entry in flight', async () => {
    const { batcher, proposals } = setUp();
    void batcher.submit('first');
    await turn();
    const many = Array.from({ length: MAX_BATCH_REQUESTS }, (_, i) => batcher.submit(`r${i}`));
    expect(proposals).toHaveLength(2);
    expect(proposals[1]?.requests).toHaveLength(MAX_BATCH_REQUESTS);
    for (const p of proposals) p.settle();
    await Promise.all(many);
  });

  test('failQueued rejects what waits and leaves the entry in flight alone', async () => {
    const { batcher, proposals } = setUp();
    const inFlight = batcher.submit('a');
    await turn();
    const queued = batcher.submit('b');
    const err = new Error('not the leader');
    batcher.failQueued(err);
    await expect(queued).rejects.toBe(err);
    proposals[0]?.settle();
    await expect(inFlight).resolves.toBeUndefined();
    await turn();
    expect(proposals).toHaveLength(1);
  });

  test('add tells each request once, never from within add: after its entry settled, or a microtask after failQueued', async () => {
    const { batcher, proposals } = setUp();
    const told: string[] = [];
    const tell = (r: string) => (err: Error | undefined): void => void told.push(`${r}:${err?.message ?? 'ok'}`);
    batcher.add('a', tell('a'));
    await turn();
    batcher.add('b', tell('b'));
    batcher.add('c', tell('c'));
    batcher.failQueued(new Error('lost'));
    expect(told).toEqual([]);
    await Promise.resolve();
    expect(told).toEqual(['b:lost', 'c:lost']);
    batcher.add('d', tell('d'));
    expect(told).toEqual(['b:lost', 'c:lost']);
    proposals[0]?.settle();
    await turn();
    expect(told).toEqual(['b:lost', 'c:lost', 'a:ok']);
    expect(proposals[1]?.requests).toEqual(['d']);
    proposals[1]?.settle(new Error('no quorum'));
    await turn();
    expect(told).toEqual(['b:lost', 'c:lost', 'a:ok', 'd:no quorum']);
  });
});
