/**
 * Reconciliation of withdrawals (part of core/cashier/reconcile.ts's run; RELIABILITY INV-5, S6, S7).
 *
 * Stripe's side: the platform's transfers since the window (and any a withdrawal recorded that fell outside it),
 * each transfer's reversals, and the payouts of the connected accounts involved — every one carrying
 * `chipin_withdrawal_id`. The ledger's side: the withdrawal's posted holds (`withdrawal:<id>:post#1` onto
 * system:payouts) and their reversal unit (`withdrawal:<id>:reversal#…`). They must agree:
 * - each object names a withdrawal we have, and each withdrawal has at most one transfer and one payout;
 * - transfer made ⇔ holds posted, with equal amounts (a withdrawal in flight — its attempt still `started` — is
 *   left to its job);
 * - payout failed or canceled ⇔ one reversal unit; a transfer reversal only after a failure;
 * - per currency, Σ transfers − Σ failed payouts = Σ posted to system:payouts − Σ reversed from it.
 */
import type { Db } from '../db/executor.js';
import { big, textOrNull } from '../db/rows.js';
import { formatAmount } from '../money/format.js';
import { StripeRefused, type StripeGateway, type StripePayout, type StripeTransfer } from './gateway.js';
import type { Finding } from './model.js';
import { IDEMPOTENCY_KEY_TTL_MS, WITHDRAWAL_METADATA } from './payouts.js';

interface WithdrawalRow {
  id: bigint;
  accountId: string;
  amount: bigint;
  currency: string;
  state: string;
  stripeTransfer: string | null;
  stripePayout: string | null;
  /** Its current attempt is unanswered and younger than a key's lifetime: the settlement job will record it. */
  inFlight: boolean;
}

/** The ledger's side of one withdrawal, on system:payouts. */
interface LedgerSide {
  posted: bigint;
  postedUnits: number;
  reversed: bigint;
  reversalUnits: number;
}

const tagOf = (metadata: Readonly<Record<string, string>>): string | undefined => metadata[WITHDRAWAL_METADATA];
const isId = (tag: string): boolean => /^[0-9]{1,19}$/.test(tag);
const failed = (p: StripePayout | undefined): boolean => p?.status === 'failed' || p?.status === 'canceled';

async function withdrawalsIn(db: Db, since: Date, ids: readonly string[]): Promise<WithdrawalRow[]> {
  const r = await db.query(
    `SELECT w.id, w.account_id, w.amount, w.currency, w.state, w.stripe_transfer, w.stripe_payout,
            EXISTS (SELECT 1 FROM withdrawal_attempts a
                     WHERE a.withdrawal_id = w.id AND a.state = 'started'
                       AND a.created_at > now() - make_interval(secs => $3)) AS in_flight
       FROM withdrawals w
      WHERE w.updated_at >= $1 OR w.id::text = ANY($2::text[])
         -- Still moving at Stripe, whatever the window: a payout \`paid\` may turn \`failed\` for days (S6).
         OR w.state IN ('held', 'transferred', 'settling')
         OR (w.state = 'paid' AND w.updated_at >= now() - interval '10 days')
      ORDER BY w.id`,
    [since.toISOString(), ids, IDEMPOTENCY_KEY_TTL_MS / 1000],
  );
  return r.rows.map((row) => ({
    id: big(row.id),
    accountId: String(row.account_id),
    amount: big(row.amount),
    currency: String(row.currency),
    state: String(row.state),
    stripeTransfer: textOrNull(row.stripe_transfer),
    stripePayout: textOrNull(row.stripe_payout),
    inFlight: row.in_flight === true,
  }));
}

