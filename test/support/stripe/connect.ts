/**
 * Stripe Connect on the fake Stripe (server.ts): Express accounts and their onboarding links, the platform's and
 * each connected account's balance, transfers (refused with `balance_insufficient` when the platform balance does
 * not cover them, as Stripe does: RELIABILITY S7) and payouts on a connected account (the `Stripe-Account` header).
 * Helpers play the person's and the bank's side: finish onboarding, pay or fail a payout — each recording the event
 * Stripe would send.
 */
import { FakeStripeError, nowS, stripeId, type FakeStripe, type StripeEvent, type StripeObject } from './server.js';

export interface AccountObject extends StripeObject {
  object: 'account';
  type: 'express';
  payouts_enabled: boolean;
  charges_enabled: boolean;
  details_submitted: boolean;
  metadata: Record<string, string>;
  created: number;
}

export interface TransferObject extends StripeObject {
  object: 'transfer';
  amount: number;
  currency: string;
  destination: string;
  description: string | null;
  metadata: Record<string, string>;
  reversed: boolean;
  amount_reversed: number;
  reversals: { object: 'list'; data: TransferReversalObject[]; has_more: false; total_count: number; url: string };
  created: number;
}

export interface TransferReversalObject extends StripeObject {
  object: 'transfer_reversal';
  amount: number;
  currency: string;
  transfer: string;
  metadata: Record<string, string>;
  created: number;
}

export interface PayoutObject extends StripeObject {
  object: 'payout';
  amount: number;
  currency: string;
  status: 'pending' | 'in_transit' | 'paid' | 'failed' | 'canceled';
  failure_code: string | null;
  metadata: Record<string, string>;
  arrival_date: number;
  created: number;
}

interface ConnectState {
  /** Available balance by `<account or "platform">:<currency>`, minor units. */
  balances: Map<string, number>;
  /** The connected account of each payout. */
  payoutAccount: Map<string, string>;
}

const states = new WeakMap<FakeStripe, ConnectState>();

function state(fake: FakeStripe): ConnectState {
  let s = states.get(fake);
  if (!s) {
    s = { balances: new Map(), payoutAccount: new Map() };
    states.set(fake, s);
  }
  return s;
}

/** The platform starts rich (1,000,000.00 in any currency) unless a test sets it. */
const PLATFORM_DEFAULT = 100_000_000;
const balanceKey = (account: string | undefined, currency: string): string =>
  `${account ?? 'platform'}:${currency.toLowerCase()}`;

export function balanceOf(fake: FakeStripe, currency: string, account?: string): number {
  return state(fake).balances.get(balanceKey(account, currency)) ?? (account ? 0 : PLATFORM_DEFAULT);
}

export function setBalance(fake: FakeStripe, currency: string, amount: number, account?: string): void {
  state(fake).balances.set(balanceKey(account, currency), amount);
}

const missing = (what: string, id: string) =>
  new FakeStripeError(404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    message: `No such ${what}: '${id}'`,
  });

function accountOf(fake: FakeStripe, id: string | undefined): AccountObject {
  const account = id ? fake.objects.get(id) : undefined;
  if (!account || account.object !== 'account') throw missing('account', String(id));
  return account as AccountObject;
}

function amountOf(p: Record<string, unknown>): { amount: number; currency: string } {
  const amount = Number(p.amount);
  if (!Number.isSafeInteger(amount) || amount <= 0 || typeof p.currency !== 'string')
    throw new FakeStripeError(400, { type: 'invalid_request_error', message: 'Invalid amount or currency' });
  return { amount, currency: p.currency };
}

/** `created[gte]` of a list request, however the query string was parsed. */
function createdGte(query: Record<string, unknown>): number {
  const nested = query.created as Record<string, unknown> | undefined;
  const value = query['created[gte]'] ?? nested?.gte;
  return value === undefined ? 0 : Number(value);
}

