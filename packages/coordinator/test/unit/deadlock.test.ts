import { Code, describeCycle, findCycle, type WaitEdge } from '../../src/state';
import { Driver, only, tokenOf } from './harness';

describe('deadlock detection', () => {
  test('a two-session cycle fails the closing request with ABORTED naming the cycle', () => {
    const d = new Driver();
    d.open('s1');
    d.open('s2');
    tokenOf(d.lock('s1', 1, 'a'));
    tokenOf(d.lock('s2', 1, 'b'));
    expect(only(d.lock('s1', 2, 'b'), 'queued').position).toBe(1);
    const out = d.lock('s2', 2, 'a');
    expect(out.events).toEqual([
      {
        type: 'failed',
        sessionId: 's2',
        requestId: 2,
        code: Code.ABORTED,
        message: "deadlock: s2 waits for s1 (on 'a'), s1 waits for s2 (on 'b')",
        errorCode: 'ERR_DEADLOCK',
      },
    ]);
    expect(out.status.code).toBe(10);
    expect(d.machine.describeLock('a')?.waiterCount).toBe(0);
    // s1 keeps waiting; once s2 lets go of b, s1 gets it.
    expect(only(d.run({ type: 'closeSession', sessionId: 's2' }), 'granted').sessionId).toBe('s1');
  });

  test('a three-session cycle', () => {
    const d = new Driver();
    for (const s of ['s1', 's2', 's3']) d.open(s);
    d.lock('s1', 1, 'a');
    d.lock('s2', 1, 'b');
    d.lock('s3', 1, 'c');
    d.lock('s1', 2, 'b');
    d.lock('s2', 2, 'c');
    expect(only(d.lock('s3', 2, 'a'), 'failed').message).toBe(
      "deadlock: s3 waits for s1 (on 'a'), s1 waits for s2 (on 'b'), s2 waits for s3 (on 'c')",
    );
  });

  test('waiting on a chain that does not come back is no deadlock', () => {
    const d = new Driver();
    for (const s of ['s1', 's2', 's3']) d.open(s);
    d.lock('s1', 1, 'a');
    d.lock('s2', 1, 'b');
    d.lock('s1', 2, 'b');
    expect(only(d.lock('s3', 1, 'a'), 'queued').position).toBe(1);
  });

  test('on a semaphore, a holder that alone does not block the request is no edge', () => {
    const d = new Driver();
    for (const s of ['s1', 's2', 's3']) d.open(s);
    d.lock('s1', 1, 'sem', { capacity: 2, mode: 'shared' });
    d.lock('s3', 1, 'sem', { capacity: 2, mode: 'shared' });
    d.lock('s2', 1, 'b');
    d.lock('s1', 2, 'b'); // s1 waits for s2
    // s2 needs one permit: s1 alone does not block it (s3 releasing would do), so no cycle is claimed.
    expect(only(d.lock('s2', 2, 'sem', { capacity: 2, mode: 'shared' }), 'queued').position).toBe(1);
    // An exclusive request needs both holders gone: s1 blocks it alone, and s1 waits for s2.
    d.open('s4');
    d.lock('s4', 1, 'c');
    const out = d.lock('s4', 2, 'sem', { capacity: 2, mode: 'exclusive' });
    expect(only(out, 'queued').position).toBe(2);
  });

  test('an exclusive request on a semaphore held shared by the other party is a deadlock', () => {
    const d = new Driver();
    d.open('s1');
    d.open('s2');
    d.lock('s1', 1, 'sem', { capacity: 3, mode: 'shared' });
    d.lock('s2', 1, 'b');
    d.lock('s1', 2, 'b');
    expect(only(d.lock('s2', 2, 'sem', { capacity: 3, mode: 'exclusive' }), 'failed').code).toBe(Code.ABORTED);
  });
});

describe('findCycle', () => {
  const graph: Record<string, WaitEdge[]> = {
    b: [
      { from: 'b', to: 'c', name: 'y' },
      { from: 'b', to: 'd', name: 'z' },
    ],
    c: [{ from: 'c', to: 'b', name: 'w' }],
    d: [{ from: 'd', to: 'a', name: 'v' }],
  };
  const edgesOf = (s: string): WaitEdge[] => graph[s] ?? [];

  test('finds the path back to the start through a graph with another cycle in it', () => {
    const cycle = findCycle('a', [{ from: 'a', to: 'b', name: 'x' }], edgesOf);
    expect(cycle?.map((e) => e.from)).toEqual(['a', 'b', 'd']);
    expect(describeCycle(cycle!)).toBe("deadlock: a waits for b (on 'x'), b waits for d (on 'z'), d waits for a (on 'v')");
  });

  test('returns undefined when the start is not reachable', () => {
    expect(findCycle('e', [{ from: 'e', to: 'c', name: 'x' }], edgesOf)).toBeUndefined();
    expect(findCycle('a', [], edgesOf)).toBeUndefined();
  });
});
