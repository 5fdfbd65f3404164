/**
 * The chaos run's summary: every scenario's one line (test/chaos/report.ts), each failure with its first error, the
 * scan of every log line the run's chipin processes wrote (no token, secret, message text or update body may
 * appear: config/logger.ts cleans them), and `N passed, N failed` — the scan counted as one more scenario.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { UserConsoleLog } from 'vitest';
import type { Reporter, TestModule } from 'vitest/node';
import { SCENARIO_MARK } from './report.js';

/** What must never be in a log line, by what it would be. */
const LEAKS: ReadonlyArray<[string, RegExp]> = [
  ['a Telegram bot token', /\d{6,}:[A-Za-z0-9_-]{30,}/],
  ['a Discord bot token', /[A-Za-z0-9_-]{16,}\.Gx[A-Za-z0-9_-]{4}\.[A-Za-z0-9_-]{27}/],
  ['a webhook secret', /Webhook_secret|webhook-secret/i],
  ['a Stripe key or signing secret', /\b(sk|rk)_(test|live)_[A-Za-z0-9]+|whsec_[A-Za-z0-9]+/],
  ['a command text', /\/(pay|faucet|request|redpacket|fund|collect|iou|borrow|deposit|withdraw) /],
  ['an update body', /"update_id"|"callback_query"|"reply_to_message"/],
  ['a message text field', /"(text|caption|content)":"(?!\[Redacted\])/],
];

interface Scan {
  files: number;
  lines: number;
  findings: string[];
}

function scanLogs(dir: string): Scan {
  const scan: Scan = { files: 0, lines: 0, findings: [] };
  for (const name of readdirSync(dir)) {
    scan.files++;
    const lines = readFileSync(path.join(dir, name), 'utf8').split('\n');
    for (const [i, line] of lines.entries()) {
      if (line === '') continue;
      scan.lines++;
      for (const [what, pattern] of LEAKS)
        if (pattern.test(line)) scan.findings.push(`${name}:${i + 1} has ${what}: ${line.slice(0, 200)}`);
    }
  }
  return scan;
}

export default class ChaosReporter implements Reporter {
  private readonly lines: string[] = [];

  constructor(private readonly options: { logDir?: string } = {}) {}

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
    const out = ['', 'chaos scenarios:', ...this.lines.map((l) => `  ${l}`)];
    const { logDir } = this.options;
    if (logDir) {
      const scan = scanLogs(logDir);
      const line = `log scan | load: ${scan.lines} log lines from ${scan.files} chipin processes | faults: none | findings: ${scan.findings.length}`;
      if (scan.findings.length === 0) {
        passed++;
        out.push(`  ${line}`);
        rmSync(logDir, { recursive: true, force: true });
      } else {
        failures.push(`FAILED ${line} (logs kept in ${logDir})`, ...scan.findings.slice(0, 20).map((f) => `    ${f}`));
        process.exitCode = 1;
      }
    }
    out.push(
      ...failures.map((f) => `  ${f}`),
      `${passed} passed, ${failures.filter((f) => f.startsWith('FAILED')).length} failed`,
      '',
    );
    process.stdout.write(out.join('\n'));
  }
}
