/**
 * The Stripe gateway (core/cashier/gateway.ts) over the `stripe` library. `STRIPE_API_BASE` points the client at
 * another host (tests run a local server that speaks Stripe's wire format). Library errors become the port's two
 * kinds: a definite answer (`StripeRefused`, the key now replays it) or no answer (`StripeUnknownOutcome`, retry
 * with the same key).
 */
import Stripe from 'stripe';
import {
  StripeBadSignature,
  type ConnectedAccount,
  type PayoutStatus,
  type StripePayout,
  type StripeTransfer,
  StripeRefused,
  StripeUnknownOutcome,
  type CheckoutSession,
  type StripeEvent,
  type StripeGateway,
  type BalanceTransaction,
  type Charge,
  type Dispute,
  type Refund,
  type StripeReads,
} from '../../core/index.js';
import type { JsonValue } from '../../core/index.js';

export interface StripeClientConfig {
  readonly secretKey: string;
  /** `https://api.stripe.com` or a local server. */
  readonly apiBase: string;
  /** Required to verify webhooks; a gateway without it refuses every delivery. */
  readonly webhookSecret?: string;
  /** How long one call may take before it is an unknown outcome. Default 10 s. */
  readonly timeoutMs?: number;
}

/** Stripe's default, and the most we accept (RELIABILITY S4). */
export const WEBHOOK_TOLERANCE_S = 300;

function createStripeClient(config: StripeClientConfig): Stripe {
  const base = new URL(config.apiBase);
  const protocol = base.protocol === 'http:' ? 'http' : 'https';
  return new Stripe(config.secretKey, {
    host: base.hostname,
    port: base.port ? Number(base.port) : protocol === 'http' ? 80 : 443,
    protocol,
    timeout: config.timeoutMs ?? 10_000,
    // The library retries a dropped connection with the same idempotency key; past that, our jobs retry.
    maxNetworkRetries: 1,
    appInfo: { name: 'chipin' },
  });
}

/** A library error as the port's: answered (refused) or not (unknown). Anything else is rethrown as is. */
function portError(err: unknown): Error {
  if (err instanceof Stripe.errors.StripeConnectionError || err instanceof Stripe.errors.StripeAPIError)
    return new StripeUnknownOutcome(err.message);
  if (err instanceof Stripe.errors.StripeError) {
    const status = err.statusCode ?? 0;
    // A 5xx or a 409 (a concurrent request with this key) is not saved by Stripe: retry with the same key.
    if (status >= 500 || status === 409 || status === 0) return new StripeUnknownOutcome(err.message);
    return new StripeRefused(err.message, err.code ?? err.type, status);
  }
  return err instanceof Error ? err : new Error(String(err));
}

export async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw portError(err);
  }
}

const upper = (currency: string | null | undefined): string | null => (currency ? currency.toUpperCase() : null);

const idOf = (value: string | { id: string } | null | undefined): string | null =>
  value == null ? null : typeof value === 'string' ? value : value.id;

const STATUSES: ReadonlyArray<CheckoutSession['status']> = ['open', 'complete', 'expired'];
const PAYMENT_STATUSES: ReadonlyArray<CheckoutSession['paymentStatus']> = ['paid', 'unpaid', 'no_payment_required'];
const oneOf = <T extends string>(values: readonly T[], value: string | null | undefined, fallback: T): T =>
  values.find((v) => v === value) ?? fallback;

function session(s: Stripe.Checkout.Session): CheckoutSession {
  return {
    id: s.id,
    url: s.url ?? null,
    status: oneOf(STATUSES, s.status, 'open'),
    paymentStatus: oneOf(PAYMENT_STATUSES, s.payment_status, 'unpaid'),
    amountTotal: s.amount_total == null ? null : BigInt(s.amount_total),
    currency: upper(s.currency),
    paymentIntent: idOf(s.payment_intent),
    metadata: s.metadata ?? {},
  };
}

export function createStripeGateway(config: StripeClientConfig): StripeGateway {
  const stripe = createStripeClient(config);
  return {
    ...stripeReads(stripe),
    async createCheckoutSession(input) {
      const created = await call(() =>
        stripe.checkout.sessions.create(
          {
            mode: 'payment',
            line_items: [
              {
                quantity: 1,
                price_data: {
                  currency: input.currency.toLowerCase(),
                  unit_amount: Number(input.amountMinor),
                  product_data: { name: input.description },
                },
              },
            ],
            success_url: input.successUrl,
            cancel_url: input.cancelUrl,
            metadata: { ...input.metadata },
            payment_intent_data: { metadata: { ...input.metadata } },
            ...(input.expiresAt ? { expires_at: Math.floor(input.expiresAt.getTime() / 1000) } : {}),
          },
          { idempotencyKey: input.idempotencyKey },
        ),
      );
      return session(created);
    },
    async retrieveCheckoutSession(id) {
      return session(await call(() => stripe.checkout.sessions.retrieve(id)));
    },
    verifyWebhook(rawBody, signature) {
      if (!config.webhookSecret) throw new StripeBadSignature('no webhook secret configured');
      if (!signature) throw new StripeBadSignature('no Stripe-Signature header');
      let event: Stripe.Event;
      try {
        event = stripe.webhooks.constructEvent(rawBody, signature, config.webhookSecret, WEBHOOK_TOLERANCE_S);
      } catch (err) {
        throw new StripeBadSignature(err instanceof Error ? err.message : 'signature check failed');
      }
      return {
        id: event.id,
        type: event.type,
        created: event.created,
        object: JSON.parse(JSON.stringify(event.data.object)) as JsonValue,
        account: event.account ?? null,
      } satisfies StripeEvent;
    },
    ...connectCalls(stripe),
  };
}

