/**
 * The public surface of the core that bots/ and workers/ import: money, the ledger, the outbox, and
 * the domain services of the chat commands (people, actions, payments, requests), plus `createCore`,
 * which builds them in order over one database.
 */
import type { ConsumeError } from './actions/model.js';
import type { Pressed } from './domains.js';
import { actionRegistry } from './actions/registry.js';
import { consumeAction } from './actions/service.js';
import {
  createGroupActions,
  type GroupActionHandler,
  type GroupActions,
  type GroupPressOutcome,
} from './actions/group.js';
import { POLL_HANDLER } from './actions/poll.js';
import type { Db, Tx } from './db/executor.js';
import { createTimedHandlers, type TimedHandler, type TimedKind } from './jobs.js';
import { collectionJobs } from './collections/jobs.js';
import { fundJobs } from './funds/jobs.js';
import { iouJobs } from './ious/jobs.js';
import { paymentJobs } from './payments/jobs.js';
import { peopleJobs } from './people/jobs.js';
import { redPacketJobs } from './redpackets/jobs.js';
import { requestJobs } from './requests/jobs.js';
import { scheduleJobs } from './schedules/jobs.js';
import { createLedger, type Ledger } from './ledger/service.js';
import { silentLog, type Log } from './log.js';
import type { Amount } from './money/amount.js';
import type { MaxAmount } from './money/max.js';
import { maxFor } from './money/max.js';
import type { Identity, Locale, Person, Platform } from './people/model.js';
import { createPeople, type People } from './people/service.js';
import { matchClaims } from './payments/claims.js';
import { createPayments, type Payments } from './payments/service.js';
import { createRequests, type Requests } from './requests/service.js';
import { muteActions } from './reminders/mute.js';
import { createSchedules, type Schedules } from './schedules/service.js';
import { createFunds, type Funds } from './funds/service.js';
import { createCollections, type Collections } from './collections/service.js';
import { createIous, type Ious } from './ious/service.js';
import { createSettleUp, type SettleUp } from './ious/settle-up.js';
import { createBorrow, type Borrow } from './ious/borrow.js';
import { createRedPackets, type RedPackets } from './redpackets/service.js';
import { createCashier, type Cashier } from './cashier/service.js';
import { cashierJobs } from './cashier/jobs.js';
import type { StripeGateway } from './cashier/gateway.js';
import type { WithdrawFee } from './cashier/payouts.js';

export * from './actions/index.js';
export * from './once/index.js';
export { dbNow, withSavepoint } from './db/rows.js';
export { retrying, transact } from './db/retry.js';
export * from './db/wire.js';
export * from './time/index.js';
export * from './groups/index.js';
export type { Db, Executor, Tx } from './db/executor.js';
export * from './jobs.js';
export { DOMAINS, type ButtonLabel, type TemplateKey, type TemplateParams } from './domains.js';
export * from './ledger/index.js';
export type { Log } from './log.js';
export * from './money/index.js';
export * as outbox from './outbox/index.js';
export { cancel, notify, schedule, type NotificationTemplate, type ScheduleInput } from './outbox/index.js';
export * from './payments/index.js';
export * from './people/index.js';
export * from './requests/index.js';
export * from './reminders/index.js';
export * from './schedules/index.js';
export * from './funds/index.js';
export * from './collections/index.js';
export * from './ious/index.js';
export * from './redpackets/index.js';
export * from './cashier/index.js';
export * from './text/clean.js';
export * from './text/han.js';

