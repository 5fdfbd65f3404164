/**
 * Charges, refunds, disputes and balance transactions on the fake Stripe (server.ts), as the API shows them to a
 * reconciler: every paid Checkout Session has a payment intent (carrying the session's metadata), a charge and a
 * `charge` balance transaction; a refund is a `refund` balance transaction, a dispute an `adjustment` (negative when
 * opened, positive when won). The payer's bank side — refund, dispute, close — records the events Stripe would send.
 */
import { FakeStripeError, nowS, stripeId, type FakeStripe, type StripeEvent, type StripeObject } from './server.js';
import { sessionOf, type CheckoutSessionObject } from './checkout.js';

export interface ChargeObject extends StripeObject {
  object: 'charge';
  amount: number;
  amount_refunded: number;
  refunded: boolean;
  currency: string;
  payment_intent: string;
  metadata: Record<string, string>;
  disputed: boolean;
  created: number;
}

export interface RefundObject extends StripeObject {
  object: 'refund';
  amount: number;
  charge: string;
  payment_intent: string;
  currency: string;
  status: 'succeeded' | 'pending' | 'failed';
  created: number;
}

export interface DisputeObject extends StripeObject {
  object: 'dispute';
  amount: number;
  charge: string;
  payment_intent: string;
  currency: string;
  status: 'needs_response' | 'won' | 'lost';
  created: number;
}

interface BalanceTransactionRow {
  id: string;
  object: 'balance_transaction';
  type: 'charge' | 'refund' | 'adjustment';
  amount: number;
  fee: number;
  net: number;
  currency: string;
  created: number;
  source: string;
}

const ledgers = new WeakMap<FakeStripe, BalanceTransactionRow[]>();
const balanceOf = (fake: FakeStripe): BalanceTransactionRow[] => {
  let list = ledgers.get(fake);
  if (!list) ledgers.set(fake, (list = []));
  return list;
};

function record(
  fake: FakeStripe,
  type: BalanceTransactionRow['type'],
  amount: number,
  currency: string,
  source: string,
) {
  balanceOf(fake).push({
    id: stripeId('txn'),
    object: 'balance_transaction',
    type,
    amount,
    fee: 0,
    net: amount,
    currency,
    created: nowS(),
    source,
  });
}

const objectsOf = <T extends StripeObject>(fake: FakeStripe, kind: string): T[] =>
  [...fake.objects.values()].filter((o) => o.object === kind) as T[];

/** The charge of a paid session (made, with its payment intent and balance transaction, the first time asked). */
export function chargeOfSession(fake: FakeStripe, sessionId: string): ChargeObject {
  const session = sessionOf(fake, sessionId);
  if (session.payment_status !== 'paid' || !session.payment_intent) throw new Error(`session ${sessionId} is not paid`);
  return ensureCharge(fake, session);
}

function ensureCharge(fake: FakeStripe, session: CheckoutSessionObject): ChargeObject {
  const intent = session.payment_intent ?? '';
  const found = objectsOf<ChargeObject>(fake, 'charge').find((c) => c.payment_intent === intent);
  if (found) return found;
  fake.objects.set(intent, {
    id: intent,
    object: 'payment_intent',
    amount: session.amount_total,
    currency: session.currency,
    status: 'succeeded',
    metadata: { ...session.metadata },
  });
  const charge: ChargeObject = {
    id: stripeId('ch'),
    object: 'charge',
    amount: session.amount_total,
    amount_refunded: 0,
    refunded: false,
    currency: session.currency,
    payment_intent: intent,
    // Charges do not copy the payment intent's metadata: reconciliation reads it through the intent.
    metadata: {},
    disputed: false,
    created: nowS(),
  };
  fake.objects.set(charge.id, charge);
  record(fake, 'charge', charge.amount, charge.currency, charge.id);
  return charge;
}

/** Makes the charges of every paid session (a card payment has one as soon as it is paid). */
function settlePaid(fake: FakeStripe): void {
  for (const session of objectsOf<CheckoutSessionObject>(fake, 'checkout.session'))
    if (session.payment_status === 'paid' && session.payment_intent) ensureCharge(fake, session);
}

