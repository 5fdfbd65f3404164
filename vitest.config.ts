import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'data/**'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    // Two test files at a time: most of a file's time is spent waiting (timers, Telegram's pacing, child processes),
    // and vitest's default on a 2-core machine is one (cores - 1). Measured: the suite in 525 s instead of 872 s.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
