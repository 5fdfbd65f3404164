/**
 * Checkout Sessions on the fake Stripe (server.ts): create and retrieve as the API does, and the payer's side —
 * pay now (card), pay with a delayed method (completed `unpaid`, later succeeded or failed), or let it expire —
 * each recording the events Stripe would send.
 */
import { FakeStripeError, nowS, stripeId, type FakeStripe, type StripeEvent, type StripeObject } from './server.js';

export interface CheckoutSessionObject extends StripeObject {
  object: 'checkout.session';
  mode: 'payment';
  status: 'open' | 'complete' | 'expired';
  payment_status: 'paid' | 'unpaid';
  amount_total: number;
  currency: string;
  metadata: Record<string, string>;
  payment_intent: string | null;
  url: string | null;
  success_url: string;
  cancel_url: string | null;
  expires_at: number;
  created: number;
}

export function installCheckout(fake: FakeStripe): void {
  fake.route('post', '/v1/checkout/sessions', (_req, p) => {
    const item = (p.line_items as Array<Record<string, Record<string, unknown>>> | undefined)?.[0];
    const price = item?.price_data;
    const amount = Number(price?.unit_amount) * Number(item?.quantity ?? 1);
    if (p.mode !== 'payment' || !price || !Number.isSafeInteger(amount) || amount <= 0)
      throw new FakeStripeError(400, { type: 'invalid_request_error', message: 'Invalid line_items' });
    if (amount < 50)
      throw new FakeStripeError(400, {
        type: 'invalid_request_error',
        code: 'amount_too_small',
        message: 'The Checkout Session total amount due must add up to at least $0.50 usd',
      });
    const id = stripeId('cs_test');
    const session: CheckoutSessionObject = {
      id,
      object: 'checkout.session',
      mode: 'payment',
      status: 'open',
      payment_status: 'unpaid',
      amount_total: amount,
      currency: String(price.currency),
      metadata: (p.metadata as Record<string, string> | undefined) ?? {},
      payment_intent: null,
      url: `${fake.url}/c/pay/${id}`,
      success_url: String(p.success_url),
      cancel_url: typeof p.cancel_url === 'string' ? p.cancel_url : null,
      expires_at: p.expires_at ? Number(p.expires_at) : nowS() + 86_400,
      created: nowS(),
    };
    fake.objects.set(id, session);
    return session;
  });
  fake.route('get', '/v1/checkout/sessions/:id', (req) => {
    const session = fake.objects.get(String(req.params.id));
    if (!session || session.object !== 'checkout.session')
      throw new FakeStripeError(404, {
        type: 'invalid_request_error',
        code: 'resource_missing',
        message: `No such checkout.session: '${String(req.params.id)}'`,
      });
    return session;
  });
}

export function sessionOf(fake: FakeStripe, id: string): CheckoutSessionObject {
  const session = fake.objects.get(id);
  if (!session || session.object !== 'checkout.session') throw new Error(`no session ${id}`);
  return session as CheckoutSessionObject;
}

/** The session whose metadata names deposit `depositId`. */
export function sessionOfDeposit(fake: FakeStripe, depositId: bigint | string): CheckoutSessionObject {
  for (const object of fake.objects.values())
    if (
      object.object === 'checkout.session' &&
      (object as CheckoutSessionObject).metadata.chipin_deposit_id === String(depositId)
    )
      return object as CheckoutSessionObject;
  throw new Error(`no session for deposit ${depositId}`);
}

/**
 * The payer finishes Checkout. `card`: paid at once (`checkout.session.completed`, paid). `delayed`: completed
 * unpaid; `settle(session, 'succeeded' | 'failed')` later. Returns the events Stripe would send.
 */
export function pay(fake: FakeStripe, id: string, method: 'card' | 'delayed' = 'card'): StripeEvent {
  const session = sessionOf(fake, id);
  session.status = 'complete';
  session.payment_intent = stripeId('pi');
  session.payment_status = method === 'card' ? 'paid' : 'unpaid';
  session.url = null;
  return fake.event('checkout.session.completed', session);
}

export function settle(fake: FakeStripe, id: string, result: 'succeeded' | 'failed'): StripeEvent {
  const session = sessionOf(fake, id);
  if (result === 'succeeded') session.payment_status = 'paid';
  return fake.event(`checkout.session.async_payment_${result}`, session);
}

export function expire(fake: FakeStripe, id: string): StripeEvent {
  const session = sessionOf(fake, id);
  session.status = 'expired';
  session.url = null;
  return fake.event('checkout.session.expired', session);
}
