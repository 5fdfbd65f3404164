/**
 * Withdrawals through Stripe Connect against real Postgres and the fake Stripe server, driven by the real `stripe`
 * library (RELIABILITY F9, F10): /connect, /withdraw and its Confirm, the settlement job, payout events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  audit,
  openReceivable,
  openSystemAccount,
  type Core,
  type Person,
  type WithdrawOutcome,
} from '../../core/index.js';
import type { Db } from '../../core/db/executor.js';
import { available, coreWith, notificationsOf, person, press, usd } from '../../test/support/core.js';
import { ref } from '../../test/support/ledger.js';
import {
  connected as connectedPerson,
  stripeFixture,
  withdrawCard,
  withdrawal,
  type StripeFixture,
} from '../../test/support/stripe/fixture.js';
import type { FakeStripe, StripeEvent as StripeEventObject } from '../../test/support/stripe/server.js';
import {
  accountOfPerson,
  objectsOf,
  onboard,
  payoutOfWithdrawal,
  setBalance,
  settlePayout,
  transfersOfWithdrawal,
  type TransferObject,
} from '../../test/support/stripe/connect.js';

let f: StripeFixture;
let db: Db;
let fake: FakeStripe;
let core: Core;

beforeAll(async () => {
  f = await stripeFixture({
    config: { withdrawRetryMs: 3_600_000 },
    pool: 6,
    timeoutMs: 3_000,
  });
  ({ db, fake, core } = f);
});

afterAll(async () => {
  expect((await audit(db)).violations).toEqual([]);
  await f.close();
});

/** A Stripe event delivered, signed, to the webhook route (stored with its job). */
async function deliver(event: StripeEventObject): Promise<void> {
  expect(await fake.deliver(event)).toBe(200);
}

const runJobs = (rounds?: number): Promise<unknown[]> => f.runJobs(rounds);

const connected = (name: string, minor = 0n): Promise<Person> => connectedPerson(f, name, minor);
const withdraw = (p: Person, minor: bigint): Promise<WithdrawOutcome> => withdrawCard(f, p, minor);
const confirm = (p: Person, minor: bigint): Promise<bigint> => withdrawal(f, p, minor);

const stateOf = async (id: bigint): Promise<string | undefined> => (await core.cashier.payouts.get(db, id))?.state;

async function transfersOf(id: bigint): Promise<Array<{ ref: string; kind: string; state: string; amount: bigint }>> {
  const r = await db.query(
    `SELECT ref, kind, state, amount FROM transfers WHERE meta->>'withdrawalId' = $1 ORDER BY id`,
    [id.toString()],
  );
  return r.rows.map((row) => ({
    ref: String(row.ref),
    kind: String(row.kind),
    state: String(row.state),
    amount: BigInt(String(row.amount)),
  }));
}

async function attemptsOf(id: bigint): Promise<Array<Record<string, unknown>>> {
  const r = await db.query(
    `SELECT step, n, key, state, code FROM withdrawal_attempts WHERE withdrawal_id = $1 ORDER BY step DESC, n`,
    [id],
  );
  return r.rows;
}

const templatesOf = async (p: Person): Promise<string[]> =>
  (await notificationsOf(db, p)).map((n) => n.template.key).filter((k) => k.startsWith('withdraw.'));

