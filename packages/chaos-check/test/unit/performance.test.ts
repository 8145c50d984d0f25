import { checkAll } from '../../src';
import { simulate } from './sim';

// DESIGN.md: no timed assertions in tests. The figure is printed; the assertion is that the
// search finishes within its default budget with a verdict, not 'unknown'.
test('a 20,000-operation history over 20 resources (mutexes and semaphores, with faults) checks ok', () => {
  const capacities = Array.from({ length: 20 }, (_, i) => (i % 4 === 3 ? 3 : 1));
  const { history } = simulate({
    seed: 20_000,
    clients: 60,
    capacities,
    operations: 20_000,
    pLostRequest: 0.01,
    pLostResponse: 0.01,
    pCrashHolding: 0.02,
    pPartitionHolding: 0.02,
    pWaitTimeout: 0.05,
    pStaleFence: 0.1,
  });
  const started = performance.now();
  const result = checkAll(history);
  const ms = performance.now() - started;
  // eslint-disable-next-line no-console
  console.log(
    `chaos-check: ${result.counts.operations} operations (${result.counts.events} events), ${result.counts.grants} grants, ` +
      `${result.counts.resources} resources checked in ${ms.toFixed(0)} ms (${result.counts.linearizabilitySteps} search steps)`,
  );
  expect(result.counts.operations).toBeGreaterThanOrEqual(20_000);
  expect(result.counts.resources).toBe(20);
  expect(result.checkers.linearizability?.linearizable).toBe(true);
  expect(result.ok).toBe(true);
});
