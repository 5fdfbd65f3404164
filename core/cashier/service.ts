/**
 * Money in and out through Stripe (core/stripe): deposits by card today; every Stripe event arrives through the
 * webhook (bots/stripe/webhook.ts), is stored with its job (`receive`) and processed once by the settlement
 * worker (`process`), through the handlers of its type.
 */
import type { Executor, Tx } from '../db/executor.js';
import type { Ledger } from '../ledger/service.js';
import { silentLog, type Log } from '../log.js';
import type { Amount } from '../money/amount.js';
import type { Person } from '../people/model.js';
import { createDeposits, type Deposits } from './deposits.js';
import { processEvent, receiveEvent, type EventHandlers } from './events.js';
import type { StripeEvent, StripeGateway } from './gateway.js';
import type { DepositOutcome, EventOutcome } from './model.js';
import { createAccounts, type Accounts, type ConnectOutcome } from './accounts.js';
import { createPayouts, type Payouts, type WithdrawFee, type WithdrawOutcome } from './payouts.js';

export interface CashierDeps {
  ledger: Pick<Ledger, 'apply'>;
  /** Absent when Stripe is not configured: /deposit and its friends say they are not available. */
  gateway?: StripeGateway | undefined;
  /** Where Checkout sends the payer back. */
  returnUrl: string;
  log?: Log;
  /** What a withdrawal costs (default DEFAULT_WITHDRAW_FEE). */
  withdrawFee?: WithdrawFee;
  /** How long a withdrawal refused with `balance_insufficient` waits before its next try (default 1 h). */
  withdrawRetryMs?: number;
}

export interface Cashier {
  /** Whether Stripe is configured here. */
  readonly available: boolean;
  /** The port, for the webhook route (signature checks). */
  readonly gateway: StripeGateway | undefined;
  /** `/deposit`: a Checkout Session for `amount` (its URL), once per command key. */
  deposit(tx: Tx, input: { key: string; person: Person; amount: Amount }): Promise<DepositOutcome>;
  /** A verified webhook event: stored with its job, once per event id. */
  receive(exec: Executor, event: StripeEvent): Promise<{ stored: boolean }>;
  /** The settlement job of a stored event. */
  process(exec: Executor, eventId: string): Promise<EventOutcome>;
  readonly deposits: Deposits;
  /** `/connect`: the person's connected account (created once) and a fresh onboarding link. */
  connect(tx: Tx, input: { person: Person }): Promise<ConnectOutcome>;
  /** `/withdraw amount`: the confirm card (amount, fee, total) or why not. */
  withdraw(tx: Tx, input: { key: string; person: Person; amount: Amount }): Promise<WithdrawOutcome>;
  readonly accounts: Accounts;
  readonly payouts: Payouts;
}

export function createCashier(deps: CashierDeps): Cashier {
  const log = deps.log ?? silentLog;
  const deposits = createDeposits({ ledger: deps.ledger, gateway: deps.gateway, returnUrl: deps.returnUrl, log });
  const accounts = createAccounts({ gateway: deps.gateway, returnUrl: deps.returnUrl, log });
  const payouts = createPayouts({
    ledger: deps.ledger,
    gateway: deps.gateway,
    log,
    ...(deps.withdrawFee ? { fee: deps.withdrawFee } : {}),
    ...(deps.withdrawRetryMs !== undefined ? { retryLaterMs: deps.withdrawRetryMs } : {}),
  });
  const handlers: EventHandlers = { ...deposits.events, ...accounts.events, ...payouts.events };
  return {
    available: deps.gateway !== undefined,
    gateway: deps.gateway,
    deposit: deposits.start,
    receive: receiveEvent,
    process: (exec, eventId) => processEvent(exec, handlers, eventId),
    deposits,
    connect: accounts.connect,
    withdraw: payouts.withdraw,
    accounts,
    payouts,
  };
}
