/**
 * The port to Stripe (bots/stripe/client.ts implements it with the `stripe` library): the calls chipin makes, in
 * our own types, so the core never sees the library. Every call that creates something takes an idempotency key
 * the caller stored before calling (RELIABILITY S1): Stripe replays the saved result of a key for 24 h.
 *
 * Failures come in two kinds, and the difference decides what a retry may do:
 * - `StripeUnknownOutcome`: no answer (timeout, dropped connection, 5xx) — the call may have happened. Retry with
 *   the SAME key and parameters, never a new key.
 * - `StripeRefused`: Stripe answered with a definite error (its code: `balance_insufficient`, `account_invalid`…).
 *   The key's result is now that error for 24 h: a new attempt needs a new key.
 */
import type { JsonValue } from '../db/wire.js';

export interface CheckoutSession {
  id: string;
  url: string | null;
  status: 'open' | 'complete' | 'expired';
  paymentStatus: 'paid' | 'unpaid' | 'no_payment_required';
  /** Minor units, as Stripe counts them. */
  amountTotal: bigint | null;
  /** Upper case (Stripe says `usd`). */
  currency: string | null;
  paymentIntent: string | null;
  metadata: Readonly<Record<string, string>>;
}

export interface CheckoutInput {
  idempotencyKey: string;
  amountMinor: bigint;
  currency: string;
  /** What the payer sees on the Checkout page. */
  description: string;
  successUrl: string;
  cancelUrl: string;
  /** Ours, carried back on every event about the session and its payment (`deposit_id`, `person_id`). */
  metadata: Readonly<Record<string, string>>;
  /** Stripe expires sessions after 24 h by default; earlier when given. */
  expiresAt?: Date;
}

/** An event as it arrived (verified) and is stored: `object` is `data.object`, validated where it is used. */
export interface StripeEvent {
  id: string;
  type: string;
  /** Unix seconds. */
  created: number;
  object: JsonValue;
  /** `account` of a Connect event (an event about a connected account). */
  account: string | null;
}

export interface StripeGateway extends StripeReads, StripeConnect {
  createCheckoutSession(input: CheckoutInput): Promise<CheckoutSession>;
  retrieveCheckoutSession(id: string): Promise<CheckoutSession>;
  /** Reads the raw body of a webhook delivery: the event when the signature holds, else throws StripeBadSignature. */
  verifyWebhook(rawBody: Buffer, signature: string | undefined): StripeEvent;
}

/** Stripe answered with an error: the call did not happen (and this key now replays the error). */
export class StripeRefused extends Error {
  override name = 'StripeRefused';

