/**
 * `npm run test:chaos`: the fault scenarios of test/chaos (issue 16; RELIABILITY §3). One file at a time (each loads
 * the machine and some stop services of their own); each scenario prints its one line, every chipin process's log
 * lines are kept in one directory and scanned at the end for secrets and message contents, and the run ends with
 * `N passed, N failed` (test/chaos/reporter.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

const logDir = mkdtempSync(path.join(tmpdir(), 'chipin-chaos-logs-'));

export default defineConfig({
  test: {
    include: ['test/chaos/**/*.chaos.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 120_000,
    env: { CHIPIN_LOG_DIR: logDir },
    reporters: ['default', ['./test/chaos/reporter.ts', { logDir }]],
  },
});
