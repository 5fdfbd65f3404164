import { actionKind } from '../actions/model.js';
import type { Seen } from '../groups/model.js';
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
  // Shared schedules: the fund is not one of this chat's, a named payer is not an active member of it, the typer
  // is not among the payers, a payer is named twice, or the payee is one of the payers.
  'UnknownFund',
  'NotAFundMember',
  'NotASharer',
  'DuplicateSharer',
  'PayeeIsSharer',
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
      /** The payee's immutable platform id (usernames change hands). */
      toUserId: string | null;
      /** The payee's username and where the bot has seen them, shown on the card for the payer to check. */
      toUsername: string | null;
      seen: Seen;
      /** The next runs if activated now (at most 3), in the payer's time zone. */
      next: Date[];
      timezone: string;
    }
  | {
      /** A shared schedule: waits until every payer tapped their own Accept button. */
      type: 'shared';
      scheduleId: bigint;
      amount: Amount;
      note: string | null;
      spec: ScheduleSpec;
      toName: string;
      toUserId: string | null;
      toUsername: string | null;
      seen: Seen;
      next: Date[];
      timezone: string;
      fund: string;
      shares: ScheduleShareView[];
    }
  | { type: 'rejected'; error: ScheduleCreateError };

/** One payer's part of a shared schedule. */
export interface ScheduleShareView {
  personId: bigint;
  name: string;
  weight: number;
  /** Their part of each run. */
  amount: Amount;
  accepted: boolean;
  /** Their Accept button while they have not accepted (null once they have, or when it expired). */
  actionId: string | null;
}

export const SCHEDULE_STATE_ERRORS = ['ScheduleNotFound', 'NotYourSchedule', 'ScheduleEnded', 'NeverRuns'] as const;
export type ScheduleStateError = (typeof SCHEDULE_STATE_ERRORS)[number];

export type ScheduleActivateOutcome =
  | { type: 'activated'; scheduleId: bigint; amount: Amount; toName: string; next: Date[] }
  | { type: 'rejected'; error: ScheduleStateError };

/** A payer's Accept tap on a shared schedule; `active` once the last one accepted. */
export type ScheduleAcceptOutcome =
  | {
      type: 'accepted';
      scheduleId: bigint;
      amount: Amount;
      toName: string;
      fund: string;
      shares: ScheduleShareView[];
      active: boolean;
      /** The next runs when it became active (else empty). */
      next: Date[];
    }
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
  /** A shared schedule: its fund and its payers (who has not accepted yet is what it waits for); null otherwise. */
  shared?: { fund: string; shares: ScheduleShareView[] } | null;
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
/** one payer of a shared schedule: accept their share (payload: scheduleId) */
export const SCHEDULE_ACCEPT = actionKind<ScheduleAcceptOutcome>()('schedule.accept');
export const SCHEDULE_ACTIONS = [SCHEDULE_ACTIVATE, SCHEDULE_ACCEPT] as const;
