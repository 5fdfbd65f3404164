/**
 * Card money taken back from a deposit — a refund (`charge.refunded`) or a dispute (`charge.dispute.created`) — and
 * given back (`charge.dispute.closed`, won). Each Stripe refund or dispute moves money once: a `deposit_clawbacks`
 * row unique on its id, written under the deposit's row lock (every clawback of a deposit queues there), with ledger
 * refs `stripe:<id>#1` (the wallet's part) and `stripe:<id>#2` (the receivable's part). `amount_refunded` is
 * cumulative, so a `charge.refunded` re-reads the charge's refunds from Stripe and takes only those not yet taken.
 *
 * What the wallet still holds is taken from it; the rest goes to the person's receivable account (receivable.ts),
 * so the wallet never goes below zero. A later deposit covers the receivable first (`cover`, in the deposit
 * credit's transaction). A charge that maps to no deposit is a dead letter with an error log, never a debit (C2).
 */
import type { Tx } from '../db/executor.js';
import { big, textOrNull } from '../db/rows.js';
import { findAccount, openAccount, openSystemAccount } from '../ledger/queries.js';
import type { Account, Leg } from '../ledger/model.js';
import type { Ledger } from '../ledger/service.js';
import type { Log } from '../log.js';
import type { Amount } from '../money/amount.js';
import { formatAmount } from '../money/format.js';
import { JobRejected } from '../outbox/errors.js';
import { notifyPerson } from '../outbox/notify.js';
import { walletOwner } from '../people/model.js';
import { DEPOSIT_METADATA, type Deposits } from './deposits.js';
import { objectField, type EventHandlers } from './events.js';
import type { StripeEvent, StripeGateway } from './gateway.js';
import type { EventOutcome } from './model.js';
import { openReceivable, receivableOwner } from './receivable.js';
import { CASHIER_TEMPLATES } from './templates.js';

export interface RefundsDeps {
  ledger: Pick<Ledger, 'apply'>;
  gateway: StripeGateway | undefined;
  deposits: Pick<Deposits, 'sync'>;
  log: Log;
}

export type ClawbackKind = 'refund' | 'dispute' | 'dispute_won';

interface DepositRow {
  id: bigint;
  personId: bigint;
  currency: string;
  sessionId: string | null;
  state: string;
}

const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** The balance rule's numbers of locked account rows, by id. */
async function lockAccounts(tx: Tx, accounts: readonly Account[]): Promise<Map<bigint, { spendable: bigint }>> {
  // Ascending id order, as the ledger locks: no deadlock with a payment touching the same rows.
  const r = await tx.query(
    `SELECT id, credits_posted - debits_posted - debits_pending AS spendable FROM accounts
      WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`,
    [accounts.map((a) => a.id.toString())],
  );
  return new Map(r.rows.map((row) => [big(row.id), { spendable: big(row.spendable) }]));
}

