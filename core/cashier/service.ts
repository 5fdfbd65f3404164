/**
 * Money in and out through Stripe (core/cashier): deposits by card, refunds and disputes of them, payouts to a
 * connected account, reconciliation; every Stripe event arrives through the
 * webhook (bots/stripe/webhook.ts), is stored with its job (`receive`) and processed once by the settlement
 * worker (`process`), through the handlers of its type.
 */
import type { Db, Executor, Tx } from '../db/executor.js';
import type { Ledger } from '../ledger/service.js';
import { schedule } from '../outbox/service.js';
import { silentLog, type Log } from '../log.js';
import type { Amount } from '../money/amount.js';
import type { Person } from '../people/model.js';
import { createDeposits, type Deposits, type DepositsDeps } from './deposits.js';
import { createRefunds } from './refunds.js';
import { createReconciler, type Reconciler } from './reconcile.js';
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
  /** The database reconciliation runs on (its own transactions, around calls to Stripe). */
  db?: Db;
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
  /** The payer came back from Checkout for deposit `depositId`: a job checks it with Stripe (once per deposit). */
  returned(exec: Executor, depositId: bigint): Promise<boolean>;
  /** The settlement job of a stored event. */
  process(exec: Executor, eventId: string): Promise<EventOutcome>;
  readonly deposits: Deposits;
  /** Stripe against the ledger (the daily `stripe.reconcile` job, `chipin reconcile`). */
  readonly reconciler: Reconciler;
  /** `/connect`: the person's connected account (created once) and a fresh onboarding link. */
  connect(tx: Tx, input: { person: Person }): Promise<ConnectOutcome>;
  /** `/withdraw amount`: the confirm card (amount, fee, total) or why not. */
  withdraw(tx: Tx, input: { key: string; person: Person; amount: Amount }): Promise<WithdrawOutcome>;
  readonly accounts: Accounts;
  readonly payouts: Payouts;
}

export function createCashier(deps: CashierDeps): Cashier {
  const log = deps.log ?? silentLog;
  // The deposit credit calls `cover` of refunds, built after it: a late-bound hook.
  const onCredited: DepositsDeps['onCredited'] = (tx, credited) => refunds.cover(tx, credited);
  const deposits = createDeposits({
    ledger: deps.ledger,
    gateway: deps.gateway,
    returnUrl: deps.returnUrl,
    log,
    onCredited,
  });
  const refunds = createRefunds({ ledger: deps.ledger, gateway: deps.gateway, deposits, log });
  const accounts = createAccounts({ gateway: deps.gateway, returnUrl: deps.returnUrl, log });
  const payouts = createPayouts({
    ledger: deps.ledger,
    gateway: deps.gateway,
    log,
    ...(deps.withdrawFee ? { fee: deps.withdrawFee } : {}),
    ...(deps.withdrawRetryMs !== undefined ? { retryLaterMs: deps.withdrawRetryMs } : {}),
  });
  const handlers: EventHandlers = { ...deposits.events, ...refunds.events, ...accounts.events, ...payouts.events };
  const reconciler = createReconciler({
    db: deps.db,
    gateway: deps.gateway,
    handles: (type) => handlers[type] !== undefined,
    receive: receiveEvent,
    process: (exec, eventId) => processEvent(exec, handlers, eventId),
    resolveStale: (db) => payouts.resolveStale(db),
    log,
  });
  return {
    available: deps.gateway !== undefined,
    gateway: deps.gateway,
    deposit: deposits.start,
    receive: receiveEvent,
    async returned(exec, depositId) {
      // Only for a deposit waiting for its money (the return URL is public: no job for made-up ids).
      const open = await exec.query(`SELECT 1 FROM deposits WHERE id = $1 AND state = 'open'`, [depositId]);
      if (open.rowCount === 0) return false;
      return schedule(exec, {
        key: `stripe.deposit:${depositId}`,
        kind: 'stripe.deposit',
        payload: { depositId: String(depositId) },
        dueAt: new Date(),
      });
    },
    process: (exec, eventId) => processEvent(exec, handlers, eventId),
    deposits,
    reconciler,
    connect: accounts.connect,
    withdraw: payouts.withdraw,
    accounts,
    payouts,
  };
}