/** The config values the core needs (config/env.ts `Config` satisfies it). */
export interface CoreConfig {
  readonly defaultCurrency: string;
  readonly defaultLocale: Locale;
  readonly defaultTimezone: string;
  readonly maxAmount: MaxAmount;
  readonly confirmThreshold: Amount;
  readonly demoMoney: boolean;
  readonly holdTtlMs: number;
  readonly requestTtlMs: number;
  readonly undoWindowMs: number;
  /** How long a fund's spending vote stays open (VOTE_TTL; default 48 h). */
  readonly voteTtlMs?: number;
  /** How long after a recurring run short of money it is tried again (default 24 h; tests shorten it). */
  readonly scheduleRetryMs?: number;
  /** How long a borrower has to confirm an IOU (IOU_CONFIRM_TTL; default 48 h). */
  readonly iouConfirmTtlMs?: number;
  /** How long a borrow ask stays open (BORROW_TTL; default 24 h). */
  readonly borrowTtlMs?: number;
  /** How long a red packet can be claimed before its rest goes back (REDPACKET_TTL; default 24 h). */
  readonly redpacketTtlMs?: number;
  /** Most red packet shares one person may claim in a minute (default 10). */
  readonly redpacketClaimsPerMinute?: number;
  /** What a withdrawal costs (WITHDRAW_FEE_FIXED minor units + WITHDRAW_FEE_BPS; default 25 + 25 bps). */
  readonly withdrawFee?: WithdrawFee;
  /** How long a withdrawal Stripe refused with `balance_insufficient` waits before its next try (default 1 h). */
  readonly withdrawRetryMs?: number;
}

/** What pressing a button did: refused (and why), the outcome its kind's handler returned, or a group press. */
export type PressOutcome = { type: 'refused'; error: ConsumeError } | Pressed | GroupPressOutcome;

export interface PressInput {
  /** The untrusted id the button carried. */
  actionId: string;
  /** The person pressing (touched first). */
  person: Person;
  platform: Platform;
  chatId: string;
  messageId?: string;
  /** The platform's order of the delivery (group votes keep the choice of the latest one). */
  order?: bigint;
}

export interface Core {
  db: Db;
  ledger: Ledger;
  people: People;
  payments: Payments;
  requests: Requests;
  schedules: Schedules;
  funds: Funds;
  collections: Collections;
  ious: Ious;
  /** `/settle`: the plan of a group's IOUs, approved leg by leg and run as one unit. */
  settleUp: SettleUp;
  /** `/borrow`: asks friends fund in parts, each part an open IOU. */
  borrow: Borrow;
  redpackets: RedPackets;
  /** Money in and out by card: /deposit, and the Stripe webhook's events. */
  cashier: Cashier;
  /** Handlers of the timed outbox kinds, for the workers. */
  timed: Record<TimedKind, TimedHandler>;
  /** A button press: consumes the action atomically (only its person, once, before expiry) and runs it. */
  press(tx: Tx, input: PressInput): Promise<PressOutcome>;
  /** The group action kinds the features registered (buttons many people may press). */
  groupActions: GroupActions;
}

