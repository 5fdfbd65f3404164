/**
 * The chaos run's summary: every scenario's one line (test/chaos/report.ts), each failure with its first error, and
 * `N passed, N failed`.
 */
import type { UserConsoleLog } from 'vitest';
import type { Reporter, TestModule } from 'vitest/node';
import { SCENARIO_MARK } from './report.js';

export default class ChaosReporter implements Reporter {
  private readonly lines: string[] = [];

  onUserConsoleLog(log: UserConsoleLog): void {
    for (const line of log.content.split('\n'))
      if (line.startsWith(SCENARIO_MARK)) this.lines.push(line.slice(SCENARIO_MARK.length));
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    const failures: string[] = [];
    for (const module of modules) {
      for (const test of module.children.allTests()) {
        const result = test.result();
        if (result.state === 'passed') passed++;
        else if (result.state === 'failed') {
          const first = result.errors?.[0]?.message.split('\n')[0] ?? 'failed';
          failures.push(`FAILED ${test.fullName}: ${first}`);
        }
      }
    }
    const out = ['', 'chaos scenarios:', ...this.lines.map((l) => `  ${l}`), ...failures.map((f) => `  ${f}`)];
    out.push(`${passed} passed, ${failures.length} failed`, '');
    process.stdout.write(out.join('\n'));
  }
}