export function createRefunds(deps: RefundsDeps) {
  const { ledger, gateway, log } = deps;

  /** The deposit a charge paid, locked; a charge of no deposit of ours is a dead letter (never a debit). */
  async function depositOf(
    tx: Tx,
    event: StripeEvent,
    charge: { id: string; paymentIntent: string | null; metadata: Readonly<Record<string, string>> },
  ): Promise<DepositRow> {
    const byIntent = charge.paymentIntent
      ? await tx.query(
          `SELECT id, person_id, currency, session_id, state FROM deposits WHERE payment_intent = $1 FOR UPDATE`,
          [charge.paymentIntent],
        )
      : undefined;
    let row = byIntent?.rows[0];
    const tagged = charge.metadata[DEPOSIT_METADATA];
    if (!row && tagged !== undefined && /^[0-9]{1,19}$/.test(tagged)) {
      const r = await tx.query(
        `SELECT id, person_id, currency, session_id, state FROM deposits WHERE id = $1 FOR UPDATE`,
        [tagged],
      );
      row = r.rows[0];
    }
    if (!row) {
      log.error(
        { eventId: event.id, type: event.type, charge: charge.id, paymentIntent: charge.paymentIntent },
        'stripe event for a charge of no deposit: dead-lettered, nothing debited',
      );
      throw new JobRejected(`stripe event ${event.id}: charge ${charge.id} is not a deposit of ours`);
    }
    return {
      id: big(row.id),
      personId: big(row.person_id),
      currency: String(row.currency),
      sessionId: textOrNull(row.session_id),
      state: String(row.state),
    };
  }

  /**
   * The deposit must be credited before anything is taken back (a refund can arrive before the payment's own
   * events, C2): bring it up to date from the session; still open means Stripe has not settled it — retry later.
   */
  async function credited(tx: Tx, deposit: DepositRow, event: StripeEvent): Promise<boolean> {
    if (deposit.state === 'paid') return true;
    if (deposit.state !== 'open' || !deposit.sessionId) return false;
    const synced = await deps.deposits.sync(tx, deposit.sessionId, event);
    if (synced.type === 'credited') return true;
    throw new Error(`stripe event ${event.id}: deposit ${deposit.id} is not credited yet; retried later`);
  }

  /**
   * Moves card money for Stripe object `stripeId` between the deposits clearing account and the person — the wallet's
   * part as `stripe:<id>#1`, the receivable's as `#2`, one unit — and records it once (`deposit_clawbacks`). `split`
   * decides the parts from what the locked wallet can spend and what the person owes.
   */
  async function move(
    tx: Tx,
    input: {
      stripeId: string;
      kind: ClawbackKind;
      deposit: DepositRow;
      amount: Amount;
      direction: 'out' | 'in';
      split: (state: { spendable: bigint; owed: bigint }) => { wallet: bigint; receivable: bigint };
    },
  ): Promise<{ wallet: bigint; receivable: bigint }> {
    const { stripeId, kind, deposit, amount } = input;
    const wallet = await openAccount(tx, {
      kind: 'wallet',
      owner: walletOwner(deposit.personId),
      currency: amount.currency,
    });
    const receivable = await openReceivable(tx, deposit.personId, amount.currency);
    const clearing = await openSystemAccount(tx, 'deposits', amount.currency);
    const locked = await lockAccounts(tx, [wallet, receivable, clearing]);
    const spendable = locked.get(wallet.id)?.spendable ?? 0n;
    const parts = input.split({
      spendable: spendable > 0n ? spendable : 0n,
      owed: await owedNow(tx, deposit.personId, amount.currency),
    });
    const meta = { depositId: String(deposit.id), stripe: stripeId };
    const legs: Leg[] = [];
    for (const [n, account, part] of [
      [1, wallet, parts.wallet],
      [2, receivable, parts.receivable],
    ] as const) {
      if (part <= 0n) continue;
      const [debit, credit] = input.direction === 'out' ? [account.id, clearing.id] : [clearing.id, account.id];
      legs.push({ op: 'transfer', ref: `stripe:${stripeId}#${n}`, debit, credit, amount: part, kind, meta });
    }
    const r = await ledger.apply(tx, { legs, batchRef: `stripe:${stripeId}` });
    if (!r.ok) throw new Error(`${kind} ${stripeId} refused by the ledger: ${r.error}`);
    await tx.query(
      `INSERT INTO deposit_clawbacks (stripe_id, kind, deposit_id, person_id, amount, currency, wallet_part, receivable_part)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [stripeId, kind, deposit.id, deposit.personId, amount.minor, amount.currency, parts.wallet, parts.receivable],
    );
    return parts;
  }

  /** Takes `amount` back for Stripe object `stripeId`, once: wallet first, the rest onto the receivable. */
  async function takeBack(
    tx: Tx,
    input: { stripeId: string; kind: 'refund' | 'dispute'; deposit: DepositRow; amount: Amount },
  ): Promise<{ wallet: bigint; receivable: bigint } | undefined> {
    const { stripeId, kind, deposit, amount } = input;
    const seen = await tx.query(`SELECT 1 FROM deposit_clawbacks WHERE stripe_id = $1`, [stripeId]);
    if (seen.rows.length > 0) return undefined;
    const parts = await move(tx, {
      stripeId,
      kind,
      deposit,
      amount,
      direction: 'out',
      split: ({ spendable }) => {
        const wallet = min(amount.minor, spendable);
        return { wallet, receivable: amount.minor - wallet };
      },
    });
    log.info({ stripeId, kind, depositId: deposit.id, ...parts }, 'card money taken back');
    return parts;
  }

  async function owedNow(tx: Tx, personId: bigint, currency: string): Promise<bigint> {
    const account = await findAccount(tx, receivableOwner(personId), currency);
    return account ? account.debitsPosted - account.creditsPosted : 0n;
  }

  async function tell(
    tx: Tx,
    input: { stripeId: string; kind: 'refund' | 'dispute'; personId: bigint; amount: Amount; taken: bigint },
  ): Promise<void> {
    const { amount } = input;
    const owed = await owedNow(tx, input.personId, amount.currency);
    const fmt = (minor: bigint) => formatAmount({ minor, currency: amount.currency });
    const key = `${input.kind}.notice:${input.stripeId}`;
    if (owed > 0n)
      await notifyPerson(tx, {
        key,
        personId: input.personId,
        template: CASHIER_TEMPLATES[input.kind === 'refund' ? 'refund.owed' : 'dispute.owed'],
        params: { amount: fmt(amount.minor), taken: fmt(input.taken), owed: fmt(owed) },
      });
    else
      await notifyPerson(tx, {
        key,
        personId: input.personId,
        template: CASHIER_TEMPLATES[input.kind === 'refund' ? 'refund.taken' : 'dispute.taken'],
        params: { amount: fmt(amount.minor) },
      });
  }

  function needGateway(): StripeGateway {
    if (!gateway) throw new Error('a stripe event without a stripe gateway');
    return gateway;
  }

  /** `charge.refunded`: every refund of the charge (re-read from Stripe) not taken back yet is taken back now. */
  async function onRefunded(tx: Tx, event: StripeEvent): Promise<EventOutcome> {
    const stripe = needGateway();
    const charge = await stripe.retrieveCharge(objectField(event, 'id'));
    const deposit = await depositOf(tx, event, charge);
    if (!(await credited(tx, deposit, event))) return { type: 'noop', reason: 'NeverCredited' };
    const refunds = (await stripe.listRefunds(charge.id)).filter(
      (r) => r.status === 'succeeded' || r.status === 'pending',
    );
    let total = 0n;
    for (const refund of refunds) {
      if (refund.currency !== deposit.currency)
        throw new JobRejected(
          `refund ${refund.id} is in ${refund.currency}, deposit ${deposit.id} in ${deposit.currency}`,
        );
      const amount = { minor: refund.amount, currency: refund.currency };
      const taken = await takeBack(tx, { stripeId: refund.id, kind: 'refund', deposit, amount });
      if (!taken) continue;
      total += refund.amount;
      await tell(tx, { stripeId: refund.id, kind: 'refund', personId: deposit.personId, amount, taken: taken.wallet });
    }
    if (total === 0n) return { type: 'noop', reason: 'AlreadyTakenBack' };
    return { type: 'takenBack', depositId: deposit.id, amount: { minor: total, currency: deposit.currency } };
  }

  function disputeOf(event: StripeEvent): {
    id: string;
    charge: string;
    amount: bigint;
    currency: string;
    status: string;
  } {
    const { object } = event;
    const fields = object !== null && typeof object === 'object' && !Array.isArray(object) ? object : {};
    const amount = fields.amount;
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0)
      throw new JobRejected(`stripe event ${event.id}: data.object.amount is not a positive integer`);
    return {
      id: objectField(event, 'id'),
      charge: objectField(event, 'charge'),
      amount: BigInt(amount),
      currency: objectField(event, 'currency').toUpperCase(),
      status: typeof fields.status === 'string' ? fields.status : 'unknown',
    };
  }

  /**
   * `charge.dispute.created`: the disputed amount is taken back (Stripe withdrew it from our balance) — unless the
   * dispute, re-read now, was already won (its `closed` event got here first and found nothing to give back).
   */
  async function onDisputeCreated(tx: Tx, event: StripeEvent): Promise<EventOutcome> {
    const dispute = disputeOf(event);
    const now = await needGateway().retrieveDispute(dispute.id);
    if (now.status === 'won') return { type: 'noop', reason: 'DisputeAlreadyWon' };
    const charge = await needGateway().retrieveCharge(dispute.charge);
    const deposit = await depositOf(tx, event, charge);
    if (!(await credited(tx, deposit, event))) return { type: 'noop', reason: 'NeverCredited' };
    if (dispute.currency !== deposit.currency)
      throw new JobRejected(
        `dispute ${dispute.id} is in ${dispute.currency}, deposit ${deposit.id} in ${deposit.currency}`,
      );
    const amount = { minor: dispute.amount, currency: dispute.currency };
    const taken = await takeBack(tx, { stripeId: dispute.id, kind: 'dispute', deposit, amount });
    if (!taken) return { type: 'noop', reason: 'AlreadyTakenBack' };
    await tell(tx, { stripeId: dispute.id, kind: 'dispute', personId: deposit.personId, amount, taken: taken.wallet });
    return { type: 'takenBack', depositId: deposit.id, amount };
  }

  /**
   * `charge.dispute.closed`: won, Stripe reinstates the money, and so do we — what it put on the receivable is
   * cancelled first, the rest goes back to the wallet (key `<dispute id>:won`). Lost: it stays taken.
   */
  async function onDisputeClosed(tx: Tx, event: StripeEvent): Promise<EventOutcome> {
    const dispute = disputeOf(event);
    if (dispute.status !== 'won') return { type: 'noop', reason: 'DisputeNotWon' };
    const charge = await needGateway().retrieveCharge(dispute.charge);
    const deposit = await depositOf(tx, event, charge);
    const r = await tx.query(
      `SELECT amount, currency FROM deposit_clawbacks WHERE stripe_id = $1 AND kind = 'dispute'`,
      [dispute.id],
    );
    const row = r.rows[0];
    if (!row) return { type: 'noop', reason: 'NothingTaken' };
    const stripeId = `${dispute.id}:won`;
    const done = await tx.query(`SELECT 1 FROM deposit_clawbacks WHERE stripe_id = $1`, [stripeId]);
    if (done.rows.length > 0) return { type: 'noop', reason: 'AlreadyGivenBack' };
    const amount: Amount = { minor: big(row.amount), currency: String(row.currency) };
    // What the person owes is paid off first; the rest goes back to the wallet.
    await move(tx, {
      stripeId,
      kind: 'dispute_won',
      deposit,
      amount,
      direction: 'in',
      split: ({ owed }) => {
        const receivable = min(amount.minor, owed > 0n ? owed : 0n);
        return { wallet: amount.minor - receivable, receivable };
      },
    });
    await notifyPerson(tx, {
      key: `dispute.won:${dispute.id}`,
      personId: deposit.personId,
      template: CASHIER_TEMPLATES['dispute.won'],
      params: { amount: formatAmount(amount) },
    });
    return { type: 'givenBack', depositId: deposit.id, amount };
  }

  /**
   * Money that reached `personId` by deposit (`ref`: the session id) covers what they owe first, in the deposit
   * credit's transaction: wallet → receivable, at most what arrived. Returns the amount covered.
   */
  async function cover(tx: Tx, input: { personId: bigint; amount: Amount; ref: string }): Promise<bigint> {
    const { personId, amount } = input;
    const receivable = await findAccount(tx, receivableOwner(personId), amount.currency);
    if (!receivable) return 0n;
    const wallet = await openAccount(tx, { kind: 'wallet', owner: walletOwner(personId), currency: amount.currency });
    const locked = await lockAccounts(tx, [wallet, receivable]);
    const owed = await owedNow(tx, personId, amount.currency);
    const spendable = locked.get(wallet.id)?.spendable ?? 0n;
    const covered = min(min(owed, amount.minor), spendable);
    if (covered <= 0n) return 0n;
    const r = await ledger.apply(tx, {
      legs: [
        {
          op: 'transfer',
          ref: `stripe:${input.ref}#cover`,
          debit: wallet.id,
          credit: receivable.id,
          amount: covered,
          kind: 'receivable_cover',
          meta: { session: input.ref },
        },
      ],
    });
    if (!r.ok) throw new Error(`covering the receivable of ${personId} refused by the ledger: ${r.error}`);
    const fmt = (minor: bigint) => formatAmount({ minor, currency: amount.currency });
    await notifyPerson(tx, {
      key: `receivable.covered:${input.ref}`,
      personId,
      template: CASHIER_TEMPLATES['receivable.covered'],
      params: { amount: fmt(covered), owed: fmt(owed - covered) },
    });
    log.info({ personId, covered, owedBefore: owed }, 'a deposit covered what was owed');
    return covered;
  }

  const events: EventHandlers = {
    'charge.refunded': onRefunded,
    'charge.dispute.created': onDisputeCreated,
    'charge.dispute.closed': onDisputeClosed,
  };

  return { events, cover };
}

export type Refunds = ReturnType<typeof createRefunds>;