const PAYOUT_STATUSES: ReadonlyArray<PayoutStatus> = ['pending', 'in_transit', 'paid', 'failed', 'canceled'];

function connectedAccount(a: Stripe.Account): ConnectedAccount {
  return {
    id: a.id,
    payoutsEnabled: a.payouts_enabled === true,
    detailsSubmitted: a.details_submitted === true,
    metadata: a.metadata ?? {},
  };
}

function payout(p: Stripe.Payout): StripePayout {
  return {
    id: p.id,
    amount: BigInt(p.amount),
    currency: p.currency.toUpperCase(),
    status: oneOf(PAYOUT_STATUSES, p.status, 'pending'),
    failureCode: p.failure_code ?? null,
    metadata: p.metadata ?? {},
    created: p.created,
  };
}

/** A transfer with every reversal (the object embeds the first page; the rest is listed). */
async function transfer(stripe: Stripe, t: Stripe.Transfer): Promise<StripeTransfer> {
  const embedded = t.reversals?.data ?? [];
  const reversals = t.reversals?.has_more
    ? await call(() => stripe.transfers.listReversals(t.id, { limit: 100 }).autoPagingToArray({ limit: 10_000 }))
    : embedded;
  return {
    id: t.id,
    amount: BigInt(t.amount),
    currency: t.currency.toUpperCase(),
    destination: idOf(t.destination) ?? '',
    metadata: t.metadata ?? {},
    created: t.created,
    reversals: reversals.map((r) => ({ id: r.id, amount: BigInt(r.amount), metadata: r.metadata ?? {} })),
  };
}

type ConnectCalls = Pick<
  StripeGateway,
  | 'createConnectedAccount'
  | 'retrieveConnectedAccount'
  | 'createAccountLink'
  | 'createTransfer'
  | 'createPayout'
  | 'retrievePayout'
  | 'reverseTransfer'
  | 'listTransfers'
  | 'retrieveTransfer'
  | 'listPayouts'
>;

/** Stripe Connect: Express accounts (payouts on a manual schedule, so chipin triggers them), transfers, payouts. */
function connectCalls(stripe: Stripe): ConnectCalls {
  return {
    async createConnectedAccount(input) {
      const created = await call(() =>
        stripe.accounts.create(
          {
            type: 'express',
            capabilities: { transfers: { requested: true } },
            settings: { payouts: { schedule: { interval: 'manual' } } },
            metadata: { ...input.metadata },
          },
          { idempotencyKey: input.idempotencyKey },
        ),
      );
      return connectedAccount(created);
    },
    async retrieveConnectedAccount(id) {
      return connectedAccount(await call(() => stripe.accounts.retrieve(id)));
    },
    async createAccountLink(input) {
      const link = await call(() =>
        stripe.accountLinks.create({
          account: input.account,
          refresh_url: input.refreshUrl,
          return_url: input.returnUrl,
          type: 'account_onboarding',
        }),
      );
      return { url: link.url, expiresAt: new Date(link.expires_at * 1000) };
    },
    async createTransfer(input) {
      const t = await call(() =>
        stripe.transfers.create(
          {
            amount: Number(input.amountMinor),
            currency: input.currency.toLowerCase(),
            destination: input.destination,
            description: input.description,
            metadata: { ...input.metadata },
          },
          { idempotencyKey: input.idempotencyKey },
        ),
      );
      const made = await transfer(stripe, t);
      return made.destination === '' ? { ...made, destination: input.destination } : made;
    },
    async createPayout(input) {
      const created = await call(() =>
        stripe.payouts.create(
          {
            amount: Number(input.amountMinor),
            currency: input.currency.toLowerCase(),
            description: input.description,
            metadata: { ...input.metadata },
          },
          { idempotencyKey: input.idempotencyKey, stripeAccount: input.account },
        ),
      );
      return payout(created);
    },
    async retrievePayout(id, account) {
      return payout(await call(() => stripe.payouts.retrieve(id, {}, { stripeAccount: account })));
    },
    async listTransfers(filter) {
      const list = await call(() =>
        stripe.transfers
          .list({
            created: { gte: filter.createdGte },
            limit: 100,
            ...(filter.destination ? { destination: filter.destination } : {}),
          })
          .autoPagingToArray({ limit: 10_000 }),
      );
      const transfers = await Promise.all(list.map((t) => transfer(stripe, t)));
      return transfers.sort((a, b) => a.created - b.created);
    },
    async retrieveTransfer(id) {
      return transfer(stripe, await call(() => stripe.transfers.retrieve(id)));
    },
    async listPayouts(account, createdGte) {
      const list = await call(() =>
        stripe.payouts
          .list({ created: { gte: createdGte }, limit: 100 }, { stripeAccount: account })
          .autoPagingToArray({ limit: 10_000 }),
      );
      return list.map(payout).sort((a, b) => a.created - b.created);
    },
    async reverseTransfer(input) {
      const reversal = await call(() =>
        stripe.transfers.createReversal(
          input.transferId,
          { amount: Number(input.amountMinor), metadata: { ...input.metadata } },
          { idempotencyKey: input.idempotencyKey },
        ),
      );
      return { id: reversal.id, amount: BigInt(reversal.amount) };
    },
  };
}