export function installConnect(fake: FakeStripe): void {
  fake.route('post', '/v1/accounts', (_req, p) => {
    if (p.type !== 'express')
      throw new FakeStripeError(400, { type: 'invalid_request_error', message: 'Only express accounts here' });
    const account: AccountObject = {
      id: stripeId('acct'),
      object: 'account',
      type: 'express',
      payouts_enabled: false,
      charges_enabled: false,
      details_submitted: false,
      metadata: (p.metadata as Record<string, string> | undefined) ?? {},
      settings: p.settings ?? {},
      capabilities: p.capabilities ?? {},
      created: nowS(),
    };
    fake.objects.set(account.id, account);
    return account;
  });
  fake.route('get', '/v1/accounts/:id', (req) => accountOf(fake, String(req.params.id)));
  fake.route('post', '/v1/account_links', (_req, p) => {
    const account = accountOf(fake, typeof p.account === 'string' ? p.account : undefined);
    if (p.type !== 'account_onboarding' || typeof p.return_url !== 'string' || typeof p.refresh_url !== 'string')
      throw new FakeStripeError(400, { type: 'invalid_request_error', message: 'Invalid account link' });
    return {
      id: stripeId('acctlink'),
      object: 'account_link',
      url: `${fake.url}/connect/onboard/${account.id}`,
      created: nowS(),
      expires_at: nowS() + 300,
    };
  });
  fake.route('get', '/v1/balance', (req) => {
    const account = req.get('stripe-account');
    const s = state(fake);
    const available = [...s.balances.entries()]
      .filter(([k]) => k.startsWith(`${account ?? 'platform'}:`))
      .map(([k, amount]) => ({ amount, currency: k.split(':')[1] ?? 'usd' }));
    return { id: 'balance', object: 'balance', livemode: false, available, pending: [] };
  });
  fake.route('post', '/v1/transfers', (_req, p) => {
    const { amount, currency } = amountOf(p);
    const destination = accountOf(fake, typeof p.destination === 'string' ? p.destination : undefined);
    const platform = balanceOf(fake, currency);
    if (platform < amount)
      throw new FakeStripeError(400, {
        type: 'invalid_request_error',
        code: 'balance_insufficient',
        message: 'You have insufficient available funds in your Stripe account.',
      });
    setBalance(fake, currency, platform - amount);
    setBalance(fake, currency, balanceOf(fake, currency, destination.id) + amount, destination.id);
    const transfer: TransferObject = {
      id: stripeId('tr'),
      object: 'transfer',
      amount,
      currency,
      destination: destination.id,
      description: typeof p.description === 'string' ? p.description : null,
      metadata: (p.metadata as Record<string, string> | undefined) ?? {},
      reversed: false,
      amount_reversed: 0,
      reversals: { object: 'list', data: [], has_more: false, total_count: 0, url: '' },
      created: nowS(),
    };
    transfer.reversals.url = `/v1/transfers/${transfer.id}/reversals`;
    fake.objects.set(transfer.id, transfer);
    return transfer;
  });
  fake.route('post', '/v1/transfers/:id/reversals', (req, p) => {
    const id = String(req.params.id);
    const transfer = fake.objects.get(id) as TransferObject | undefined;
    if (!transfer || transfer.object !== 'transfer') throw missing('transfer', id);
    const amount = p.amount === undefined ? transfer.amount - transfer.amount_reversed : Number(p.amount);
    if (!Number.isSafeInteger(amount) || amount <= 0 || amount > transfer.amount - transfer.amount_reversed)
      throw new FakeStripeError(400, { type: 'invalid_request_error', message: 'Invalid reversal amount' });
    // A reversal takes the money back from the connected account, which must hold it (S7).
    const held = balanceOf(fake, transfer.currency, transfer.destination);
    if (held < amount)
      throw new FakeStripeError(400, {
        type: 'invalid_request_error',
        code: 'balance_insufficient',
        message: 'The destination account does not have enough funds to reverse this transfer.',
      });
    setBalance(fake, transfer.currency, held - amount, transfer.destination);
    setBalance(fake, transfer.currency, balanceOf(fake, transfer.currency) + amount);
    transfer.amount_reversed += amount;
    transfer.reversed = transfer.amount_reversed === transfer.amount;
    const reversal: TransferReversalObject = {
      id: stripeId('trr'),
      object: 'transfer_reversal',
      amount,
      currency: transfer.currency,
      transfer: transfer.id,
      metadata: (p.metadata as Record<string, string> | undefined) ?? {},
      created: nowS(),
    };
    fake.objects.set(reversal.id, reversal);
    transfer.reversals.data.unshift(reversal);
    transfer.reversals.total_count += 1;
    return reversal;
  });
  fake.route('post', '/v1/payouts', (req, p) => {
    const account = accountOf(fake, req.get('stripe-account'));
    const { amount, currency } = amountOf(p);
    const available = balanceOf(fake, currency, account.id);
    if (available < amount)
      throw new FakeStripeError(400, {
        type: 'invalid_request_error',
        code: 'balance_insufficient',
        message: 'You have insufficient funds in your Stripe account for this transfer.',
      });
    setBalance(fake, currency, available - amount, account.id);
    const payout: PayoutObject = {
      id: stripeId('po'),
      object: 'payout',
      amount,
      currency,
      status: 'pending',
      failure_code: null,
      metadata: (p.metadata as Record<string, string> | undefined) ?? {},
      arrival_date: nowS() + 2 * 86_400,
      created: nowS(),
    };
    fake.objects.set(payout.id, payout);
    state(fake).payoutAccount.set(payout.id, account.id);
    return payout;
  });
  fake.route('get', '/v1/transfers', (_req, p) => {
    const gte = createdGte(p);
    const destination = typeof p.destination === 'string' ? p.destination : undefined;
    const data = objectsOf<TransferObject>(fake, 'transfer')
      .filter((t) => t.created >= gte && (destination === undefined || t.destination === destination))
      .reverse();
    return { id: 'list', object: 'list', url: '/v1/transfers', has_more: false, data };
  });
  fake.route('get', '/v1/transfers/:id', (req) => {
    const id = String(req.params.id);
    const transfer = fake.objects.get(id);
    if (!transfer || transfer.object !== 'transfer') throw missing('transfer', id);
    return transfer;
  });
  fake.route('get', '/v1/payouts', (req, p) => {
    const account = accountOf(fake, req.get('stripe-account'));
    const gte = createdGte(p);
    const data = objectsOf<PayoutObject>(fake, 'payout')
      .filter((o) => o.created >= gte && state(fake).payoutAccount.get(o.id) === account.id)
      .reverse();
    return { id: 'list', object: 'list', url: '/v1/payouts', has_more: false, data };
  });
  fake.route('get', '/v1/payouts/:id', (req) => {
    const id = String(req.params.id);
    const payout = fake.objects.get(id);
    if (!payout || payout.object !== 'payout' || state(fake).payoutAccount.get(id) !== req.get('stripe-account'))
      throw missing('payout', id);
    return payout;
  });
}

