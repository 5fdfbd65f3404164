/**
 * The end of every chaos scenario: `chipin check --deep --json` — the real CLI, as an operator would run it — on the
 * scenario's database. Fails the scenario on any violation; returns the invariants that held, for its line.
 */
import { expect } from 'vitest';
import { runChipin, tempDir } from '../support/chipin.js';

/** What `chipin check --deep` verifies (SPEC §5's ledger audit, the cashier's reconciliation, RELIABILITY §2). */
export const DEEP_INVARIANTS = [
  'INV-1',
  'INV-2',
  'INV-3',
  'INV-4',
  'INV-5',
  'RECON',
  'IMMUTABLE',
  'INBOX',
  'COMMAND',
  'OUTCOME',
  'OUTBOX',
  'SENT',
] as const;

/**
 * Work may have waited at most `graceMs`: call it once the scenario has drained; the default 10 s covers work that
 * fell due while the check started (a notification a few seconds after its payment).
 */
export async function expectInvariants(databaseUrl: string, graceMs = 10_000): Promise<string[]> {
  const cwd = tempDir('check');
  const check = await runChipin(
    ['check', '--deep', '--grace', `${graceMs}ms`, '--json'],
    { NODE_ENV: 'test', LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl, DATA_DIR: `${cwd}/data` },
    cwd,
  );
  if (check.code === 2) throw new Error(`chipin check could not audit: ${check.stderr}`);
  const report = JSON.parse(check.stdout) as { ok: boolean; violations: unknown[] };
  expect(report.violations).toEqual([]);
  expect(check.code).toBe(0);
  return [...DEEP_INVARIANTS];
}
