/**
 * The line `pnpm test` ends with, which .ci/run reads: counts from jest itself, skipped and todo
 * tests shown, and `FAILED` just before the count whenever jest's overall result is not a success.
 */
 
const { summaryLines } = require('../../../jest-summary-reporter.js') as { summaryLines: (r: Record<string, unknown>) => string[] };

const COUNT_LINE = /^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$/; // .ci/run's pattern

const base = { numPassedTests: 10, numFailedTests: 0, numFailedTestSuites: 0, numRuntimeErrorTestSuites: 0, numPendingTests: 0, numTodoTests: 0, snapshot: { failure: false }, wasInterrupted: false };

it('a clean run is one count line', () => {
  expect(summaryLines(base)).toEqual(['10 passed, 0 failed']);
});

it('skipped and todo tests are counted and shown', () => {
  const lines = summaryLines({ ...base, numPendingTests: 2, numTodoTests: 1 });
  expect(lines).toEqual(['skipped: 2, todo: 1', '10 passed, 0 failed, 3 skipped']);
  expect(lines[lines.length - 1]).toMatch(COUNT_LINE);
});

it('a failed test or a suite that crashed outside any test prints FAILED just before the count', () => {
  expect(summaryLines({ ...base, numFailedTests: 1, numFailedTestSuites: 1 })).toEqual(['FAILED', '10 passed, 1 failed']);
  expect(summaryLines({ ...base, numRuntimeErrorTestSuites: 1 })).toEqual(['FAILED', '10 passed, 1 failed']);
});

it('a run that is not a success with zero failed tests still prints FAILED', () => {
  // An afterAll hook that throws fails its suite, not a test.
  const lines = summaryLines({ ...base, numFailedTestSuites: 1, numPendingTests: 1 });
  expect(lines).toEqual(['skipped: 1, todo: 0', 'FAILED', '10 passed, 0 failed, 1 skipped']);
  expect(lines[lines.length - 1]).toMatch(COUNT_LINE);
  expect(summaryLines({ ...base, snapshot: { failure: true } })).toEqual(['FAILED', '10 passed, 0 failed']);
  expect(summaryLines({ ...base, runExecError: { message: 'globalSetup threw' } })).toEqual(['FAILED', '10 passed, 0 failed']);
  expect(summaryLines({ ...base, wasInterrupted: true })).toEqual(['FAILED', '10 passed, 0 failed']);
});
