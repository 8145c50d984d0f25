'use strict';
// Ends every `pnpm test` run with one line `N passed, N failed`, counted by jest itself. A test
// file that fails to load or crashes outside any test counts as one failure, so it cannot vanish.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    process.stdout.write(`\n${results.numPassedTests} passed, ${failed} failed\n`);
  }
}
module.exports = SummaryReporter;