export function createCore(deps: {
  db: Db;
  config: CoreConfig;
  log?: Log;
  ledger?: Ledger;
  groupActions?: readonly GroupActionHandler[];
  /** Stripe, when configured (bots/stripe/client.ts), and where Checkout sends payers back. */
  stripe?: { gateway: StripeGateway | undefined; returnUrl: string };
}): Core {
  const { db, config } = deps;
  const log = deps.log ?? silentLog;
  const ledger = deps.ledger ?? createLedger({ db, log });
  // Money waiting for an @username: held payments (claims) and pots. `funds` is built below; the matcher runs only
  // when someone touches, long after.
  const matchHeld = async (tx: Tx, claimant: Person, identity: Identity): Promise<bigint[]> => {
    await funds.matchPots(tx, claimant, identity);
    return matchClaims(tx, claimant, identity);
  };
  const people = createPeople({
    db,
    matchHeld,
    defaults: {
      locale: config.defaultLocale,
      timezone: config.defaultTimezone,
      confirmThreshold: config.confirmThreshold,
    },
    maxThresholdMinor: maxFor(config.maxAmount, config.defaultCurrency),
    ledger,
    log,
  });
  const payments = createPayments({
    ledger,
    people,
    config: {
      defaultCurrency: config.defaultCurrency,
      confirmThreshold: config.confirmThreshold,
      holdTtlMs: config.holdTtlMs,
      undoWindowMs: config.undoWindowMs,
      demoMoney: config.demoMoney,
    },
    log,
  });
  const requests = createRequests({ people, payments, config: { requestTtlMs: config.requestTtlMs }, log });
  const funds = createFunds({ ledger, people, config: { voteTtlMs: config.voteTtlMs ?? 48 * 3_600_000 }, log });
  const schedules = createSchedules({
    people,
    payments,
    ledger,
    funds,
    config: config.scheduleRetryMs !== undefined ? { retryDelayMs: config.scheduleRetryMs } : {},
    log,
  });
  const collections = createCollections({ people, payments, funds, log });
  const ious = createIous({ ledger, people, config: { confirmTtlMs: config.iouConfirmTtlMs ?? 48 * 3_600_000 }, log });
  const settleUp = createSettleUp({ ious, ledger, people, log });
  const borrow = createBorrow({ ious, ledger, people, config: { ttlMs: config.borrowTtlMs ?? 24 * 3_600_000 }, log });
  const redpackets = createRedPackets({
    ledger,
    people,
    config: {
      ttlMs: config.redpacketTtlMs ?? 24 * 3_600_000,
      ...(config.redpacketClaimsPerMinute !== undefined ? { claimsPerMinute: config.redpacketClaimsPerMinute } : {}),
    },
    log,
  });
  const cashier = createCashier({
    ledger,
    gateway: deps.stripe?.gateway,
    returnUrl: deps.stripe?.returnUrl ?? 'http://localhost/stripe/return',
    log,
    db,
    ...(config.withdrawFee ? { withdrawFee: config.withdrawFee } : {}),
    ...(config.withdrawRetryMs !== undefined ? { withdrawRetryMs: config.withdrawRetryMs } : {}),
  });
  const timed = createTimedHandlers(
    paymentJobs(payments, log),
    requestJobs(requests, log),
    scheduleJobs(schedules, log),
    fundJobs(funds, log),
    iouJobs(ious, borrow, log),
    peopleJobs(people, log),
    collectionJobs(collections, log),
    redPacketJobs(redpackets, log),
    cashierJobs(cashier, log),
  );
  const groupActions = createGroupActions([
    POLL_HANDLER,
    ...funds.groupActions,
    ...collections.groupActions,
    ...redpackets.groupActions,
    ...borrow.groupActions,
    ...(deps.groupActions ?? []),
  ]);

  const presses = actionRegistry([
    ...payments.actions,
    ...requests.actions,
    ...schedules.actions,
    ...funds.actions,
    ...ious.actions,
    ...settleUp.actions,
    ...borrow.actions,
    ...muteActions,
    ...collections.actions,
    ...cashier.payouts.actions,
  ]);

  return {
    db,
    ledger,
    people,
    payments,
    requests,
    schedules,
    funds,
    collections,
    ious,
    settleUp,
    borrow,
    redpackets,
    cashier,
    timed,
    groupActions,
    async press(tx, input) {
      const consumed = await consumeAction(tx, {
        id: input.actionId,
        personId: input.person.id,
        platform: input.platform,
        chatId: input.chatId,
        ...(input.messageId !== undefined ? { messageId: input.messageId } : {}),
      });

      const group =
        !consumed.ok && consumed.error === 'Unknown'
          ? await groupActions.press(tx, { ...input, personId: input.person.id })
          : undefined;
      if (group) return group;
      if (!consumed.ok) return { type: 'refused', error: consumed.error };
      const { action } = consumed;
      const handler = presses.get(action.kind);
      if (!handler) throw new Error(`no handler for action kind ${action.kind}`);
      // The handler was registered for this kind with this kind's outcome type (actionRegistry, `handles`).
      return { type: 'done', kind: action.kind, outcome: await handler.run(tx, action) } as PressOutcome;
    },
  };
}
