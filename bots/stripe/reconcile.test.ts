/**
 * Reconciliation (`chipin reconcile`, the daily job) and what `chipin check --json` and /metrics show of refunds,
 * against real Postgres and the fake Stripe: a missed event is replayed through its handler, a planted difference
 * is reported (log, stored findings, check's violations, a metric).
 */
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAccount, openSystemAccount } from '../../core/ledger/queries.js';
import { walletOwner } from '../../core/people/model.js';
import { owedBy } from '../../core/cashier/receivable.js';
import { runCheck, runReconcile } from '../../main.js';
import { available } from '../../test/support/core.js';
import { tempDir } from '../../test/support/chipin.js';
import {
  spend,
  stripeFixture,
  deposited,
  openDeposit,
  someone,
  type StripeFixture,
} from '../../test/support/stripe/fixture.js';
import { pay } from '../../test/support/stripe/checkout.js';
import { refund } from '../../test/support/stripe/reconcile.js';
import { SECRET_KEY } from '../../test/support/stripe/server.js';
import { registerCashierMetrics } from './metrics.js';

let f: StripeFixture;
const cwd = tempDir('reconcile');
beforeAll(async () => {
  f = await stripeFixture();
});
afterAll(async () => {
  await f.close();
});

/** Runs a CLI command in-process against the fixture's database and fake Stripe. */
async function cli(
  run: typeof runCheck,
  argv: string[],
): Promise<{ code: number; stdout: string; stderr: string; json: Record<string, unknown> }> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATA_DIR: cwd,
      DATABASE_URL: f.t.url,
      STRIPE_SECRET_KEY: SECRET_KEY,
      STRIPE_API_BASE: f.fake.url,
    },
    logDestination: new Writable({ write: (_chunk, _encoding, done) => done() }),
  });
  const json = argv.includes('--json') && stdout ? (JSON.parse(stdout) as Record<string, unknown>) : {};
  return { code, stdout, stderr, json };
}

describe('receivables in chipin check and /metrics', () => {
  it('a refund after the money was spent: owed, listed by check --json (not a violation), and a gauge', async () => {
    const ann = await someone(f.core, 'ann');
    const session = await deposited(f, ann, 20_00n);
    await spend(f, ann, 18_00n);
    expect(await f.fake.deliver(refund(f.fake, session).event)).toBe(200);
    await f.drain();
    expect(await owedBy(f.db, ann.id)).toEqual([{ minor: 18_00n, currency: 'USD' }]);

    const check = await cli(runCheck, ['--json']);
    expect(check.code).toBe(0);
    expect(check.json).toMatchObject({
      ok: true,
      violations: [],
      receivables: {
        totals: [{ currency: 'USD', owed: '1800', formatted: '18.00 USD', people: 1 }],
        people: [{ person: ann.id.toString(), currency: 'USD', owed: '1800', formatted: '18.00 USD' }],
      },
    });
    const human = await cli(runCheck, []);
    expect(human.stdout).toMatch(/^ledger OK/);
    expect(human.stdout).toMatch(/receivable: 18\.00 USD owed by 1 person/);

    const registry = new Registry();
    registerCashierMetrics(registry, { db: f.db });
    const text = await registry.metrics();
    expect(text).toMatch(/chipin_receivables_owed_minor\{currency="USD"\} 1800/);
    expect(text).toMatch(/chipin_reconcile_last_run_timestamp_seconds 0/);
  });
});

