/**
 * Deposits by card (`/deposit 20`): a Checkout Session whose URL the depositor opens; the money is credited from
 * the deposits clearing account when Stripe says the session is paid (RELIABILITY S5). Whichever event arrives —
 * `checkout.session.completed` (paid at once, or `unpaid` for a delayed method), `…async_payment_succeeded`,
 * `…async_payment_failed`, `…expired`, in any order, any number of times — the handler re-reads the session from
 * Stripe and acts on what it says now, under the deposit's row lock: the credit's ledger ref is
 * `stripe:<session id>`, so a session is credited at most once, and a closed deposit never reopens.
 */
import type { Row, Tx } from '../db/executor.js';
import { big, textOrNull } from '../db/rows.js';
import { balancesOf, openAccount, openSystemAccount } from '../ledger/queries.js';
import type { Ledger } from '../ledger/service.js';
import type { Log } from '../log.js';
import type { Amount } from '../money/amount.js';
import { isCurrency } from '../money/currencies.js';
import { formatAmount } from '../money/format.js';
import { JobRejected } from '../outbox/errors.js';
import { notifyPerson } from '../outbox/notify.js';
import { walletOwner, type Person } from '../people/model.js';
import {
  StripeRefused,
  StripeUnknownOutcome,
  type CheckoutSession,
  type StripeEvent,
  type StripeGateway,
} from './gateway.js';
import { objectField, type EventHandlers } from './events.js';
import type { Deposit, DepositOutcome, EventOutcome } from './model.js';
import { CASHIER_TEMPLATES } from './templates.js';

export interface DepositsDeps {
  ledger: Pick<Ledger, 'apply'>;
  gateway: StripeGateway | undefined;
  /** Where Checkout sends the payer back (`<PUBLIC_URL>/stripe/return`). */
  returnUrl: string;
  log: Log;
  /** Runs in the credit's transaction, after it (refunds.ts: the deposit covers what the person owes first). */
  onCredited?: (tx: Tx, credited: { personId: bigint; amount: Amount; ref: string }) => Promise<unknown>;
}

const COLUMNS = 'id, person_id, amount, currency, session_id, url, state';

const toDeposit = (r: Row): Deposit => ({
  id: big(r.id),
  personId: big(r.person_id),
  amount: { minor: big(r.amount), currency: String(r.currency) },
  sessionId: textOrNull(r.session_id),
  url: textOrNull(r.url),
  state: r.state as Deposit['state'],
});

/** Metadata chipin puts on every Stripe object it creates: how reconciliation maps it back. */
export const DEPOSIT_METADATA = 'chipin_deposit_id';

