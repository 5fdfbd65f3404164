import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { fundedWallet, ref, wallet } from '../../test/support/ledger.js';
import {
  audit,
  balancesOf,
  createLedger,
  getAccount,
  history,
  openAccount,
  openAccounts,
  type Ledger,
  type Transfer,
} from './index.js';

let t: TestDatabase;
let ledger: Ledger;

beforeAll(async () => {
  t = await createTestDatabase(6);
  ledger = createLedger({ db: t.db });
});
afterAll(async () => {
  await ledger.drain();
  expect((await audit(t.db)).violations).toEqual([]);
  await t.drop();
});

const available = async (id: bigint): Promise<bigint> => {
  const a = await getAccount(t.db, id);
  if (!a) throw new Error('no account');
  return a.creditsPosted - a.debitsPosted - a.debitsPending;
};

const only = (r: Awaited<ReturnType<Ledger['apply']>>): Transfer => {
  if (!r.ok) throw new Error(`expected success, got ${r.error}`);
  const [first] = r.transfers;
  if (!first) throw new Error('no transfer');
  return first;
};

describe('transfers', () => {
  it('a payment moves money from one wallet to another', async () => {
    const alice = await fundedWallet(t.db, ledger, 'user:alice-1', 10_00n);
    const bob = await wallet(t.db, 'user:bob-1');
    const r = await ledger.apply(t.db, {
      legs: [{ op: 'transfer', ref: ref(), debit: alice.id, credit: bob.id, amount: 2_50n, kind: 'pay' }],
    });
    expect(r.ok).toBe(true);
    expect(await available(alice.id)).toBe(7_50n);
    expect(await available(bob.id)).toBe(2_50n);
    const [balance] = await balancesOf(t.db, 'user:bob-1');
    expect(balance).toEqual({ currency: 'USD', posted: 2_50n, available: 2_50n, pendingIn: 0n, pendingOut: 0n });
  });

  it('with wallets read locked and a first-run ref, a payment checks the same balance and cannot land twice', async () => {
    await fundedWallet(t.db, ledger, 'user:alice-h', 3_00n);
    await wallet(t.db, 'user:bob-h');
    const key = ref('first-run');
    const pay = (amount: bigint) =>
      t.db.transaction(async (tx) => {
        const wallets = await openAccounts(
          tx,
          [
            { kind: 'wallet', owner: 'user:alice-h', currency: 'USD' },
            { kind: 'wallet', owner: 'user:bob-h', currency: 'USD' },
          ],
          { lock: true },
        );
        const [from, to] = wallets;
        return ledger.apply(
          tx,
          { legs: [{ op: 'transfer', ref: key, debit: from!.id, credit: to!.id, amount, kind: 'pay' }] },
          { locked: wallets, newRefs: true },
        );
      });
    // The balance is checked on the rows read locked: too much is refused.
    expect(await pay(3_01n)).toEqual({ ok: false, error: 'InsufficientFunds', leg: 0 });
    expect((await pay(2_00n)).ok).toBe(true);
    // The same ref again under a wrong "first run" hint fails on the unique ref: nothing moves twice.
    await expect(pay(50n)).rejects.toMatchObject({ code: '23505' });
    const [alice] = await balancesOf(t.db, 'user:alice-h');
    expect(alice?.available).toBe(1_00n);
  });

  it('a wallet cannot pay more than it has, and nothing changes', async () => {
    const alice = await fundedWallet(t.db, ledger, 'user:alice-2', 5_00n);
    const bob = await wallet(t.db, 'user:bob-2');
    const r = await ledger.apply(t.db, {
      legs: [{ op: 'transfer', ref: ref(), debit: alice.id, credit: bob.id, amount: 5_01n, kind: 'pay' }],
    });
    expect(r).toEqual({ ok: false, error: 'InsufficientFunds', leg: 0 });
    expect(await available(alice.id)).toBe(5_00n);
    expect(await available(bob.id)).toBe(0n);
  });

  it('refuses paying yourself, zero amounts, unknown accounts and mixed currencies', async () => {
    const alice = await fundedWallet(t.db, ledger, 'user:alice-3', 5_00n);
    const yen = await wallet(t.db, 'user:alice-3', 'JPY');
    const pay = (credit: bigint, amount = 1n) =>
      ledger.apply(t.db, { legs: [{ op: 'transfer', ref: ref(), debit: alice.id, credit, amount, kind: 'pay' }] });
    expect(await pay(alice.id)).toMatchObject({ ok: false, error: 'SameAccount' });
    expect(await pay(yen.id)).toMatchObject({ ok: false, error: 'CurrencyMismatch' });
    expect(await pay(999_999_999n)).toMatchObject({ ok: false, error: 'AccountNotFound' });
    expect(await pay(yen.id, 0n)).toMatchObject({ ok: false, error: 'InvalidAmount' });
    expect(await available(alice.id)).toBe(5_00n);
  });

  it('the legs of one unit apply together or not at all', async () => {
    const alice = await fundedWallet(t.db, ledger, 'user:alice-4', 10_00n);
    const bob = await wallet(t.db, 'user:bob-4');
    const carol = await wallet(t.db, 'user:carol-4');
    const key = ref('settle');
    const r = await ledger.apply(t.db, {
      batchRef: key,
      legs: [
        { op: 'transfer', ref: `${key}#1`, debit: alice.id, credit: bob.id, amount: 6_00n, kind: 'settle' },
        { op: 'transfer', ref: `${key}#2`, debit: alice.id, credit: carol.id, amount: 6_00n, kind: 'settle' },
      ],
    });
    expect(r).toEqual({ ok: false, error: 'InsufficientFunds', leg: 1 });
    expect(await available(alice.id)).toBe(10_00n);
    expect(await available(bob.id)).toBe(0n);

    const ok = await ledger.apply(t.db, {
      batchRef: key,
      legs: [
        { op: 'transfer', ref: `${key}#1`, debit: alice.id, credit: bob.id, amount: 4_00n, kind: 'settle' },
        { op: 'transfer', ref: `${key}#2`, debit: alice.id, credit: carol.id, amount: 6_00n, kind: 'settle' },
      ],
    });
    expect(ok.ok && ok.transfers.map((x) => x.batchRef)).toEqual([key, key]);
    expect(await available(alice.id)).toBe(0n);
  });
});