/** Refunds `amount` (all that is left by default) of a paid session's charge; returns `charge.refunded`. */
export function refund(
  fake: FakeStripe,
  sessionId: string,
  amount?: number,
): { event: StripeEvent; refund: RefundObject } {
  const charge = chargeOfSession(fake, sessionId);
  const value = amount ?? charge.amount - charge.amount_refunded;
  if (value <= 0 || charge.amount_refunded + value > charge.amount) throw new Error('refund beyond the charge');
  const r: RefundObject = {
    id: stripeId('re'),
    object: 'refund',
    amount: value,
    charge: charge.id,
    payment_intent: charge.payment_intent,
    currency: charge.currency,
    status: 'succeeded',
    created: nowS(),
  };
  fake.objects.set(r.id, r);
  charge.amount_refunded += value;
  charge.refunded = charge.amount_refunded === charge.amount;
  record(fake, 'refund', -value, charge.currency, r.id);
  return { event: fake.event('charge.refunded', charge), refund: r };
}

/** The payer's bank disputes the charge (its whole amount by default); returns `charge.dispute.created`. */
export function dispute(
  fake: FakeStripe,
  sessionId: string,
  amount?: number,
): { event: StripeEvent; dispute: DisputeObject } {
  const charge = chargeOfSession(fake, sessionId);
  const d: DisputeObject = {
    id: stripeId('dp'),
    object: 'dispute',
    amount: amount ?? charge.amount,
    charge: charge.id,
    payment_intent: charge.payment_intent,
    currency: charge.currency,
    status: 'needs_response',
    created: nowS(),
  };
  fake.objects.set(d.id, d);
  charge.disputed = true;
  record(fake, 'adjustment', -d.amount, d.currency, d.id);
  return { event: fake.event('charge.dispute.created', d), dispute: d };
}

/** The dispute is decided; won reinstates the money. Returns `charge.dispute.closed`. */
export function closeDispute(fake: FakeStripe, disputeId: string, result: 'won' | 'lost'): StripeEvent {
  const d = fake.objects.get(disputeId) as DisputeObject | undefined;
  if (!d || d.object !== 'dispute') throw new Error(`no dispute ${disputeId}`);
  d.status = result;
  if (result === 'won') record(fake, 'adjustment', d.amount, d.currency, d.id);
  return fake.event('charge.dispute.closed', d);
}

const missing = (kind: string, id: string) =>
  new FakeStripeError(404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    message: `No such ${kind}: '${id}'`,
  });

/** `created[gte]` of a list request, however the query string was parsed. */
function createdGte(query: Record<string, unknown>): number {
  const nested = query.created as Record<string, unknown> | undefined;
  const value = query['created[gte]'] ?? nested?.gte;
  return value === undefined ? 0 : Number(value);
}

export function installReconcile(fake: FakeStripe): void {
  fake.route('get', '/v1/charges/:id', (req) => {
    const id = String(req.params.id);
    const charge = fake.objects.get(id);
    if (!charge || charge.object !== 'charge') throw missing('charge', id);
    const intent = typeof charge.payment_intent === 'string' ? fake.objects.get(charge.payment_intent) : undefined;
    return intent && req.originalUrl.includes('payment_intent') ? { ...charge, payment_intent: intent } : charge;
  });
  fake.route('get', '/v1/disputes/:id', (req) => {
    const id = String(req.params.id);
    const d = fake.objects.get(id);
    if (!d || d.object !== 'dispute') throw missing('dispute', id);
    return d;
  });
  fake.route('get', '/v1/refunds', (_req, p) => {
    const charge = typeof p.charge === 'string' ? p.charge : undefined;
    const data = objectsOf<RefundObject>(fake, 'refund')
      .filter((r) => charge === undefined || r.charge === charge)
      .reverse();
    return { id: 'list', object: 'list', url: '/v1/refunds', has_more: false, data };
  });
  fake.route('get', '/v1/balance_transactions', (_req, p) => {
    settlePaid(fake);
    const gte = createdGte(p);
    const expand = (source: string): StripeObject | string => {
      const object = fake.objects.get(source);
      if (!object) return source;
      const intent = typeof object.payment_intent === 'string' ? fake.objects.get(object.payment_intent) : undefined;
      return intent ? { ...object, payment_intent: intent } : object;
    };
    const data = balanceOf(fake)
      .filter((t) => t.created >= gte)
      .map((t) => ({ ...t, source: expand(t.source) }))
      .reverse();
    return { id: 'list', object: 'list', url: '/v1/balance_transactions', has_more: false, data };
  });
}
