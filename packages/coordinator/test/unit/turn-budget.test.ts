import { TurnBudget } from '../../src/server/turn-budget';

/** Turns run by hand: `turn()` is one later turn of the event loop. */
function budget(perTurn: number) {
  const pending: (() => void)[] = [];
  const b = new TurnBudget(perTurn, (fn) => pending.push(fn));
  const started: number[] = [];
  const submit = (from: number, to: number): void => {
    for (let i = from; i < to; i++) void b.take().then(() => started.push(i));
  };
  const turn = async (): Promise<void> => {
    const fns = pending.splice(0);
    for (const fn of fns) fn();
    await flushMicrotasks();
  };
  return { b, started, submit, turn, pending };
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

describe('TurnBudget', () => {
  it('starts at most perTurn tasks per turn, in arrival order, the rest in later turns', async () => {
    const { b, started, submit, turn } = budget(4);
    submit(0, 10);
    await flushMicrotasks();
    expect(started).toEqual([0, 1, 2, 3]);
    expect(b.queued).toBe(6);
    await turn();
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // Arrivals of a later turn queue behind the ones still waiting.
    submit(10, 12);
    await turn();
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(b.queued).toBe(0);
  });

  it('gives a full budget again once a turn passed with nothing waiting', async () => {
    const { started, submit, turn, pending } = budget(3);
    submit(0, 3);
    await flushMicrotasks();
    expect(started).toEqual([0, 1, 2]);
    await turn(); // nothing waited: the budget resets and no further turn is asked for
    expect(pending).toHaveLength(0);
    submit(3, 6);
    await flushMicrotasks();
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('refuses a budget that is not a positive integer, naming the value', () => {
    expect(() => new TurnBudget(0)).toThrow('perTurn must be a positive integer, got 0');
    expect(() => new TurnBudget(1.5)).toThrow('got 1.5');
  });
});
