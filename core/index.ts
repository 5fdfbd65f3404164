/**
 * The public surface of the core that bots/ and workers/ import: money, the ledger, the outbox, and
 * the domain services of the chat commands (people, actions, payments, requests), plus `createCore`,
 * which builds them in order over one database.
 */
import type { Action, ActionKind, ConsumeError } from './actions/model.js';
import { consumeAction } from './actions/service.js';
import {
  createGroupActions,
  type GroupActionHandler,
  type GroupActions,
  type GroupPressOutcome,
} from './actions/group.js'; // groups
import { POLL_HANDLER } from './actions/poll.js'; // polls
import type { Db, Tx } from './db/executor.js';
import { createTimedHandlers, type TimedHandler, type TimedKind } from './jobs.js';
import { createLedger, type Ledger } from './ledger/service.js';
import { silentLog, type Log } from './log.js';
import type { Amount } from './money/amount.js';
import type { MaxAmount } from './money/max.js';
import { maxFor } from './money/max.js';
import type { Locale, Person, Platform } from './people/model.js';
import { createPeople, type People } from './people/service.js';
import type { ClaimOutcome, PayOutcome, UndoOutcome } from './payments/model.js';
import { createPayments, type Payments } from './payments/service.js';
import type { DeclineOutcome, PayRequestOutcome, ReaskOutcome } from './requests/model.js';
import { createRequests, type Requests } from './requests/service.js';
import { pressMute, type MuteOutcome } from './reminders/mute.js';
import type { ScheduleActivateOutcome } from './schedules/model.js';
import { createSchedules, type Schedules } from './schedules/service.js';

export * from './actions/index.js';
export * from './commands/index.js';
export * from './groups/index.js'; // groups
export type { Db, Executor, Tx } from './db/executor.js';
export * from './jobs.js';
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
  /** How long after a recurring run short of money it is tried again (default 24 h; tests shorten it). */
  readonly scheduleRetryMs?: number;
}

/** What pressing a button did: refused (and why), or the outcome of the action's kind. */
export type PressOutcome =
  | { type: 'refused'; error: ConsumeError }
  | { type: 'done'; kind: 'pay.confirm'; outcome: PayOutcome }
  | { type: 'done'; kind: 'pay.undo'; outcome: UndoOutcome }
  | { type: 'done'; kind: 'claim.release' | 'claim.return'; outcome: ClaimOutcome }
  | { type: 'done'; kind: 'request.pay'; outcome: PayRequestOutcome }
  | { type: 'done'; kind: 'request.decline'; outcome: DeclineOutcome }
  | { type: 'done'; kind: 'request.reask'; outcome: ReaskOutcome }
  | { type: 'done'; kind: 'schedule.activate'; outcome: ScheduleActivateOutcome }
  | { type: 'done'; kind: 'reminder.mute'; outcome: MuteOutcome }
  | GroupPressOutcome; // groups: a button many people may press

export interface PressInput {
  /** The untrusted id the button carried. */
  actionId: string;
  /** The person pressing (touched first). */
  person: Person;
  platform: Platform;
  chatId: string;
  messageId?: string;
}

export interface Core {
  db: Db;
  ledger: Ledger;
  people: People;
  payments: Payments;
  requests: Requests;
  schedules: Schedules;
  /** Handlers of the timed outbox kinds, for the workers. */
  timed: Record<TimedKind, TimedHandler>;
  /** A button press: consumes the action atomically (only its person, once, before expiry) and runs it. */
  press(tx: Tx, input: PressInput): Promise<PressOutcome>;
  /** groups: the group action kinds the features registered (buttons many people may press). */
  groupActions: GroupActions;
}

export function createCore(deps: {
  db: Db;
  config: CoreConfig;
  log?: Log;
  ledger?: Ledger;
  groupActions?: readonly GroupActionHandler[]; // groups
}): Core {
  const { db, config } = deps;
  const log = deps.log ?? silentLog;
  const ledger = deps.ledger ?? createLedger({ db, log });
  const people = createPeople({
    db,
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
  const schedules = createSchedules({
    people,
    payments,
    config: config.scheduleRetryMs !== undefined ? { retryDelayMs: config.scheduleRetryMs } : {},
    log,
  });
  const timed = createTimedHandlers({ people, payments, requests, schedules, log });
  const groupActions = createGroupActions([POLL_HANDLER, ...(deps.groupActions ?? [])]); // groups (+ polls)

  async function run(tx: Tx, action: Action): Promise<PressOutcome> {
    const kind = action.kind as ActionKind;
    switch (kind) {
      case 'pay.confirm':
        return { type: 'done', kind, outcome: await payments.confirmPay(tx, action) };
      case 'pay.undo':
        return { type: 'done', kind, outcome: await payments.undoPay(tx, action) };
      case 'claim.release':
        return { type: 'done', kind, outcome: await payments.releaseClaim(tx, action) };
      case 'claim.return':
        return { type: 'done', kind, outcome: await payments.returnClaim(tx, action) };
      case 'request.pay':
        return { type: 'done', kind, outcome: await requests.payRequest(tx, action) };
      case 'request.decline':
        return { type: 'done', kind, outcome: await requests.declineRequest(tx, action) };
      case 'request.reask':
        return { type: 'done', kind, outcome: await requests.reaskRequest(tx, action) };
      case 'schedule.activate':
        return { type: 'done', kind, outcome: await schedules.activate(tx, action) };
      case 'reminder.mute':
        return { type: 'done', kind, outcome: await pressMute(tx, action) };
      default: {
        const unknown: never = kind;
        throw new Error(`no handler for action kind ${String(unknown)}`);
      }
    }
  }

  return {
    db,
    ledger,
    people,
    payments,
    requests,
    schedules,
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
      // groups: an id no single-person action has may be a group action's button.
      const group =
        !consumed.ok && consumed.error === 'Unknown'
          ? await groupActions.press(tx, { ...input, personId: input.person.id })
          : undefined;
      if (group) return group;
      if (!consumed.ok) return { type: 'refused', error: consumed.error };
      return run(tx, consumed.action);
    },
  };
}