describe('holds', () => {
  it('a hold reserves money; posting part of it pays that part and releases the rest', async () => {
    const alice = await fundedWallet(t.db, ledger, 'user:alice-5', 10_00n);
    const escrow = await openAccount(t.db, { kind: 'escrow', owner: 'claim:5', currency: 'USD' });
    const hold = only(
      await ledger.apply(t.db, {
        legs: [
          { op: 'transfer', ref: ref(), debit: alice.id, credit: escrow.id, amount: 8_00n, kind: 'claim', pending: {} },
        ],
      }),
    );
    expect(await available(alice.id)).toBe(2_00n);
    const [pending] = await balancesOf(t.db, 'user:alice-5');
    expect(pending).toMatchObject({ posted: 10_00n, available: 2_00n, pendingOut: 8_00n });
    // The reserved money cannot be spent twice.
    const spend = await ledger.apply(t.db, {
      legs: [{ op: 'transfer', ref: ref(), debit: alice.id, credit: escrow.id, amount: 3_00n, kind: 'pay' }],
    });
    expect(spend).toMatchObject({ ok: false, error: 'InsufficientFunds' });

    const post = only(
      await ledger.apply(t.db, { legs: [{ op: 'post', ref: ref(), pendingId: hold.id, amount: 5_00n }] }),
    );
    expect(post).toMatchObject({ state: 'posted', pendingId: hold.id, amount: 5_00n });
    expect(await available(alice.id)).toBe(5_00n);
    expect(await available(escrow.id)).toBe(5_00n);
  });

  it('a hold is resolved once: a second post or void is refused', async () => {
    const alice = await fundedWallet(t.db, ledger, 'user:alice-6', 10_00n);
    const bob = await wallet(t.db, 'user:bob-6');
    const hold = only(
      await ledger.apply(t.db, {
        legs: [
          { op: 'transfer', ref: ref(), debit: alice.id, credit: bob.id, amount: 3_00n, kind: 'pay', pending: {} },
        ],
      }),
    );
    const outcomes = await Promise.all([
      ledger.apply(t.db, { legs: [{ op: 'post', ref: ref(), pendingId: hold.id }] }),
      ledger.apply(t.db, { legs: [{ op: 'void', ref: ref(), pendingId: hold.id }] }),
      ledger.submit({ legs: [{ op: 'post', ref: ref(), pendingId: hold.id }] }),
    ]);
    expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
    expect(outcomes.filter((o) => !o.ok).map((o) => !o.ok && o.error)).toEqual([
      'PendingAlreadyResolved',
      'PendingAlreadyResolved',
    ]);
    const total = (await available(alice.id)) + (await available(bob.id));
    expect(total).toBe(10_00n);
  });

  it('an expired hold can be voided but not posted', async () => {
    const alice = await fundedWallet(t.db, ledger, 'user:alice-7', 10_00n);
    const bob = await wallet(t.db, 'user:bob-7');
    const hold = only(
      await ledger.apply(t.db, {
        legs: [
          {
            op: 'transfer',
            ref: ref(),
            debit: alice.id,
            credit: bob.id,
            amount: 3_00n,
            kind: 'pay',
            pending: { expiresAt: new Date(Date.now() - 1000) },
          },
        ],
      }),
    );
    expect(await ledger.apply(t.db, { legs: [{ op: 'post', ref: ref(), pendingId: hold.id }] })).toMatchObject({
      ok: false,
      error: 'PendingExpired',
    });
    expect(only(await ledger.apply(t.db, { legs: [{ op: 'void', ref: ref(), pendingId: hold.id }] })).state).toBe(
      'voided',
    );
    expect(await available(alice.id)).toBe(10_00n);
  });
});

