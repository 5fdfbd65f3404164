import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { fundedWallet, ref, wallet } from '../../test/support/ledger.js';
import { audit, createLedger, type Ledger } from './index.js';

// Each test corrupts its own database behind the ledger's back and expects the audit to name it.
let t: TestDatabase;
let ledger: Ledger;
let hold: bigint;

beforeEach(async () => {
  t = await createTestDatabase(3);
  ledger = createLedger({ db: t.db });
  const alice = await fundedWallet(t.db, ledger, 'user:alice', 10_00n);
  const bob = await wallet(t.db, 'user:bob');
  await ledger.apply(t.db, {
    legs: [{ op: 'transfer', ref: ref(), debit: alice.id, credit: bob.id, amount: 3_00n, kind: 'pay' }],
  });
  const r = await ledger.apply(t.db, {
    legs: [{ op: 'transfer', ref: ref(), debit: alice.id, credit: bob.id, amount: 2_00n, kind: 'pay', pending: {} }],
  });
  if (!r.ok || !r.transfers[0]) throw new Error('setup failed');
  hold = r.transfers[0].id;
});
afterEach(async () => {
  await t.drop();
});

const invariants = async (): Promise<string[]> =>
  [...new Set((await audit(t.db)).violations.map((v) => v.invariant))].sort();

describe('the ledger audit', () => {
  it('finds nothing wrong in a healthy ledger and counts what it read', async () => {
    await ledger.apply(t.db, { legs: [{ op: 'post', ref: ref(), pendingId: hold }] });
    expect(await audit(t.db)).toEqual({ ok: true, accounts: 3, transfers: 4, violations: [], sections: {} });
  });

  it('notices a cached total changed behind its back', async () => {
    await t.db.query(`UPDATE accounts SET credits_posted = credits_posted + 1 WHERE owner = 'user:bob'`);
    expect(await invariants()).toEqual(['INV-1', 'INV-2']);
  });

  it("notices a transfer whose currency differs from its accounts'", async () => {
    await t.db.query('ALTER TABLE transfers DISABLE TRIGGER transfers_no_update_delete');
    await t.db.query(`UPDATE transfers SET currency = 'EUR' WHERE kind = 'pay' AND state = 'posted'`);
    expect(await invariants()).toEqual(['INV-5']);
  });

  it('notices a hold posted twice', async () => {
    await ledger.apply(t.db, { legs: [{ op: 'post', ref: ref(), pendingId: hold }] });
    await t.db.query('DROP INDEX transfers_one_resolution');
    await t.db.query(
      `INSERT INTO transfers (ref, debit_account, credit_account, amount, currency, state, pending_id, kind)
       SELECT 'forged-second-post', debit_account, credit_account, amount, currency, 'posted', id, kind FROM transfers WHERE id = $1`,
      [hold],
    );
    expect(await invariants()).toEqual(['INV-2', 'INV-4']);
  });

  it('notices a wallet whose debits exceed its credits', async () => {
    await t.db.query('ALTER TABLE transfers DISABLE TRIGGER transfers_no_update_delete');
    await t.db.query(`UPDATE transfers SET amount = 5000 WHERE kind = 'pay' AND state = 'posted'`);
    const found = await audit(t.db);
    expect(found.ok).toBe(false);
    const overdrawn = found.violations.filter((v) => v.invariant === 'INV-3');
    expect(overdrawn).toHaveLength(1);
    expect(overdrawn[0]).toMatchObject({ owner: 'user:alice', debits: '5200', credits: '1000' });
  });
});
