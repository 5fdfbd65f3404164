/**
 * Reconciliation of withdrawals against real Postgres and the fake Stripe (RELIABILITY INV-5, S1, S6, F9): each
 * transfer, transfer reversal and payout carrying `chipin_withdrawal_id` maps to one withdrawal whose ledger agrees,
 * and an attempt left without an answer for longer than Stripe keeps keys is resolved by lookup, never re-POSTed.
 */
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cashierAudit, WITHDRAWAL_METADATA } from '../../core/cashier/index.js';
import type { Db } from '../../core/db/executor.js';
import { connected, stripeFixture, withdrawal, type StripeFixture } from '../../test/support/stripe/fixture.js';
import {
  accountOfPerson,
  payoutOfWithdrawal,
  settlePayout,
  transfersOfWithdrawal,
} from '../../test/support/stripe/connect.js';
import type { FakeStripe } from '../../test/support/stripe/server.js';
import { registerCashierMetrics } from './metrics.js';

let f: StripeFixture;
let db: Db;
let fake: FakeStripe;

beforeAll(async () => {
  f = await stripeFixture({ pool: 6, timeoutMs: 3_000 });
  ({ db, fake } = f);
});

afterAll(async () => {
  await f.close();
});

const since = () => new Date(Date.now() - 3_600_000);
const reconcile = () => f.core.cashier.reconciler.run({ since: since() });
const stateOf = async (id: bigint) => (await f.core.cashier.payouts.get(db, id))?.state;

async function deliver(event: Parameters<FakeStripe['deliver']>[0]): Promise<void> {
  expect(await fake.deliver(event)).toBe(200);
}

async function attemptsOf(id: bigint): Promise<Array<Record<string, unknown>>> {
  const r = await db.query(
    `SELECT step, n, key, state, code FROM withdrawal_attempts WHERE withdrawal_id = $1 ORDER BY step DESC, n`,
    [id],
  );
  return r.rows;
}

/** Stripe keeps keys 24 h: the attempt was recorded 25 h ago, and the fake has pruned its key. */
async function ageAttempt(key: string): Promise<void> {
  await db.query(`UPDATE withdrawal_attempts SET created_at = created_at - interval '25 hours' WHERE key = $1`, [key]);
  fake.prune((k) => k === key);
}

const transferPosts = (id: bigint) =>
  fake.requests.filter(
    (r) => r.method === 'POST' && r.path === '/v1/transfers' && r.idempotencyKey?.startsWith(`${id}:`),
  );

async function postedLegs(id: bigint): Promise<string[]> {
  const r = await db.query(`SELECT ref FROM transfers WHERE ref LIKE $1 AND state = 'posted' ORDER BY ref`, [
    `withdrawal:${id}:%`,
  ]);
  return r.rows.map((row) => String(row.ref));
}