export function createDeposits(deps: DepositsDeps) {
  const { ledger, gateway, log } = deps;

  async function start(tx: Tx, input: { key: string; person: Person; amount: Amount }): Promise<DepositOutcome> {
    if (!gateway) return { type: 'rejected', error: 'StripeUnavailable' };
    const { amount } = input;
    if (amount.minor <= 0n || !isCurrency(amount.currency)) return { type: 'rejected', error: 'InvalidAmount' };
    // A replayed command finds its row (and its session, when it got that far).
    const r = await tx.query(
      `INSERT INTO deposits (key, person_id, amount, currency) VALUES ($1, $2, $3, $4)
       ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key RETURNING ${COLUMNS}`,
      [input.key, input.person.id, amount.minor, amount.currency],
    );
    const deposit = toDeposit(r.rows[0] as Row);
    if (deposit.url) return { type: 'created', depositId: deposit.id, url: deposit.url, amount: deposit.amount };
    let session: CheckoutSession;
    try {
      session = await gateway.createCheckoutSession({
        // Derived from the command's key: a retried command gets the same session back (for 24 h).
        idempotencyKey: `deposit:${input.key}`,
        amountMinor: deposit.amount.minor,
        currency: deposit.amount.currency,
        description: `chipin wallet top-up (${formatAmount(deposit.amount)})`,
        successUrl: `${deps.returnUrl}?deposit=${deposit.id}`,
        cancelUrl: `${deps.returnUrl}?deposit=${deposit.id}&cancelled=1`,
        metadata: { [DEPOSIT_METADATA]: String(deposit.id), chipin_person_id: String(input.person.id) },
      });
    } catch (err) {
      if (err instanceof StripeRefused) {
        log.warn({ err, depositId: deposit.id }, 'stripe refused a checkout session');
        return { type: 'rejected', error: 'DepositRefused' };
      }
      if (err instanceof StripeUnknownOutcome) {
        log.warn({ err, depositId: deposit.id }, 'stripe did not answer a checkout session');
        return { type: 'rejected', error: 'StripeUnreachable' };
      }
      throw err;
    }
    if (!session.url) throw new Error(`checkout session ${session.id} has no url`);
    await tx.query(`UPDATE deposits SET session_id = $2, url = $3 WHERE id = $1`, [
      deposit.id,
      session.id,
      session.url,
    ]);
    return { type: 'created', depositId: deposit.id, url: session.url, amount: deposit.amount };
  }

  async function credit(tx: Tx, deposit: Deposit, session: CheckoutSession): Promise<EventOutcome> {
    const amount: Amount = { minor: session.amountTotal ?? deposit.amount.minor, currency: deposit.amount.currency };
    if (session.currency !== null && session.currency !== deposit.amount.currency)
      throw new JobRejected(
        `session ${session.id} is in ${session.currency}, deposit ${deposit.id} in ${amount.currency}`,
      );
    if (amount.minor !== deposit.amount.minor)
      log.warn(
        { depositId: deposit.id, asked: deposit.amount.minor, paid: amount.minor },
        'deposit paid another amount',
      );
    const source = await openSystemAccount(tx, 'deposits', amount.currency);
    const wallet = await openAccount(tx, {
      kind: 'wallet',
      owner: walletOwner(deposit.personId),
      currency: amount.currency,
    });
    const r = await ledger.apply(tx, {
      legs: [
        {
          op: 'transfer',
          ref: `stripe:${session.id}`,
          debit: source.id,
          credit: wallet.id,
          amount: amount.minor,
          kind: 'deposit',
          meta: { depositId: String(deposit.id), session: session.id },
        },
      ],
    });
    if (!r.ok) throw new Error(`deposit ${deposit.id} refused by the ledger: ${r.error}`);
    const transfer = r.transfers[0];
    if (!transfer) throw new Error('ledger returned no transfer');
    await deps.onCredited?.(tx, { personId: deposit.personId, amount, ref: session.id });
    await tx.query(
      `UPDATE deposits SET state = 'paid', transfer_id = $2, payment_intent = $3, closed_at = now() WHERE id = $1`,
      [deposit.id, transfer.id, session.paymentIntent],
    );
    const balance = (await balancesOf(tx, walletOwner(deposit.personId))).find((b) => b.currency === amount.currency);
    await notifyPerson(tx, {
      key: `deposit.received:${deposit.id}`,
      personId: deposit.personId,
      template: CASHIER_TEMPLATES['deposit.received'],
      params: {
        amount: formatAmount(amount),
        available: formatAmount({ minor: balance?.available ?? amount.minor, currency: amount.currency }),
      },
    });
    return { type: 'credited', depositId: deposit.id, amount };
  }

  /**
   * Brings the deposit of session `sessionId` up to what Stripe says about the session now. `event`: the webhook
   * event that asked (null: the payer's return from Checkout).
   */
  async function sync(tx: Tx, sessionId: string, event: StripeEvent | null): Promise<EventOutcome> {
    if (!gateway) throw new Error('a stripe event without a stripe gateway');
    const r = await tx.query(`SELECT ${COLUMNS} FROM deposits WHERE session_id = $1 FOR UPDATE`, [sessionId]);
    const row = r.rows[0];
    // Not ours (another integration on the account) or lost: an alert, never a credit (RELIABILITY C2).
    if (!row) throw new JobRejected(`stripe event ${event?.id ?? '-'}: no deposit has session ${sessionId}`);
    const deposit = toDeposit(row);
    if (deposit.state !== 'open') return { type: 'noop', reason: `Already${deposit.state}` };
    const session = await gateway.retrieveCheckoutSession(sessionId);
    if (session.paymentStatus === 'paid') return credit(tx, deposit, session);
    if (
      session.status === 'expired' ||
      (event?.type === 'checkout.session.async_payment_failed' && session.status === 'complete')
    ) {
      const state = session.status === 'expired' ? 'expired' : 'failed';
      await tx.query(`UPDATE deposits SET state = $2, closed_at = now() WHERE id = $1`, [deposit.id, state]);
      if (state === 'failed')
        await notifyPerson(tx, {
          key: `deposit.failed:${deposit.id}`,
          personId: deposit.personId,
          template: CASHIER_TEMPLATES['deposit.failed'],
          params: { amount: formatAmount(deposit.amount) },
        });
      return { type: 'closed', depositId: deposit.id, state };
    }
    return { type: 'noop', reason: 'NotPaidYet' };
  }

  /**
   * The payer came back from Checkout (RELIABILITY S5: fulfil from the redirect as well as the webhook): credits at
   * once when Stripe says the session is paid, even if its webhook is late or lost. Anything else waits for events.
   */
  async function check(tx: Tx, depositId: bigint): Promise<EventOutcome> {
    const r = await tx.query(`SELECT session_id FROM deposits WHERE id = $1 AND state = 'open'`, [depositId]);
    const sessionId = textOrNull(r.rows[0]?.session_id);
    return sessionId ? sync(tx, sessionId, null) : { type: 'noop', reason: 'NotOpen' };
  }

  const onSession = (tx: Tx, event: StripeEvent) => sync(tx, objectField(event, 'id'), event);
  const events: EventHandlers = {
    'checkout.session.completed': onSession,
    'checkout.session.async_payment_succeeded': onSession,
    'checkout.session.async_payment_failed': onSession,
    'checkout.session.expired': onSession,
  };

  return { start, sync, check, events };
}

export type Deposits = ReturnType<typeof createDeposits>;
