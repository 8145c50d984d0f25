'use strict';
// Ends every `pnpm test` run with one line `N passed, N failed` (then `, N skipped` when any test
// was skipped or todo), counted by jest itself. A test file that fails to load or crashes outside
// any test counts as one failure, so it cannot vanish. When jest's overall result is not a
// success (an open handle, a failing global setup, a snapshot failure, a coverage threshold...),
// a line `FAILED` comes just before the count (the last line), whatever the counts say.
// jest sets `results.success` only after the reporters' onRunComplete has run, so the same rule is
// applied here: any failed test or suite, a snapshot failure, an error of the run itself, or an
// interrupted run is not a success.
function overallSuccess(results) {
  return (
    results.numFailedTests === 0 &&
    results.numRuntimeErrorTestSuites === 0 &&
    (results.numFailedTestSuites ?? 0) === 0 &&
    !(results.snapshot && results.snapshot.failure) &&
    !results.runExecError &&
    !results.wasInterrupted
  );
}

function summaryLines(results) {
  const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
  const skipped = results.numPendingTests + results.numTodoTests;
  const lines = [];
  if (skipped > 0) lines.push(`skipped: ${results.numPendingTests}, todo: ${results.numTodoTests}`);
  // Just before the count, where .ci/run looks for it.
  if (!overallSuccess(results)) lines.push('FAILED');
  lines.push(`${results.numPassedTests} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
  return lines;
}

class SummaryReporter {
  onRunComplete(_contexts, results) {
    process.stdout.write(`\n${summaryLines(results).join('\n')}\n`);
  }
}
module.exports = SummaryReporter;
module.exports.summaryLines = summaryLines;
