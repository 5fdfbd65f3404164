/**
 * The oracle every test world ends with: the ledger's audit (SPEC §5 INV-1..INV-5, the cashier's reconciliation)
 * and the system invariants of `chipin check --deep` (RELIABILITY §2: every delivery processed once, every command
 * with its outcome, no money moved without one, every outbox row accounted for, no message that could go twice).
 */
import { expect } from 'vitest';
import { systemAudit } from '../../core/audit/system.js';
import { cashierAudit } from '../../core/cashier/index.js';
import type { Db } from '../../core/db/executor.js';
import { audit } from '../../core/ledger/index.js';

/**
 * Fails the test with the violations found. Work may have waited at most `graceMs`: the default 10 s covers work
 * that fell due while the world was being closed (a notification moved a few seconds on by a 429's retry_after).
 */
export async function expectSound(db: Db, graceMs = 10_000): Promise<void> {
  expect((await audit(db, [cashierAudit, systemAudit({ graceMs })])).violations).toEqual([]);
}