describe('reversals', () => {
  it('a payment can be reversed up to its amount while the recipient still has the money', async () => {
    const alice = await fundedWallet(t.db, ledger, 'user:alice-8', 10_00n);
    const bob = await wallet(t.db, 'user:bob-8');
    const carol = await wallet(t.db, 'user:carol-8');
    const pay = only(
      await ledger.apply(t.db, {
        legs: [{ op: 'transfer', ref: ref(), debit: alice.id, credit: bob.id, amount: 6_00n, kind: 'pay' }],
      }),
    );
    only(
      await ledger.apply(t.db, {
        legs: [{ op: 'transfer', ref: ref(), debit: bob.id, credit: carol.id, amount: 4_00n, kind: 'pay' }],
      }),
    );
    // Bob spent 4.00: the full undo no longer fits his balance.
    expect(await ledger.apply(t.db, { legs: [{ op: 'reverse', ref: ref(), transferId: pay.id }] })).toMatchObject({
      ok: false,
      error: 'InsufficientFunds',
    });
    expect(
      only(await ledger.apply(t.db, { legs: [{ op: 'reverse', ref: ref(), transferId: pay.id, amount: 2_00n }] })).kind,
    ).toBe('reversal');
    expect(
      await ledger.apply(t.db, { legs: [{ op: 'reverse', ref: ref(), transferId: pay.id, amount: 4_01n }] }),
    ).toMatchObject({
      ok: false,
      error: 'ReversalExceedsTransfer',
    });
    expect(await available(alice.id)).toBe(6_00n);
  });

  it('"reverse the rest" counts partial reversals made just before it, and replays as itself', async () => {
    const alice = await fundedWallet(t.db, ledger, 'user:alice-14', 10_00n);
    const bob = await wallet(t.db, 'user:bob-14');
    const pay = only(
      await ledger.apply(t.db, {
        legs: [{ op: 'transfer', ref: ref(), debit: alice.id, credit: bob.id, amount: 6_00n, kind: 'pay' }],
      }),
    );
    const rest = { legs: [{ op: 'reverse', ref: ref('undo'), transferId: pay.id }] } as const;
    const [partial, remainder] = await Promise.all([
      ledger.submit({ legs: [{ op: 'reverse', ref: ref(), transferId: pay.id, amount: 1_00n }] }),
      ledger.submit(rest),
    ]);
    expect(partial?.ok).toBe(true);
    expect(only(remainder).amount).toBe(5_00n);
    expect(await ledger.apply(t.db, rest)).toMatchObject({ ok: true, replayed: true });
    expect(await available(alice.id)).toBe(10_00n);
  });
});