  constructor(
    message: string,
    /** Stripe's `code` (`balance_insufficient`…) or its error type when it has none. */
    readonly code: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** No definite answer: the call may or may not have happened. Retry with the same key and parameters. */
export class StripeUnknownOutcome extends Error {
  override name = 'StripeUnknownOutcome';
}

/** A webhook delivery whose signature, timestamp or body does not check out. */
export class StripeBadSignature extends Error {
  override name = 'StripeBadSignature';
}

/** A refund of a charge (`re_…`); `amount` in minor units. Only `succeeded` and `pending` refunds took money. */
export interface Refund {
  id: string;
  charge: string | null;
  paymentIntent: string | null;
  amount: bigint;
  /** Upper case. */
  currency: string;
  status: 'succeeded' | 'pending' | 'failed' | 'canceled' | 'requires_action';
}

/** A card charge (`ch_…`): its payment intent and metadata map it to a deposit. */
export interface Charge {
  id: string;
  paymentIntent: string | null;
  amount: bigint;
  /** Cumulative over every refund so far. */
  amountRefunded: bigint;
  currency: string;
  metadata: Readonly<Record<string, string>>;
}

/**
 * A movement of the platform's Stripe balance (`txn_…`), with its source object: a charge (`charge`/`payment`),
 * a refund (`refund`), a dispute's withdrawal or reinstatement (`adjustment`), a payout… `amount` is signed
 * (money out is negative), gross of fees.
 */
export interface BalanceTransaction {
  id: string;
  type: string;
  amount: bigint;
  currency: string;
  /** Unix seconds. */
  created: number;
  source: {
    id: string;
    /** `charge`, `refund`, `dispute`, `payout`, `transfer`… */
    object: string;
    /** The charge a refund or dispute belongs to. */
    charge: string | null;
    paymentIntent: string | null;
    /** The source's own metadata merged with its payment intent's (ours: `chipin_deposit_id`). */
    metadata: Readonly<Record<string, string>>;
  } | null;
}

/** A dispute of a charge (`dp_…`): `status` says where it stands now (`won`, `lost`, `needs_response`…). */
export interface Dispute {
  id: string;
  charge: string;
  amount: bigint;
  currency: string;
  status: string;
}

/** The reads reconciliation and the refund handlers make (appended to the port; see StripeGateway). */
export interface StripeReads {
  retrieveCharge(id: string): Promise<Charge>;
  retrieveDispute(id: string): Promise<Dispute>;
  /** Every refund of a charge (all pages). */
  listRefunds(chargeId: string): Promise<Refund[]>;
  /** Every event created at or after `createdGte` (unix seconds), oldest first (all pages; Stripe keeps 30 days). */
  listEvents(createdGte: number): Promise<StripeEvent[]>;
  /** Every balance transaction created at or after `createdGte`, oldest first, with its source expanded. */
  listBalanceTransactions(createdGte: number): Promise<BalanceTransaction[]>;
}

/** A person's own Stripe Connect (Express) account. */
export interface ConnectedAccount {
  id: string;
  /** Stripe lets it receive payouts (onboarding done, nothing outstanding). */
  payoutsEnabled: boolean;
  detailsSubmitted: boolean;
  metadata: Readonly<Record<string, string>>;
}

/** A reversal of a transfer (`trr_…`): money taken back from the connected account to the platform balance. */
export interface StripeTransferReversal {
  id: string;
  amount: bigint;
  metadata: Readonly<Record<string, string>>;
}

/** A Stripe Transfer from the platform balance to a connected account. */
export interface StripeTransfer {
  id: string;
  amount: bigint;
  /** Upper case. */
  currency: string;
  destination: string;
  metadata: Readonly<Record<string, string>>;
  /** Unix seconds. */
  created: number;
  /** Every reversal of it so far (all pages). */
  reversals: readonly StripeTransferReversal[];
}

export type PayoutStatus = 'pending' | 'in_transit' | 'paid' | 'failed' | 'canceled';

/** A payout from a connected account's balance to its bank (RELIABILITY S6: `paid` may still turn `failed`). */
export interface StripePayout {
  id: string;
  amount: bigint;
  /** Upper case. */
  currency: string;
  status: PayoutStatus;
  /** `account_closed`, `no_account`… when failed. */
  failureCode: string | null;
  metadata: Readonly<Record<string, string>>;
  /** Unix seconds. */
  created: number;
}

/** Payouts through Stripe Connect (core/cashier/accounts.ts, payouts.ts); part of the port (StripeGateway). */
export interface StripeConnect {
  /** An Express account whose payouts the platform triggers (manual schedule). */
  createConnectedAccount(input: {
    idempotencyKey: string;
    metadata: Readonly<Record<string, string>>;
  }): Promise<ConnectedAccount>;
  retrieveConnectedAccount(id: string): Promise<ConnectedAccount>;
  /** A short-lived onboarding link (`account_onboarding`). */
  createAccountLink(input: {
    account: string;
    refreshUrl: string;
    returnUrl: string;
  }): Promise<{ url: string; expiresAt: Date }>;
  createTransfer(input: {
    idempotencyKey: string;
    amountMinor: bigint;
    currency: string;
    destination: string;
    description: string;
    metadata: Readonly<Record<string, string>>;
  }): Promise<StripeTransfer>;
  /** A payout on the connected account `account` (the Stripe-Account header). */
  createPayout(input: {
    idempotencyKey: string;
    account: string;
    amountMinor: bigint;
    currency: string;
    description: string;
    metadata: Readonly<Record<string, string>>;
  }): Promise<StripePayout>;
  retrievePayout(id: string, account: string): Promise<StripePayout>;
  /**
   * Transfers from the platform created at or after `createdGte` (unix seconds), only those to `destination` when
   * given; all pages, oldest first, each with its reversals. How reconciliation (and a withdrawal whose key Stripe
   * may have pruned, RELIABILITY S1) finds a transfer by our metadata instead of re-POSTing.
   */
  listTransfers(filter: { createdGte: number; destination?: string }): Promise<StripeTransfer[]>;
  /** One transfer with its reversals (throws StripeRefused `resource_missing` when Stripe has no such transfer). */
  retrieveTransfer(id: string): Promise<StripeTransfer>;
  /** The payouts of connected account `account` created at or after `createdGte`; all pages, oldest first. */
  listPayouts(account: string, createdGte: number): Promise<StripePayout[]>;
  /** Takes (part of) a transfer back from the connected account to the platform balance. */
  reverseTransfer(input: {
    idempotencyKey: string;
    transferId: string;
    amountMinor: bigint;
    metadata: Readonly<Record<string, string>>;
  }): Promise<{ id: string; amount: bigint }>;
}