/** The person finishes (or not) Stripe's onboarding form: `account.updated`, a Connect event. */
export function onboard(fake: FakeStripe, accountId: string, payoutsEnabled = true): StripeEvent {
  const account = accountOf(fake, accountId);
  account.details_submitted = true;
  account.payouts_enabled = payoutsEnabled;
  account.charges_enabled = payoutsEnabled;
  return fake.event('account.updated', account, { account: accountId });
}

export function objectsOf<T extends StripeObject>(fake: FakeStripe, type: T['object']): T[] {
  return [...fake.objects.values()].filter((o): o is T => o.object === type);
}

/** The account whose metadata names person `personId`. */
export const accountOfPerson = (fake: FakeStripe, personId: bigint | string): AccountObject | undefined =>
  objectsOf<AccountObject>(fake, 'account').find((a) => a.metadata.chipin_person_id === String(personId));

export const payoutOfWithdrawal = (fake: FakeStripe, withdrawalId: bigint | string): PayoutObject | undefined =>
  objectsOf<PayoutObject>(fake, 'payout').find((p) => p.metadata.chipin_withdrawal_id === String(withdrawalId));

export const transfersOfWithdrawal = (fake: FakeStripe, withdrawalId: bigint | string): TransferObject[] =>
  objectsOf<TransferObject>(fake, 'transfer').filter((t) => t.metadata.chipin_withdrawal_id === String(withdrawalId));

/** The bank's answer to a payout: `payout.paid`, or `payout.failed` with a failure code (money back on the account). */
export function settlePayout(
  fake: FakeStripe,
  payoutId: string,
  result: 'paid' | 'failed',
  failureCode = 'account_closed',
): StripeEvent {
  const payout = fake.objects.get(payoutId) as PayoutObject | undefined;
  const account = state(fake).payoutAccount.get(payoutId);
  if (!payout || !account) throw new Error(`no payout ${payoutId}`);
  payout.status = result;
  if (result === 'failed') {
    payout.failure_code = failureCode;
    setBalance(fake, payout.currency, balanceOf(fake, payout.currency, account) + payout.amount, account);
  }
  return fake.event(`payout.${result}`, payout, { account });
}
