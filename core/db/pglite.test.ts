import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit, balancesOf, createLedger, openAccount, openSystemAccount } from '../ledger/index.js';
import type { Db } from './executor.js';
import { migrate, pendingMigrations } from './migrate.js';
import { createPgliteDb } from './pglite.js';

// The embedded default must run the very same migrations and ledger SQL as Postgres.
let dir: string;
let db: Db;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chipin-pglite-'));
  db = await createPgliteDb(dir);
});
afterAll(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the embedded database (PGlite)', () => {
  it('applies every migration and runs the ledger, holds and the audit', async () => {
    await migrate(db);
    expect(await pendingMigrations(db)).toEqual([]);
    const ledger = createLedger({ db });
    const faucet = await openSystemAccount(db, 'faucet', 'USD');
    const alice = await openAccount(db, { kind: 'wallet', owner: 'person:1', currency: 'USD' });
    const bob = await openAccount(db, { kind: 'wallet', owner: 'person:2', currency: 'USD' });
    const results = await Promise.all([
      ledger.submit({
        legs: [{ op: 'transfer', ref: 'f1', debit: faucet.id, credit: alice.id, amount: 10_00n, kind: 'faucet' }],
      }),
      ledger.submit({
        legs: [{ op: 'transfer', ref: 'p1', debit: alice.id, credit: bob.id, amount: 4_00n, kind: 'pay' }],
      }),
      ledger.submit({
        legs: [{ op: 'transfer', ref: 'h1', debit: alice.id, credit: bob.id, amount: 1_00n, kind: 'pay', pending: {} }],
      }),
      ledger.apply(db, {
        legs: [{ op: 'transfer', ref: 'p2', debit: alice.id, credit: bob.id, amount: 50_00n, kind: 'pay' }],
      }),
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : r.error))).toEqual(['ok', 'ok', 'ok', 'InsufficientFunds']);
    const hold = results[2]?.ok ? results[2].transfers[0]?.id : undefined;
    expect(hold).toBeDefined();
    expect((await ledger.apply(db, { legs: [{ op: 'void', ref: 'v1', pendingId: hold ?? 0n }] })).ok).toBe(true);
    expect(await balancesOf(db, 'person:1')).toEqual([
      { currency: 'USD', posted: 6_00n, available: 6_00n, pendingIn: 0n, pendingOut: 0n },
    ]);
    expect(await audit(db)).toMatchObject({ ok: true, accounts: 3, transfers: 4 });
  });
});