describe('idempotency', () => {
  it('a replayed reference returns the original transfer; different parameters are a conflict', async () => {
    const alice = await fundedWallet(t.db, ledger, 'user:alice-9', 10_00n);
    const bob = await wallet(t.db, 'user:bob-9');
    const key = ref('tg:1');
    const leg = { op: 'transfer', ref: key, debit: alice.id, credit: bob.id, amount: 1_00n, kind: 'pay' } as const;
    const first = only(await ledger.apply(t.db, { legs: [leg] }));
    const again = await ledger.apply(t.db, { legs: [leg] });
    expect(again).toEqual({ ok: true, replayed: true, transfers: [first] });
    expect(await ledger.apply(t.db, { legs: [{ ...leg, amount: 2_00n }] })).toEqual({
      ok: false,
      error: 'IdempotencyConflict',
      leg: 0,
    });
    expect(await available(alice.id)).toBe(9_00n);
  });

  it('the same reference submitted 20 times concurrently makes one transfer', async () => {
    const alice = await fundedWallet(t.db, ledger, 'user:alice-10', 10_00n);
    const bob = await wallet(t.db, 'user:bob-10');
    const key = ref('tg:2');
    const unit = {
      legs: [{ op: 'transfer', ref: key, debit: alice.id, credit: bob.id, amount: 1_00n, kind: 'pay' }],
    } as const;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? ledger.apply(t.db, unit) : ledger.submit(unit))),
    );
    const ids = new Set(results.map((r) => (r.ok ? r.transfers[0]?.id : r.error)));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.ok && !r.replayed)).toHaveLength(1);
    expect(await available(bob.id)).toBe(1_00n);
  });
});

describe('storage', () => {
  it('transfers can be neither updated nor deleted', async () => {
    const alice = await fundedWallet(t.db, ledger, 'user:alice-11', 1_00n);
    await expect(t.db.query('UPDATE transfers SET amount = 1 WHERE credit_account = $1', [alice.id])).rejects.toThrow(
      /immutable/,
    );
    await expect(t.db.query('DELETE FROM transfers WHERE credit_account = $1', [alice.id])).rejects.toThrow(
      /immutable/,
    );
  });

  it('history pages through a wallet newest first', async () => {
    const alice = await fundedWallet(t.db, ledger, 'user:alice-12', 10_00n);
    const bob = await wallet(t.db, 'user:bob-12');
    for (let i = 1n; i <= 5n; i++) {
      only(
        await ledger.apply(t.db, {
          legs: [{ op: 'transfer', ref: ref(), debit: alice.id, credit: bob.id, amount: i, kind: 'pay' }],
        }),
      );
    }
    const first = await history(t.db, { accountIds: [bob.id], limit: 3 });
    expect(first.items.map((x) => x.amount)).toEqual([5n, 4n, 3n]);
    const second = await history(t.db, { accountIds: [bob.id], limit: 3, cursor: first.next });
    expect(second.items.map((x) => x.amount)).toEqual([2n, 1n]);
    expect(second.next).toBeNull();
  });
});

describe('group commit', () => {
  it('a unit refused for lack of funds does not fail the units committed with it', async () => {
    const alice = await fundedWallet(t.db, ledger, 'user:alice-13', 3_00n);
    const bob = await wallet(t.db, 'user:bob-13');
    const results = await Promise.all(
      [1_00n, 5_00n, 2_00n, 1n].map((amount) =>
        ledger.submit({ legs: [{ op: 'transfer', ref: ref(), debit: alice.id, credit: bob.id, amount, kind: 'pay' }] }),
      ),
    );
    expect(results.map((r) => (r.ok ? 'ok' : r.error))).toEqual(['ok', 'InsufficientFunds', 'ok', 'InsufficientFunds']);
    expect(await available(bob.id)).toBe(3_00n);
  });
});
