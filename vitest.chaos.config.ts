/**
 * `npm run test:chaos`: the fault scenarios of test/chaos (issue 16; RELIABILITY §3). One file at a time (each loads
 * the machine and some stop services of their own); each scenario prints its one line, and the run ends with
 * `N passed, N failed` (test/chaos/reporter.ts).
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/chaos/**/*.chaos.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/chaos/reporter.ts'],
  },
});