describe('reconciliation', () => {
  it('replays an event Stripe never delivered, reports a credit with no Stripe object, and check shows it', async () => {
    const since = new Date(Date.now() - 3_600_000);
    // Delivered and credited: agrees.
    const ben = await someone(f.core, 'ben');
    await deposited(f, ben, 30_00n);
    // Paid at Stripe, the event never delivered.
    const cy = await someone(f.core, 'cy');
    const missed = pay(f.fake, await openDeposit(f, cy, 25_00n));
    // Planted: money credited from the deposits clearing account with no Stripe object behind it.
    const dee = await someone(f.core, 'dee');
    const planted = 'cs_test_planted0000000000000001';
    await f.db.transaction(async (tx) => {
      const clearing = await openSystemAccount(tx, 'deposits', 'USD');
      const wallet = await openAccount(tx, { kind: 'wallet', owner: walletOwner(dee.id), currency: 'USD' });
      const r = await f.core.ledger.apply(tx, {
        legs: [
          {
            op: 'transfer',
            ref: `stripe:${planted}`,
            debit: clearing.id,
            credit: wallet.id,
            amount: 9_00n,
            kind: 'deposit',
          },
        ],
      });
      if (!r.ok) throw new Error(r.error);
    });
    expect(await available(f.core, cy)).toBe(0n);

    const report = await f.core.cashier.reconciler.run({ since });
    expect(report.replayed).toEqual([missed.id]);
    expect(await available(f.core, cy)).toBe(25_00n);
    expect(report.findings).toEqual([expect.objectContaining({ kind: 'no_stripe_object', stripeId: planted })]);
    // The replayed event's job finds it done.
    await f.drain();
    expect(await available(f.core, cy)).toBe(25_00n);
    const credits = await f.db.query(
      `SELECT count(*)::int AS n FROM transfers WHERE kind = 'deposit' AND ref LIKE 'stripe:cs_%'`,
    );
    expect(credits.rows[0]?.n).toBe(4); // ann, ben, cy, and the planted one

    const check = await cli(runCheck, ['--json']);
    expect(check.code).toBe(1);
    expect(check.json.ok).toBe(false);
    expect(check.json.violations).toEqual([
      expect.objectContaining({ invariant: 'RECON', kind: 'no_stripe_object', stripeId: planted }),
    ]);

    const registry = new Registry();
    registerCashierMetrics(registry, { db: f.db });
    expect(await registry.metrics()).toMatch(/chipin_reconcile_findings\{kind="no_stripe_object"\} 1/);
  });

  it('chipin reconcile reports a paid session that was never credited (its event lost for good)', async () => {
    const eve = await someone(f.core, 'eve');
    const session = await openDeposit(f, eve, 14_00n);
    const lost = pay(f.fake, session);
    f.fake.events.splice(f.fake.events.indexOf(lost), 1);

    const run = await cli(runReconcile, ['--since', new Date(Date.now() - 3_600_000).toISOString(), '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const findings = run.json.findings as Array<{ kind: string; stripeId: string }>;
    expect(findings.map((x) => [x.kind, x.stripeId]).sort()).toEqual(
      [
        ['no_stripe_object', 'cs_test_planted0000000000000001'],
        ['sum_mismatch', null],
        ['uncredited', session],
      ].sort(),
    );
    expect(await available(f.core, eve)).toBe(0n);

    const human = await cli(runReconcile, ['--since', '2026-01-01']);
    expect(human.stdout).toMatch(/uncredited .*has no ledger transfer/);
    expect((await cli(runReconcile, ['--since', 'yesterday'])).code).toBe(2);
  });

  it('the daily job runs from the last watermark and schedules the next day', async () => {
    const before = await f.db.query(`SELECT max(id) AS id, max(watermark) AS w FROM stripe_reconciliations`);
    const dueAt = new Date('2026-12-07T03:00:00.000Z');
    await f.db.transaction((tx) =>
      f.core.timed['stripe.reconcile'](tx, {}, { key: 'stripe.reconcile:2026-12-07', dueAt }),
    );
    const runs = await f.db.query(`SELECT id, since FROM stripe_reconciliations WHERE id > $1`, [before.rows[0]?.id]);
    expect(runs.rows).toHaveLength(1);
    const since = new Date(String((runs.rows[0]?.since as Date).toISOString()));
    const watermark = before.rows[0]?.w as Date;
    expect(since.getTime()).toBe(watermark.getTime() - 300_000);
    const next = await f.db.query(`SELECT kind, due_at FROM outbox WHERE key = 'stripe.reconcile:2026-12-08'`);
    expect(next.rows).toEqual([{ kind: 'stripe.reconcile', due_at: new Date('2026-12-08T03:00:00.000Z') }]);
  });
});