describe('/connect', () => {
  it('creates one Express account per person (key from the person id) and answers with an onboarding link', async () => {
    const p = await person(core, 'conn_ann');
    const first = await db.transaction((tx) => core.cashier.connect(tx, { person: p }));
    const second = await db.transaction((tx) => core.cashier.connect(tx, { person: p }));
    expect(first).toMatchObject({ type: 'link', payoutsEnabled: false });
    expect(second).toMatchObject({ type: 'link' });
    if (first.type !== 'link') return;
    expect(first.url).toMatch(/\/connect\/onboard\/acct_/);
    const creates = fake.requests.filter((r) => r.method === 'POST' && r.path === '/v1/accounts');
    expect(creates.filter((r) => r.idempotencyKey === `connect:${p.id}`)).toHaveLength(1);
    expect(objectsOf(fake, 'account').filter((a) => accountOfPerson(fake, p.id)?.id === a.id)).toHaveLength(1);
  });

  it('records payouts_enabled from account.updated (re-read from Stripe, any order)', async () => {
    const p = await person(core, 'conn_bob');
    await db.transaction((tx) => core.cashier.connect(tx, { person: p }));
    const account = accountOfPerson(fake, p.id);
    if (!account) throw new Error('no account');
    const early = onboard(fake, account.id, false);
    const late = onboard(fake, account.id, true);
    await deliver(late);
    await deliver(early);
    await runJobs();
    expect((await core.cashier.accounts.accountOf(db, p.id))?.payoutsEnabled).toBe(true);
  });

  it('adopts an account Stripe made for a person whose /connect never committed; refuses one that is not ours', async () => {
    const p = await person(core, 'conn_lost');
    const gateway = core.cashier.gateway;
    if (!gateway) throw new Error('no gateway');
    const lost = await gateway.createConnectedAccount({
      idempotencyKey: `connect:${p.id}`,
      metadata: { chipin_person_id: `${p.id}` },
    });
    const stranger = await gateway.createConnectedAccount({ idempotencyKey: ref('connect'), metadata: {} });
    await deliver(onboard(fake, lost.id));
    await deliver(onboard(fake, stranger.id));
    const errors = await runJobs(1);
    expect(errors.map((e) => (e as Error).name)).toEqual(['JobRejected']);
    expect(await core.cashier.accounts.accountOf(db, p.id)).toEqual({
      personId: p.id,
      accountId: lost.id,
      payoutsEnabled: true,
    });
    await db.query(`UPDATE outbox SET state = 'dead' WHERE kind = 'stripe.event' AND state = 'pending'`);
  });
});

describe('/withdraw refusals (nothing changes)', () => {
  async function nothingChanged(p: Person, before: bigint): Promise<void> {
    expect(await available(core, p)).toBe(before);
    const rows = await db.query(`SELECT count(*)::int AS n FROM withdrawals WHERE person_id = $1`, [p.id]);
    expect(rows.rows[0]?.n).toBe(0);
  }

  it('without Stripe configured', async () => {
    const bare = coreWith(db, {});
    const p = await person(bare, 'wd_nostripe', 100_00n);
    const r = await db.transaction((tx) =>
      bare.cashier.withdraw(tx, { key: ref('w'), person: p, amount: usd(10_00n) }),
    );
    expect(r).toEqual({ type: 'rejected', error: 'StripeUnavailable' });
    await nothingChanged(p, 100_00n);
  });

  it('without a connected account, or before Stripe enables its payouts', async () => {
    const p = await person(core, 'wd_noacct', 100_00n);
    expect(await withdraw(p, 10_00n)).toEqual({ type: 'rejected', error: 'NotConnected' });
    await db.transaction((tx) => core.cashier.connect(tx, { person: p }));
    expect(await withdraw(p, 10_00n)).toEqual({ type: 'rejected', error: 'NotConnected' });
    await nothingChanged(p, 100_00n);
  });

  it('while the person owes for card money taken back', async () => {
    const p = await connected('wd_owes', 100_00n);
    await db.transaction(async (tx) => {
      const receivable = await openReceivable(tx, p.id, 'USD');
      const disputes = await openSystemAccount(tx, 'disputes', 'USD');
      const r = await core.ledger.apply(tx, {
        legs: [
          { op: 'transfer', ref: ref('owed'), debit: receivable.id, credit: disputes.id, amount: 5_00n, kind: 'test' },
        ],
      });
      if (!r.ok) throw new Error(r.error);
    });
    expect(await withdraw(p, 10_00n)).toEqual({ type: 'rejected', error: 'Owed' });
    await nothingChanged(p, 100_00n);
  });

  it('when the wallet cannot cover amount + fee', async () => {
    const p = await connected('wd_short', 100_00n);
    // 100.00 + fee 0.50 > 100.00
    expect(await withdraw(p, 100_00n)).toEqual({ type: 'rejected', error: 'InsufficientFunds' });
    await nothingChanged(p, 100_00n);
  });
});

