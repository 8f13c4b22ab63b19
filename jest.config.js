/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testPathIgnorePatterns: ['/node_modules/', '/tests/replay/.altered-'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  // onnxruntime-node builds typed arrays in Node's main realm; see tests/setup/onnxRealm.ts.
  setupFiles: ['<rootDir>/tests/setup/onnxRealm.ts'],
  reporters: ['default', '<rootDir>/tests/setup/plainSummary.js'],
  testTimeout: 120000,
  // Workflow tests share one Temporal dev server per file; running files one at a time keeps 2 cores from thrashing.
  maxWorkers: 1,
};