async function ledgerOf(db: Db, id: bigint): Promise<LedgerSide> {
  const r = await db.query(
    `SELECT count(DISTINCT coalesce(t.batch_ref, t.ref)) FILTER (WHERE t.ref LIKE $1 AND cr.owner = 'system:payouts')::int
              AS posted_units,
            coalesce(sum(t.amount) FILTER (WHERE t.ref LIKE $1 AND cr.owner = 'system:payouts'), 0) AS posted,
            count(DISTINCT coalesce(t.batch_ref, t.ref)) FILTER (WHERE t.ref LIKE $2 AND dr.owner = 'system:payouts')::int
              AS reversal_units,
            coalesce(sum(t.amount) FILTER (WHERE t.ref LIKE $2 AND dr.owner = 'system:payouts'), 0) AS reversed
       FROM transfers t
       JOIN accounts cr ON cr.id = t.credit_account
       JOIN accounts dr ON dr.id = t.debit_account
      WHERE t.ref LIKE $3 AND t.state = 'posted'`,
    [`withdrawal:${id}:post#%`, `withdrawal:${id}:reversal#%`, `withdrawal:${id}:%`],
  );
  const row = r.rows[0];
  return {
    posted: big(row?.posted),
    postedUnits: Number(row?.posted_units ?? 0),
    reversed: big(row?.reversed),
    reversalUnits: Number(row?.reversal_units ?? 0),
  };
}

/**
 * Compares the withdrawals touched since `since` or still open (Stripe's objects from `since` less `marginS`, and
 * any a withdrawal recorded before that) with Stripe, pushing what
 * differs onto `findings`. Returns how many Stripe transfers and payouts it read.
 */
