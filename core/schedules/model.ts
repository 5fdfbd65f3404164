import { actionKind } from '../actions/model.js';
import type { Amount } from '../money/amount.js';
import type { ActorInput, Platform } from '../people/model.js';
import type { Noop } from '../payments/model.js';
import type { ScheduleSpec } from './grammar.js';

/** Who receives the runs: by id (reply-to, mention with an id, Discord option) or the current holder of an @username. */
export type SchedulePayee = { personId: bigint } | { actor: ActorInput } | { username: string; platform: Platform };

export const SCHEDULE_STATES = ['awaiting', 'active', 'finished', 'cancelled'] as const;
export type ScheduleState = (typeof SCHEDULE_STATES)[number];

export const SCHEDULE_CREATE_ERRORS = [
  'SelfSchedule',
  'RecipientIsBot',
  'UnknownRecipient',
  'InvalidUsername',
  'InvalidAmount',
  'BadRule',
  'NeverRuns',
] as const;
export type ScheduleCreateError = (typeof SCHEDULE_CREATE_ERRORS)[number];

export type ScheduleCreateOutcome =
  | {
      type: 'confirm';
      scheduleId: bigint;
      /** The payer's Activate button. */
      actionId: string;
      amount: Amount;
      note: string | null;
      spec: ScheduleSpec;
      toName: string;
      /** The payee's immutable platform id, shown on the card (usernames change hands). */
      toUserId: string | null;
      /** The next runs if activated now (at most 3), in the payer's time zone. */
      next: Date[];
      timezone: string;
    }
  | { type: 'rejected'; error: ScheduleCreateError };

export const SCHEDULE_STATE_ERRORS = ['ScheduleNotFound', 'NotYourSchedule', 'ScheduleEnded', 'NeverRuns'] as const;
export type ScheduleStateError = (typeof SCHEDULE_STATE_ERRORS)[number];

export type ScheduleActivateOutcome =
  | { type: 'activated'; scheduleId: bigint; amount: Amount; toName: string; next: Date[] }
  | { type: 'rejected'; error: ScheduleStateError };

export type ScheduleCancelOutcome =
  | { type: 'cancelled'; scheduleId: bigint; amount: Amount; toName: string }
  | { type: 'rejected'; error: ScheduleStateError };

/** One line of /schedules. */
export interface ScheduleView {
  id: bigint;
  state: ScheduleState;
  amount: Amount;
  note: string | null;
  spec: ScheduleSpec;
  toName: string;
  /** The next run (active schedules only). */
  nextAt: Date | null;
  paidRuns: number;
}

export type ScheduleRunOutcome =
  | { type: 'paid'; scheduleId: bigint; n: number; transferId: bigint }
  /** Too little money: tried again at `retryAt`. */
  | { type: 'short'; scheduleId: bigint; n: number; retryAt: Date }
  /** Still too little money after its tries (or a retry would pass the next run): skipped. */
  | { type: 'skipped'; scheduleId: bigint; n: number }
  | Noop;

export type ScheduleNoticeOutcome = { type: 'noticed'; scheduleId: bigint; n: number } | { type: 'muted' } | Noop;

// The buttons of this domain, with the outcome a press produces.
/** payer: start a recurring transfer shown on its confirm card (payload: scheduleId) */
export const SCHEDULE_ACTIVATE = actionKind<ScheduleActivateOutcome>()('schedule.activate');
export const SCHEDULE_ACTIONS = [SCHEDULE_ACTIVATE] as const;