describe('/withdraw', () => {
  it('shows amount, fee and total; Confirm holds them; the job transfers, posts and pays out; payout.paid tells once', async () => {
    const p = await connected('wd_happy', 200_00n);
    const card = await withdraw(p, 100_00n);
    expect(card).toMatchObject({
      type: 'confirm',
      amount: { minor: '10000', currency: 'USD' },
      fee: { minor: '50', currency: 'USD' },
      total: { minor: '10050', currency: 'USD' },
    });
    if (card.type !== 'confirm') return;
    const stranger = await person(core, 'wd_stranger');
    expect(await press(core, stranger, card.actionId)).toEqual({ type: 'refused', error: 'NotYours' });
    const pressed = await press(core, p, card.actionId);
    expect(pressed).toMatchObject({ type: 'done', outcome: { type: 'held' } });
    const id = BigInt((pressed as { outcome: { withdrawalId: string } }).outcome.withdrawalId);
    expect(await available(core, p)).toBe(99_50n);
    expect((await transfersOf(id)).map((x) => [x.kind, x.state])).toEqual([
      ['withdrawal', 'pending'],
      ['withdrawal.fee', 'pending'],
    ]);

    expect(await runJobs()).toEqual([]);
    expect(await stateOf(id)).toBe('settling');
    const [transfer] = transfersOfWithdrawal(fake, id);
    expect(transfer).toMatchObject({ amount: 100_00, currency: 'usd', metadata: { chipin_withdrawal_id: `${id}` } });
    const calls = fake.requests.filter((r) => r.path === '/v1/transfers' && r.idempotencyKey?.startsWith(`${id}:`));
    expect(calls.map((c) => c.idempotencyKey)).toEqual([`${id}:1`]);
    const payout = payoutOfWithdrawal(fake, id);
    expect(payout).toMatchObject({ amount: 100_00, status: 'pending' });
    expect((await transfersOf(id)).filter((x) => x.state === 'posted')).toHaveLength(2);
    expect(await available(core, p)).toBe(99_50n);

    if (!payout) return;
    const paid = settlePayout(fake, payout.id, 'paid');
    await deliver(paid);
    await deliver(paid);
    await runJobs();
    expect(await stateOf(id)).toBe('paid');
    expect(await templatesOf(p)).toEqual(['withdraw.paid']);

    const history = await core.payments.history(db, p.id, { limit: 10 });
    const lines = history.entries.map((e) => [e.direction, e.amount.minor, e.counterpart, e.state]);
    expect(lines.slice(0, 2)).toEqual([
      ['out', 50n, 'fees', 'completed'],
      ['out', 100_00n, 'payouts', 'completed'],
    ]);
  });

  it('F9: a transfer whose response is dropped after success is retried with the same key and params: one transfer', async () => {
    const p = await connected('wd_drop', 100_00n);
    const id = await confirm(p, 50_00n);
    // The library's own retry is dropped too: the job sees no answer and fails; its retry re-sends the key.
    fake.plant('POST /v1/transfers', { kind: 'drop' }, 2);
    const errors = await runJobs(1);
    expect(errors).toHaveLength(1);
    expect(await stateOf(id)).toBe('held');
    // The attempt was committed before the call (the failed run's transaction rolled back; the key is still there).
    expect(await attemptsOf(id)).toEqual([{ step: 'transfer', n: 1, key: `${id}:1`, state: 'started', code: null }]);
    expect(await runJobs()).toEqual([]);
    expect(await stateOf(id)).toBe('settling');
    const calls = fake.requests.filter(
      (r) => r.method === 'POST' && r.path === '/v1/transfers' && r.idempotencyKey?.startsWith(`${id}:`),
    );
    expect(calls.length).toBeGreaterThanOrEqual(3);
    expect(new Set(calls.map((c) => c.idempotencyKey))).toEqual(new Set([`${id}:1`]));
    expect(new Set(calls.map((c) => JSON.stringify(c.params))).size).toBe(1);
    expect(transfersOfWithdrawal(fake, id)).toHaveLength(1);
    const rows = await db.query(`SELECT count(*)::int AS n FROM withdrawals WHERE person_id = $1`, [p.id]);
    expect(rows.rows[0]?.n).toBe(1);
    expect((await transfersOf(id)).filter((x) => x.state === 'posted')).toHaveLength(2);
  });

  it('a definite refusal of the transfer voids the holds and tells the person', async () => {
    const p = await connected('wd_refused', 100_00n);
    const id = await confirm(p, 40_00n);
    fake.plant('POST /v1/transfers', {
      kind: 'error',
      status: 400,
      error: { type: 'invalid_request_error', code: 'account_invalid', message: 'The account is not valid' },
    });
    expect(await runJobs()).toEqual([]);
    expect(await stateOf(id)).toBe('refused');
    expect(await available(core, p)).toBe(100_00n);
    expect((await transfersOf(id)).map((x) => x.state)).toEqual(['pending', 'pending', 'voided', 'voided']);
    expect(await templatesOf(p)).toEqual(['withdraw.refused']);
  });
});