describe('withdrawals in reconciliation', () => {
  it('a paid withdrawal and one whose payout failed after paid (reversed) agree with Stripe', async () => {
    const p = await connected(f, 'rw_ann', 100_00n);
    const paid = await withdrawal(f, p, 40_00n);
    await f.drain();
    const failed = await withdrawal(f, p, 20_00n);
    await f.drain();
    await deliver(settlePayout(fake, payoutOfWithdrawal(fake, paid)?.id ?? '', 'paid'));
    const payout = payoutOfWithdrawal(fake, failed)?.id ?? '';
    await deliver(settlePayout(fake, payout, 'paid'));
    await deliver(settlePayout(fake, payout, 'failed'));
    await f.drain();
    expect([await stateOf(paid), await stateOf(failed)]).toEqual(['paid', 'failed']);
    expect(transfersOfWithdrawal(fake, failed)[0]?.reversed).toBe(true);

    const report = await reconcile();
    expect(report.findings).toEqual([]);
    expect(report.recovered).toEqual([]);
    expect(report.transfers).toBe(2);
    expect(report.payouts).toBe(2);
  });

  it('F9 variant: a transfer made 25 h ago whose key was pruned is found by metadata, not re-POSTed', async () => {
    const p = await connected(f, 'rw_ben', 100_00n);
    const id = await withdrawal(f, p, 30_00n);
    fake.plant('POST /v1/transfers', { kind: 'drop' }, 2);
    expect(await f.runJobs(1)).toHaveLength(1);
    expect(await stateOf(id)).toBe('held');
    const made = transfersOfWithdrawal(fake, id);
    expect(made).toHaveLength(1);
    await ageAttempt(`${id}:1`);
    const posts = transferPosts(id).length;

    const report = await reconcile();
    expect(report.recovered).toEqual([
      { withdrawalId: id, step: 'transfer', key: `${id}:1`, result: 'found', objectId: made[0]?.id },
    ]);
    expect(report.findings).toEqual([]);
    expect(await stateOf(id)).toBe('transferred');
    expect(await postedLegs(id)).toEqual([`withdrawal:${id}:post#1`, `withdrawal:${id}:post#2`]);
    expect(await attemptsOf(id)).toEqual([
      { step: 'transfer', n: 1, key: `${id}:1`, state: 'succeeded', code: null },
      { step: 'payout', n: 1, key: `${id}:payout:1`, state: 'started', code: null },
    ]);

    // The failed job and the payout's job both run: the payout is made, the transfer never POSTed again.
    await f.drain();
    expect(await stateOf(id)).toBe('settling');
    expect(transferPosts(id)).toHaveLength(posts);
    expect(transfersOfWithdrawal(fake, id)).toHaveLength(1);
    expect(payoutOfWithdrawal(fake, id)?.amount).toBe(30_00);
  });

  it('F9 variant: a transfer never made is closed as not made after 25 h and tried again with a new key', async () => {
    const p = await connected(f, 'rw_cy', 100_00n);
    const id = await withdrawal(f, p, 25_00n);
    // Stripe answers 500 (not saved, nothing made), the library's retry too: an unknown outcome.
    const boom = { kind: 'error', status: 500, error: { type: 'api_error', message: 'boom' } } as const;
    fake.plant('POST /v1/transfers', boom, 2);
    expect(await f.runJobs(1)).toHaveLength(1);
    expect(transferPosts(id)).toHaveLength(2);
    expect(transfersOfWithdrawal(fake, id)).toEqual([]);
    await ageAttempt(`${id}:1`);

    const report = await reconcile();
    expect(report.recovered).toEqual([
      { withdrawalId: id, step: 'transfer', key: `${id}:1`, result: 'not_made', objectId: null },
    ]);
    expect(await stateOf(id)).toBe('held');
    expect(await attemptsOf(id)).toEqual([
      { step: 'transfer', n: 1, key: `${id}:1`, state: 'lapsed', code: 'not_found' },
      { step: 'transfer', n: 2, key: `${id}:2`, state: 'started', code: null },
    ]);

    await f.drain();
    expect(await stateOf(id)).toBe('settling');
    const made = transfersOfWithdrawal(fake, id);
    expect(made).toHaveLength(1);
    expect(transferPosts(id).map((r) => r.idempotencyKey)).toEqual([`${id}:1`, `${id}:1`, `${id}:2`]);
  });

  it('F9 variant for the payout: made 25 h ago, key pruned, found on the connected account, not re-POSTed', async () => {
    const p = await connected(f, 'rw_fay', 100_00n);
    const id = await withdrawal(f, p, 35_00n);
    fake.plant('POST /v1/payouts', { kind: 'drop' }, 2);
    expect(await f.runJobs(2)).toHaveLength(1);
    expect(await stateOf(id)).toBe('transferred');
    const made = payoutOfWithdrawal(fake, id);
    expect(made).toBeDefined();
    await ageAttempt(`${id}:payout:1`);
    const payoutPosts = () =>
      fake.requests.filter(
        (r) => r.method === 'POST' && r.path === '/v1/payouts' && r.idempotencyKey === `${id}:payout:1`,
      );
    const posts = payoutPosts().length;

    const report = await reconcile();
    expect(report.recovered).toEqual([
      { withdrawalId: id, step: 'payout', key: `${id}:payout:1`, result: 'found', objectId: made?.id },
    ]);
    expect(report.findings).toEqual([]);
    expect(await stateOf(id)).toBe('settling');
    await f.drain();
    expect(payoutPosts()).toHaveLength(posts);
    expect((await f.core.cashier.payouts.get(db, id))?.stripePayout).toBe(made?.id);
  });

  it('the settlement job itself never re-sends a key older than 24 h: it looks the transfer up', async () => {
    const p = await connected(f, 'rw_dee', 100_00n);
    const id = await withdrawal(f, p, 10_00n);
    fake.plant('POST /v1/transfers', { kind: 'drop' }, 2);
    expect(await f.runJobs(1)).toHaveLength(1);
    await ageAttempt(`${id}:1`);
    const posts = transferPosts(id).length;
    await f.drain();
    expect(await stateOf(id)).toBe('settling');
    expect(transferPosts(id)).toHaveLength(posts);
    expect(transfersOfWithdrawal(fake, id)).toHaveLength(1);
  });

  it('reports posted holds with no transfer, a transfer with voided holds, a lost payout.failed, a second transfer and a stranger', async () => {
    const p = await connected(f, 'rw_eve', 200_00n);
    // A withdrawal settled, then its payout fails at the bank and the event is lost for good.
    const lost = await withdrawal(f, p, 30_00n);
    await f.drain();
    const payout = payoutOfWithdrawal(fake, lost)?.id ?? '';
    const failedEvent = settlePayout(fake, payout, 'failed');
    fake.events.splice(fake.events.indexOf(failedEvent), 1);
    // Another one made twice at Stripe (a transfer with its metadata POSTed outside chipin's attempts).
    const twice = await withdrawal(f, p, 20_00n);
    await f.drain();
    const gateway = f.core.cashier.gateway;
    if (!gateway) throw new Error('no gateway');
    const account = accountOfPerson(fake, p.id)?.id ?? '';
    const extra = await gateway.createTransfer({
      idempotencyKey: `planted:${twice}`,
      amountMinor: 20_00n,
      currency: 'USD',
      destination: account,
      description: 'planted',
      metadata: { [WITHDRAWAL_METADATA]: twice.toString() },
    });
    const stranger = await gateway.createTransfer({
      idempotencyKey: 'planted:stranger',
      amountMinor: 5_00n,
      currency: 'USD',
      destination: account,
      description: 'planted',
      metadata: { [WITHDRAWAL_METADATA]: '987654321' },
    });
    // Refused by Stripe (holds voided), yet a transfer with its metadata exists there.
    fake.plant('POST /v1/transfers', {
      kind: 'error',
      status: 400,
      error: { type: 'invalid_request_error', code: 'account_invalid', message: 'planted' },
    });
    const refused = await withdrawal(f, p, 12_00n);
    await f.drain();
    expect(await stateOf(refused)).toBe('refused');
    const unposted = await gateway.createTransfer({
      idempotencyKey: `planted:${refused}`,
      amountMinor: 12_00n,
      currency: 'USD',
      destination: account,
      description: 'planted',
      metadata: { [WITHDRAWAL_METADATA]: refused.toString() },
    });
    // Holds posted with no Stripe transfer behind them (its job never ran).
    const phantom = await withdrawal(f, p, 15_00n);
    await db.query(`UPDATE outbox SET state = 'cancelled' WHERE key LIKE $1`, [`settlement.withdrawal:${phantom}:%`]);
    const holds = await db.query(`SELECT hold_transfer_id, fee_transfer_id FROM withdrawals WHERE id = $1`, [phantom]);
    const row = holds.rows[0];
    await db.transaction(async (tx) => {
      const r = await f.core.ledger.apply(tx, {
        legs: [
          { op: 'post', ref: `withdrawal:${phantom}:post#1`, pendingId: BigInt(String(row?.hold_transfer_id)) },
          { op: 'post', ref: `withdrawal:${phantom}:post#2`, pendingId: BigInt(String(row?.fee_transfer_id)) },
        ],
      });
      if (!r.ok) throw new Error(r.error);
    });

    const report = await reconcile();
    const kinds = report.findings.map((x) => [x.kind, x.stripeId ?? null, x.details.withdrawal ?? null]);
    expect(kinds.sort()).toEqual(
      [
        ['unreversed_payout', payout, lost.toString()],
        ['duplicate_object', expect.stringMatching(/^tr_/), twice.toString()],
        ['unknown_object', stranger.id, null],
        ['no_stripe_transfer', null, phantom.toString()],
        ['unposted_transfer', unposted.id, refused.toString()],
        ['sum_mismatch', null, null],
      ].sort(),
    );
    const duplicate = report.findings.find((x) => x.kind === 'duplicate_object');
    expect(duplicate?.details.transfer?.split(' ').sort()).toEqual(
      [
        extra.id,
        ...transfersOfWithdrawal(fake, twice)
          .map((t) => t.id)
          .filter((t) => t !== extra.id),
      ].sort(),
    );
    // Stripe net out: every transfer less the failed payout; the ledger: posted less reversed.
    expect(report.findings.find((x) => x.kind === 'sum_mismatch')?.details).toMatchObject({
      account: 'system:payouts',
      currency: 'USD',
    });

    const audit = await db.transaction((tx) => cashierAudit(tx));
    expect(audit.violations.map((v) => v.kind).sort()).toEqual(
      [
        'duplicate_object',
        'no_stripe_transfer',
        'sum_mismatch',
        'unknown_object',
        'unposted_transfer',
        'unreversed_payout',
      ].sort(),
    );
    expect(audit.violations.every((v) => v.invariant === 'RECON')).toBe(true);
    const registry = new Registry();
    registerCashierMetrics(registry, { db });
    const text = await registry.metrics();
    expect(text).toMatch(/chipin_reconcile_findings\{kind="no_stripe_transfer"\} 1/);
    expect(text).toMatch(/chipin_reconcile_findings\{kind="unreversed_payout"\} 1/);
    expect(text).toMatch(/chipin_reconcile_findings\{kind="unposted_transfer"\} 1/);
    expect(text).toMatch(/chipin_reconcile_findings\{kind="reversal_without_failure"\} 0/);
  });
});