export async function reconcileWithdrawals(
  db: Db,
  gateway: StripeGateway,
  since: Date,
  marginS: number,
  findings: Finding[],
): Promise<{ transfers: number; payouts: number }> {
  const createdGte = Math.floor(since.getTime() / 1000) - marginS;
  const listed = await gateway.listTransfers({ createdGte });
  const transfersOf = new Map<string, StripeTransfer[]>();
  for (const t of listed) {
    const tag = tagOf(t.metadata);
    if (tag === undefined) continue; // not ours
    transfersOf.set(tag, [...(transfersOf.get(tag) ?? []), t]);
  }
  const withdrawals = await withdrawalsIn(db, since, [...transfersOf.keys()].filter(isId));
  const known = new Set(withdrawals.map((w) => w.id.toString()));
  for (const [tag, list] of transfersOf)
    if (!known.has(tag))
      for (const t of list)
        findings.push({
          kind: 'unknown_object',
          stripeId: t.id,
          message: `transfer ${t.id} names withdrawal ${tag}, which we do not have`,
          details: { amount: t.amount.toString(), currency: t.currency },
        });

  const payoutsOf = new Map<string, StripePayout[]>();
  let payoutsRead = 0;
  for (const account of new Set(withdrawals.map((w) => w.accountId))) {
    const payouts = await gateway.listPayouts(account, createdGte);
    payoutsRead += payouts.length;
    for (const p of payouts) {
      const tag = tagOf(p.metadata);
      if (tag === undefined) continue;
      if (!isId(tag) || !known.has(tag)) {
        const ours = isId(tag)
          ? await db.query(`SELECT 1 FROM withdrawals WHERE id = $1 AND account_id = $2`, [tag, account])
          : { rows: [] };
        if (ours.rows.length === 0)
          findings.push({
            kind: 'unknown_object',
            stripeId: p.id,
            message: `payout ${p.id} on ${account} names withdrawal ${tag}, which we do not have there`,
            details: { account, amount: p.amount.toString(), currency: p.currency },
          });
        continue;
      }
      payoutsOf.set(tag, [...(payoutsOf.get(tag) ?? []), p]);
    }
  }

  const sums = new Map<string, { stripe: bigint; ledger: bigint }>();
  for (const w of withdrawals) {
    const id = w.id.toString();
    const transfers = [...(transfersOf.get(id) ?? [])];
    if (transfers.length === 0 && w.stripeTransfer !== null) {
      // Made before the window: ask for it.
      try {
        transfers.push(await gateway.retrieveTransfer(w.stripeTransfer));
      } catch (err) {
        if (!(err instanceof StripeRefused)) throw err;
      }
    }
    const payouts = [...(payoutsOf.get(id) ?? [])];
    if (payouts.length === 0 && w.stripePayout !== null) {
      try {
        payouts.push(await gateway.retrievePayout(w.stripePayout, w.accountId));
      } catch (err) {
        if (!(err instanceof StripeRefused)) throw err;
      }
    }
    const ledger = await ledgerOf(db, w.id);
    const amount = (minor: bigint) => formatAmount({ minor, currency: w.currency });
    const details = { withdrawal: id, state: w.state, amount: amount(w.amount) };
    const push = (kind: Finding['kind'], stripeId: string | null, message: string, extra: Record<string, string>) =>
      findings.push({ kind, stripeId, message: `withdrawal ${id}: ${message}`, details: { ...details, ...extra } });

    for (const [what, list, recorded] of [
      ['transfer', transfers, w.stripeTransfer],
      ['payout', payouts, w.stripePayout],
    ] as const)
      if (list.length > 1 || (list[0] && recorded !== null && list[0].id !== recorded))
        push('duplicate_object', list[0]?.id ?? null, `${list.length} ${what}(s) at Stripe, recorded ${recorded}`, {
          [what]: list.map((o) => o.id).join(' '),
        });

    const transfer = transfers[0];
    const payout = payouts[0];
    if (transfer && ledger.postedUnits === 0 && !w.inFlight)
      push(
        'unposted_transfer',
        transfer.id,
        `transfer ${transfer.id} (${amount(transfer.amount)}) made, holds not posted`,
        {
          transfer: transfer.id,
        },
      );
    if (!transfer && ledger.postedUnits > 0)
      push('no_stripe_transfer', w.stripeTransfer, `holds posted (${amount(ledger.posted)}) with no Stripe transfer`, {
        ledger: amount(ledger.posted),
      });
    if (transfer && ledger.postedUnits > 0 && (transfer.amount !== ledger.posted || transfer.amount !== w.amount))
      push(
        'amount_mismatch',
        transfer.id,
        `transfer ${amount(transfer.amount)}, ledger posted ${amount(ledger.posted)}`,
        {
          stripe: amount(transfer.amount),
          ledger: amount(ledger.posted),
        },
      );
    if (payout && payout.amount !== w.amount)
      push('amount_mismatch', payout.id, `payout ${amount(payout.amount)}, withdrawal ${amount(w.amount)}`, {
        stripe: amount(payout.amount),
      });

    if (failed(payout) && ledger.reversalUnits !== 1)
      push(
        'unreversed_payout',
        payout?.id ?? null,
        `payout ${payout?.id} ${payout?.status}, ledger reversal units: ${ledger.reversalUnits}`,
        {
          units: String(ledger.reversalUnits),
        },
      );
    if (!failed(payout) && ledger.reversalUnits > 0)
      push(
        'reversal_without_failure',
        payout?.id ?? null,
        `re-credited while its payout is ${payout?.status ?? 'missing'}`,
        {
          ledger: amount(ledger.reversed),
        },
      );
    const reversals = transfer?.reversals.filter((r) => tagOf(r.metadata) === id) ?? [];
    if (reversals.length > 0 && !failed(payout))
      push(
        'reversal_without_failure',
        reversals[0]?.id ?? null,
        `transfer reversed while its payout is ${payout?.status ?? 'missing'}`,
        {
          reversals: reversals.map((r) => r.id).join(' '),
        },
      );

    if (ledger.postedUnits === 0 && (!transfer || w.inFlight)) continue;
    const sum = sums.get(w.currency) ?? { stripe: 0n, ledger: 0n };
    sum.stripe += (transfer?.amount ?? 0n) - (payout && failed(payout) ? payout.amount : 0n);
    sum.ledger += ledger.posted - ledger.reversed;
    sums.set(w.currency, sum);
  }
  for (const [currency, sum] of sums)
    if (sum.stripe !== sum.ledger)
      findings.push({
        kind: 'sum_mismatch',
        stripeId: null,
        message: `payouts clearing ${currency}: Stripe ${formatAmount({ minor: sum.stripe, currency })}, ledger ${formatAmount({ minor: sum.ledger, currency })}`,
        details: { account: 'system:payouts', currency, stripe: sum.stripe.toString(), ledger: sum.ledger.toString() },
      });
  return { transfers: listed.length, payouts: payoutsRead };
}