describe('F10: payouts that fail, and a platform short of funds', () => {
  async function settled(name: string): Promise<{ p: Person; id: bigint; payoutId: string }> {
    const p = await connected(name, 100_00n);
    const id = await confirm(p, 60_00n);
    expect(await runJobs()).toEqual([]);
    const payout = payoutOfWithdrawal(fake, id);
    if (!payout) throw new Error('no payout');
    return { p, id, payoutId: payout.id };
  }

  async function expectOneReversal(p: Person, id: bigint): Promise<void> {
    expect(await stateOf(id)).toBe('failed');
    const reversals = (await transfersOf(id)).filter((x) => x.ref.startsWith(`withdrawal:${id}:reversal`));
    expect(reversals.map((x) => [x.kind, x.amount])).toEqual([
      ['withdrawal.returned', 60_00n],
      ['withdrawal.fee_returned', 40n],
    ]);
    expect(await available(core, p)).toBe(100_00n);
    expect((await templatesOf(p)).filter((k) => k === 'withdraw.returned')).toHaveLength(1);
    // The money the bank returned to the connected account goes back to the platform, once (S7).
    const [transfer] = transfersOfWithdrawal(fake, id);
    expect(transfer).toMatchObject({ reversed: true, amount_reversed: 60_00 });
    const calls = fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/reversals'));
    expect(calls.filter((r) => r.idempotencyKey?.startsWith(`${id}:`)).map((r) => r.idempotencyKey)).toEqual([
      `${id}:reversal:1`,
    ]);
    expect((await core.cashier.payouts.get(db, id))?.stripeReversal).toMatch(/^trr_/);
    // In /history the withdrawal and its fee are undone, and what came back reads as their reversals.
    const [fee, back, withdrawn, paidFee] = (await core.payments.history(db, p.id, { limit: 4 })).entries;
    expect([fee, back].map((e) => [e?.direction, e?.amount.minor, e?.kind, e?.state])).toEqual([
      ['in', 40n, 'withdrawal.fee_returned', 'completed'],
      ['in', 60_00n, 'withdrawal.returned', 'completed'],
    ]);
    expect([withdrawn, paidFee].map((e) => e?.state)).toEqual(['undone', 'undone']);
    expect(new Set([fee?.reverses, back?.reverses])).toEqual(new Set([withdrawn?.transferId, paidFee?.transferId]));
  }

  it('payout.paid then payout.failed: settling → paid → failed, one reversal, one notice', async () => {
    const { p, id, payoutId } = await settled('f10_order');
    await deliver(settlePayout(fake, payoutId, 'paid'));
    await runJobs();
    expect(await stateOf(id)).toBe('paid');
    const failed = settlePayout(fake, payoutId, 'failed');
    await deliver(failed);
    await deliver(failed);
    await runJobs();
    await expectOneReversal(p, id);
  });

  it('payout.failed delivered before payout.paid: one reversal, one notice, never back to paid', async () => {
    const { p, id, payoutId } = await settled('f10_reverse');
    const paid = settlePayout(fake, payoutId, 'paid');
    const failed = settlePayout(fake, payoutId, 'failed');
    await deliver(failed);
    await runJobs();
    await deliver(paid);
    await runJobs();
    await expectOneReversal(p, id);
  });

  it('balance_insufficient on the platform is retried later with a new key, no ledger effect until it succeeds', async () => {
    const p = await connected('f10_short', 100_00n);
    setBalance(fake, 'usd', 10_00);
    const id = await confirm(p, 50_00n);
    expect(await runJobs()).toEqual([]);
    expect(await stateOf(id)).toBe('held');
    expect((await transfersOf(id)).map((x) => x.state)).toEqual(['pending', 'pending']);
    expect(await templatesOf(p)).toEqual([]);
    const next = await db.query(
      `SELECT key, due_at > now() + interval '50 minutes' AS later FROM outbox
      WHERE kind = 'settlement.withdrawal' AND state = 'pending' AND payload->>'withdrawalId' = $1`,
      [`${id}`],
    );
    expect(next.rows).toEqual([{ key: `settlement.withdrawal:${id}:transfer:2`, later: true }]);

    setBalance(fake, 'usd', 1_000_000_00);
    await db.query(`UPDATE outbox SET due_at = now() WHERE key = $1`, [`settlement.withdrawal:${id}:transfer:2`]);
    expect(await runJobs()).toEqual([]);
    expect(await stateOf(id)).toBe('settling');
    const keys = fake.requests
      .filter((r) => r.path === '/v1/transfers' && r.idempotencyKey?.startsWith(`${id}:`))
      .map((r) => r.idempotencyKey);
    expect(keys).toEqual([`${id}:1`, `${id}:2`]);
    expect(transfersOfWithdrawal(fake, id)).toHaveLength(1);
    expect((await transfersOf(id)).filter((x) => x.state === 'posted')).toHaveLength(2);
    expect(await attemptsOf(id)).toEqual([
      { step: 'transfer', n: 1, key: `${id}:1`, state: 'refused', code: 'balance_insufficient' },
      { step: 'transfer', n: 2, key: `${id}:2`, state: 'succeeded', code: null },
      { step: 'payout', n: 1, key: `${id}:payout:1`, state: 'succeeded', code: null },
    ]);
  });
});

