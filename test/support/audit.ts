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

/** Fails the test with the violations found; work may have waited at most `graceMs` (default: none). */
export async function expectSound(db: Db, graceMs = 0): Promise<void> {
  expect((await audit(db, [cashierAudit, systemAudit({ graceMs })])).violations).toEqual([]);
}