const REFUND_STATUSES: ReadonlyArray<Refund['status']> = [
  'succeeded',
  'pending',
  'failed',
  'canceled',
  'requires_action',
];

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (value === null || typeof value !== 'object') return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

const fieldOf = (object: unknown, name: string): unknown =>
  object !== null && typeof object === 'object' ? (object as Record<string, unknown>)[name] : undefined;

const idIn = (value: unknown): string | null =>
  typeof value === 'string'
    ? value
    : typeof fieldOf(value, 'id') === 'string'
      ? (fieldOf(value, 'id') as string)
      : null;

/** A charge with its payment intent expanded: ours carries `chipin_deposit_id` on the intent, not the charge. */
function charge(c: Stripe.Charge): Charge {
  return {
    id: c.id,
    paymentIntent: idOf(c.payment_intent),
    amount: BigInt(c.amount),
    amountRefunded: BigInt(c.amount_refunded),
    currency: c.currency.toUpperCase(),
    metadata: { ...stringMap(fieldOf(c.payment_intent, 'metadata')), ...stringMap(c.metadata) },
  };
}

function refund(r: Stripe.Refund): Refund {
  return {
    id: r.id,
    charge: idOf(r.charge),
    paymentIntent: idOf(r.payment_intent),
    amount: BigInt(r.amount),
    currency: r.currency.toUpperCase(),
    status: oneOf(REFUND_STATUSES, r.status, 'pending'),
  };
}

/** The source of a balance transaction, expanded (with its payment intent) so our metadata comes along. */
function source(value: unknown): BalanceTransaction['source'] {
  const id = idIn(value);
  if (id === null) return null;
  const intent = fieldOf(value, 'payment_intent');
  return {
    id,
    object: typeof fieldOf(value, 'object') === 'string' ? (fieldOf(value, 'object') as string) : 'unknown',
    charge: idIn(fieldOf(value, 'charge')),
    paymentIntent: idIn(intent),
    metadata: { ...stringMap(fieldOf(intent, 'metadata')), ...stringMap(fieldOf(value, 'metadata')) },
  };
}

/** The port's reads (StripeReads), over the library's auto-pagination. */
function stripeReads(stripe: Stripe): StripeReads {
  const MAX = 10_000;
  return {
    async retrieveCharge(id) {
      return charge(await call(() => stripe.charges.retrieve(id, { expand: ['payment_intent'] })));
    },
    async retrieveDispute(id) {
      const d = await call(() => stripe.disputes.retrieve(id));
      return {
        id: d.id,
        charge: idIn(d.charge) ?? '',
        amount: BigInt(d.amount),
        currency: d.currency.toUpperCase(),
        status: d.status,
      } satisfies Dispute;
    },
    async listRefunds(chargeId) {
      const list = await call(() =>
        stripe.refunds.list({ charge: chargeId, limit: 100 }).autoPagingToArray({ limit: MAX }),
      );
      return list.map(refund);
    },
    async listEvents(createdGte) {
      const list = await call(() =>
        stripe.events.list({ created: { gte: createdGte }, limit: 100 }).autoPagingToArray({ limit: MAX }),
      );
      return list
        .map((event): StripeEvent => ({
          id: event.id,
          type: event.type,
          created: event.created,
          object: JSON.parse(JSON.stringify(event.data.object)) as JsonValue,
          account: event.account ?? null,
        }))
        .sort((a, b) => a.created - b.created);
    },
    async listBalanceTransactions(createdGte) {
      const list = await call(() =>
        stripe.balanceTransactions
          .list({
            created: { gte: createdGte },
            limit: 100,
            expand: ['data.source', 'data.source.payment_intent'],
          })
          .autoPagingToArray({ limit: MAX }),
      );
      return list
        .map((t): BalanceTransaction => ({
          id: t.id,
          type: t.type,
          amount: BigInt(t.amount),
          currency: t.currency.toUpperCase(),
          created: t.created,
          source: source(t.source),
        }))
        .sort((a, b) => a.created - b.created);
    },
  };
}
