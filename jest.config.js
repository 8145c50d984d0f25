'use strict';
// Test layers (see DESIGN.md "Testing layers"): `pnpm test` runs them all; each can run alone
// with `--selectProjects NAME`. TypeScript is stripped by swc; type checking is `tsc -b`,
// which `pnpm test` runs first (it also builds the dist/ that multi-process tests execute).
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] };
const base = { transform, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'json'] };

module.exports = {
  reporters: ['default', '<rootDir>/jest-summary-reporter.js'],
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/packages/*/test/unit/**/*.test.ts', '<rootDir>/scripts/test/unit/**/*.test.ts', '<rootDir>/deploy/*/test/**/*.test.ts'] },
    { ...base, displayName: 'sim', testMatch: ['<rootDir>/packages/*/test/sim/**/*.test.ts'] },
    { ...base, displayName: 'integration', testMatch: ['<rootDir>/packages/*/test/integration/**/*.test.ts'] },
    { ...base, displayName: 'e2e', testMatch: ['<rootDir>/tests/src/**/*.test.ts'], testPathIgnorePatterns: ['/chaos\\.test\\.ts$'] },
    { ...base, displayName: 'chaos', testMatch: ['<rootDir>/tests/src/chaos.test.ts'] },
    // `pnpm fuzz` only (10,000 cases per target); `pnpm test` runs the short fixed-seed runs.
    ...(process.env.QUORUMLOCK_FUZZ === '1'
      ? [{ ...base, displayName: 'fuzz', testMatch: ['<rootDir>/packages/*/test/fuzz/**/*.fuzz.ts', '<rootDir>/tests/src/fuzz/**/*.fuzz.ts'] }]
      : []),
  ],
};
