/**
 * Ends every jest run with one plain line, `tests: N passed, N failed, N skipped`, the summary form CI reads
 * for any language. A suite that fails to load counts as failed even though no test in it ran.
 */
class PlainSummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    // Straight to the file descriptor: jest's default reporter wraps process.stderr and would swallow it.
    require('node:fs').writeSync(2, `tests: ${results.numPassedTests} passed, ${failed} failed, ${results.numPendingTests} skipped\n`);
  }
}
module.exports = PlainSummaryReporter;