describe('concurrency', () => {
  it('two withdrawals racing never overdraw the wallet', async () => {
    const p = await connected('race_two', 100_00n);
    const a = await withdraw(p, 60_00n);
    const b = await withdraw(p, 60_00n);
    if (a.type !== 'confirm' || b.type !== 'confirm') throw new Error('no cards');
    const results = await Promise.all([press(core, p, a.actionId), press(core, p, b.actionId)]);
    const outcomes = results.map((r) => (r.type === 'done' ? r.outcome.type : r.type)).sort();
    expect(outcomes).toEqual(['held', 'rejected']);
    expect(await available(core, p)).toBe(100_00n - 60_00n - 40n);
  });

  it('one Confirm pressed twice at once makes one withdrawal', async () => {
    const p = await connected('race_same', 100_00n);
    const card = await withdraw(p, 30_00n);
    if (card.type !== 'confirm') throw new Error('no card');
    const results = await Promise.all([press(core, p, card.actionId), press(core, p, card.actionId)]);
    expect(results.filter((r) => r.type === 'done')).toHaveLength(1);
    const rows = await db.query(`SELECT count(*)::int AS n FROM withdrawals WHERE person_id = $1`, [p.id]);
    expect(rows.rows[0]?.n).toBe(1);
    expect(await available(core, p)).toBe(100_00n - 30_00n - 33n);
    expect(objectsOf<TransferObject>(fake, 'transfer').length).toBeGreaterThan(0);
  });
});
