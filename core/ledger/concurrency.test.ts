import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { fundedWallet, ref, wallet } from '../../test/support/ledger.js';
import { audit, createLedger, getAccount, openAccount, type Ledger } from './index.js';

// The Flexcoin attack and friends, against real Postgres with 10 connections (SPEC §7's per-file cap).
let t: TestDatabase;
let ledger: Ledger;

beforeAll(async () => {
  t = await createTestDatabase(10);
  ledger = createLedger({ db: t.db });
});
afterAll(async () => {
  await ledger.drain();
  await t.drop();
});

async function balance(id: bigint): Promise<{ posted: bigint; available: bigint }> {
  const a = await getAccount(t.db, id);
  if (!a) throw new Error('no account');
  return { posted: a.creditsPosted - a.debitsPosted, available: a.creditsPosted - a.debitsPosted - a.debitsPending };
}

describe('a wallet under concurrent spending never goes below zero', () => {
  it('500 concurrent 1.00 payments from a wallet holding 100.00: exactly 100 succeed (one transaction each)', async () => {
    const victim = await fundedWallet(t.db, ledger, 'user:flex-1', 100_00n);
    const receivers = await Promise.all(Array.from({ length: 10 }, (_, i) => wallet(t.db, `user:flex-1-r${i}`)));
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        ledger.apply(t.db, {
          legs: [
            {
              op: 'transfer',
              ref: ref('flex'),
              debit: victim.id,
              credit: receivers[i % 10]!.id,
              amount: 1_00n,
              kind: 'pay',
            },
          ],
        }),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(100);
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.error === 'InsufficientFunds')).toBe(true);
    expect(await balance(victim.id)).toEqual({ posted: 0n, available: 0n });
    expect((await audit(t.db)).violations).toEqual([]);
  });

  it('the same attack through group commit, with 50 concurrent holds of 10.00 mixed in', async () => {
    const victim = await fundedWallet(t.db, ledger, 'user:flex-2', 100_00n);
    const receiver = await wallet(t.db, 'user:flex-2-r');
    const payouts = await openAccount(t.db, { kind: 'system', owner: 'system:payouts', currency: 'USD' });
    const requests = Array.from({ length: 550 }, (_, i) => {
      const hold = i % 11 === 5;
      const unit = {
        legs: [
          hold
            ? {
                op: 'transfer' as const,
                ref: ref('hold'),
                debit: victim.id,
                credit: payouts.id,
                amount: 10_00n,
                kind: 'withdraw',
                pending: {},
              }
            : {
                op: 'transfer' as const,
                ref: ref('flex'),
                debit: victim.id,
                credit: receiver.id,
                amount: 1_00n,
                kind: 'pay',
              },
        ],
      };
      // Half through group commit, half one transaction each: both paths lock the same rows.
      return (i % 2 === 0 ? ledger.submit(unit) : ledger.apply(t.db, unit)).then((r) => ({
        r,
        amount: hold ? 10_00n : 1_00n,
      }));
    });
    const results = await Promise.all(requests);
    const spent = results.filter(({ r }) => r.ok).reduce((sum, { amount }) => sum + amount, 0n);
    expect(spent).toBe(100_00n);
    expect(results.filter(({ r }) => !r.ok).every(({ r }) => !r.ok && r.error === 'InsufficientFunds')).toBe(true);
    expect((await balance(victim.id)).available).toBe(0n);
    expect((await audit(t.db)).violations).toEqual([]);
  });
});

describe('a hot account', () => {
  it('1,000 concurrent credits into one fund add up exactly, with no deadlock and no lost update', async () => {
    const fund = await openAccount(t.db, { kind: 'fund', owner: 'fund:hot', currency: 'USD' });
    const payers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => fundedWallet(t.db, ledger, `user:hot-${i}`, 1_000_00n)),
    );
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => {
        const unit = {
          legs: [
            {
              op: 'transfer' as const,
              ref: ref('hot'),
              debit: payers[i % 50]!.id,
              credit: fund.id,
              amount: BigInt(1 + (i % 7)),
              kind: 'fund',
            },
          ],
        };
        return i % 4 === 0 ? ledger.apply(t.db, unit) : ledger.submit(unit);
      }),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    const expected = Array.from({ length: 1000 }, (_, i) => BigInt(1 + (i % 7))).reduce((a, b) => a + b, 0n);
    expect((await balance(fund.id)).posted).toBe(expected);
    expect((await audit(t.db)).violations).toEqual([]);
  });
});
