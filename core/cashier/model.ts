/** Money in and out through Stripe: deposits by card (and, built on the same events, payouts and refunds). */
import type { Amount } from '../money/amount.js';

export type DepositState = 'open' | 'paid' | 'expired' | 'failed';

export interface Deposit {
  id: bigint;
  personId: bigint;
  amount: Amount;
  sessionId: string | null;
  url: string | null;
  state: DepositState;
}

/** Why /deposit did nothing. */
export type DepositError =
  /** Stripe is not configured here (no STRIPE_SECRET_KEY). */
  | 'StripeUnavailable'
  | 'InvalidAmount'
  /** Stripe refused the session (an amount below its minimum, a currency it does not take…). */
  | 'DepositRefused'
  /** Stripe did not answer: nothing to show; trying again is safe. */
  | 'StripeUnreachable';

export type DepositOutcome =
  { type: 'created'; depositId: bigint; url: string; amount: Amount } | { type: 'rejected'; error: DepositError };

/** What one processed event did, for the inbox row's note and the log. */
export type EventOutcome =
  | { type: 'credited'; depositId: bigint; amount: Amount }
  | { type: 'closed'; depositId: bigint; state: 'expired' | 'failed' }
  | { type: 'noop'; reason: string }
  /** A refund or dispute of a deposit: taken from the wallet (and what it lacked put on the receivable). */
  | { type: 'takenBack'; depositId: bigint; amount: Amount }
  /** A dispute won: what it took is given back. */
  | { type: 'givenBack'; depositId: bigint; amount: Amount }
  | { type: 'account'; accountId: string; payoutsEnabled: boolean }
  | { type: 'withdrawal'; withdrawalId: bigint; state: string };

/** A difference reconciliation found between Stripe and the ledger (core/cashier/reconcile.ts). */
export type FindingKind =
  /** Stripe has the money (a paid charge of a deposit of ours) and the ledger never credited it. */
  | 'uncredited'
  /** A refund or dispute at Stripe that the ledger never took back. */
  | 'untaken'
  /** Mapped, but the ledger moved another amount. */
  | 'amount_mismatch'
  /** Metadata names a deposit we do not have. */
  | 'unknown_object'
  /** A ledger transfer on the deposits clearing account with no Stripe object behind it. */
  | 'no_stripe_object'
  /** Stripe's and the ledger's sums over the mapped objects differ (per currency). */
  | 'sum_mismatch'
  /** A missed event was replayed and its handler refused it (it is a dead letter). */
  | 'replay_rejected'
  /** A Stripe transfer of a withdrawal whose holds the ledger never posted. */
  | 'unposted_transfer'
  /** A withdrawal whose holds were posted (the money left chipin) with no Stripe transfer behind it. */
  | 'no_stripe_transfer'
  /** More than one Stripe transfer (or payout) for one withdrawal, or another than the one it recorded. */
  | 'duplicate_object'
  /** A payout failed (or canceled) at Stripe whose withdrawal the ledger never re-credited. */
  | 'unreversed_payout'
  /** A withdrawal re-credited (or its transfer reversed) while its payout has not failed at Stripe. */
  | 'reversal_without_failure';

export interface Finding {
  kind: FindingKind;
  stripeId: string | null;
  message: string;
  details: Record<string, string>;
}
