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
