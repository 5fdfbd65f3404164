import { actionKind } from '../actions/model.js';
import type { Amount } from '../money/amount.js';
import type { Noop } from '../payments/model.js';
import type { Someone } from '../people/service.js';

/** A calendar day (a due date), read in someone's time zone. */
export interface Day {
  year: number;
  month: number;
  day: number;
}

/** `2026-12-31`. */
export const dayText = (d: Day): string =>
  `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;

export const IOU_ERRORS = [
  'SelfIou',
  'RecipientIsBot',
  'UnknownRecipient',
  'InvalidUsername',
  'InvalidAmount',
  'DueInPast',
] as const;
export type IouError = (typeof IOU_ERRORS)[number];

/** Why something about an existing IOU was refused. */
export const IOU_STATE_ERRORS = [
  'IouNotFound',
  'IouNotOpen',
  'IouNotYours',
  'IouConfirmExpired',
  'LenderShort',
  'ForgiveTooMuch',
  'ExtendNotLater',
  'ExtendPending',
  'NudgedToday',
] as const;
export type IouStateError = (typeof IOU_STATE_ERRORS)[number];

export const REPAY_ERRORS = [
  'UnknownRecipient',
  'RecipientIsBot',
  'InvalidUsername',
  'InvalidAmount',
  'NothingOwed',
  'Overpayment',
  'InsufficientFunds',
  'KeyConflict',
] as const;
export type RepayError = (typeof REPAY_ERRORS)[number];

/** 'lend': the money moves through chipin when the borrower confirms; 'record': it changed hands outside. */
export type IouMode = 'lend' | 'record';
export type IouState = 'offered' | 'open' | 'repaid' | 'forgiven' | 'void';
/** How a closed IOU ended, for the borrower's record. */
export type IouResult = 'on_time' | 'late' | 'forgiven';

export interface Iou {
  id: bigint;
  lender: bigint;
  borrower: bigint;
  amount: Amount;
  /** What is still owed: amount − repaid − forgiven. */
  outstanding: Amount;
  repaid: Amount;
  forgiven: Amount;
  note: string | null;
  mode: IouMode;
  state: IouState;
  /** The due day (`2026-12-31`) in the lender's time zone. */
  dueOn: string;
  /** Reminders are anchored here (09:00 on the due day). */
  dueAt: Date;
  /** Late from here (the start of the next day). */
  lateAfter: Date;
  result: IouResult | null;
  createdAt: Date;
  /** By the database clock. */
  overdue: boolean;
}

export interface IouInput {
  key: string;
  lender: { id: bigint; displayName: string };
  borrower: Someone;
  amount: Amount;
  note?: string | null;
  /** The due day and the time zone it was read in. */
  due: Day;
  timeZone: string;
  /** Record money that changed hands outside chipin: nothing moves on confirmation. */
  record?: boolean;
  chat: { platform: 'telegram' | 'discord' | 'sandbox'; chatId: string };
}

export type IouOutcome =
  | {
      type: 'offered';
      iouId: bigint;
      /** Bound to the borrower (shown in the chat too; only they can press). */
      confirmActionId: string;
      amount: Amount;
      note: string | null;
      dueOn: string;
      mode: IouMode;
      borrowerPersonId: bigint;
      borrowerName: string;
    }
  | { type: 'rejected'; error: IouError };

export type ConfirmOutcome =
  | {
      type: 'confirmed';
      iouId: bigint;
      amount: Amount;
      note: string | null;
      dueOn: string;
      mode: IouMode;
      lenderName: string;
    }
  | { type: 'rejected'; error: IouStateError };

export interface Applied {
  iouId: bigint;
  amount: Amount;
  /** This repayment closed it. */
  closed: boolean;
}

export type RepayOutcome =
  | {
      type: 'repaid';
      transferId: bigint;
      amount: Amount;
      lenderName: string;
      applied: Applied[];
      /** Still owed to this lender in this currency after the repayment. */
      outstanding: Amount;
    }
  | { type: 'rejected'; error: Exclude<RepayError, 'Overpayment'> }
  | { type: 'rejected'; error: 'Overpayment'; owed: Amount; lenderName: string };

export type ForgiveOutcome =
  | { type: 'forgiven'; iouId: bigint; amount: Amount; outstanding: Amount; closed: boolean; borrowerName: string }
  | { type: 'rejected'; error: IouStateError };

export type ExtendOutcome =
  | { type: 'extend_asked'; iouId: bigint; dueOn: string; lenderName: string }
  | { type: 'rejected'; error: IouStateError | 'DueInPast' };

export type ExtendAnswerOutcome =
  | { type: 'extended' | 'extend_refused'; iouId: bigint; dueOn: string; borrowerName: string }
  | { type: 'rejected'; error: IouStateError };

export type IouNudgeOutcome =
  { type: 'nudged'; iouId: bigint; borrowerName: string } | { type: 'rejected'; error: IouStateError; next?: Date };

/** One person's IOUs with someone, per currency, as `/ious` shows them. */
export interface IouGroup {
  direction: 'owe' | 'owed';
  personId: bigint;
  name: string;
  total: Amount;
  overdue: Amount;
  ious: Array<{ id: bigint; outstanding: Amount; dueOn: string; overdue: boolean; nudgedAt: Date | null }>;
}

export interface IouEvent {
  kind: string;
  actorName: string | null;
  amount: Amount | null;
  dueOn: string | null;
  at: Date;
}

export interface IouView {
  iou: Iou;
  lenderName: string;
  borrowerName: string;
  events: IouEvent[];
}

/** A borrower's record (borrow asks show it to lenders). */
export interface IouRecord {
  onTime: number;
  late: number;
  forgiven: number;
  open: number;
}

export type RemindOutcome =
  { type: 'reminded'; iouId: bigint; next: Date | null } | { type: 'skipped'; reason: 'Muted' } | Noop;
export type VoidOutcome = { type: 'voided'; iouId: bigint } | Noop;

// The buttons of this domain, with the outcome a press produces.
/** borrower: confirm an IOU offered to them (payload: iouId) */
export const IOU_CONFIRM = actionKind<ConfirmOutcome>()('iou.confirm');
/** borrower, on a reminder: repay this much to the IOU's lender (payload: iouId, minor) */
export const IOU_REPAY = actionKind<RepayOutcome | { type: 'rejected'; error: 'IouNotFound' }>()('iou.repay');
/** lender: accept a new due date the borrower asked for (payload: extensionId) */
export const IOU_EXTEND_ACCEPT = actionKind<ExtendAnswerOutcome>()('iou.extend.accept');
/** lender: refuse it (payload: extensionId) */
export const IOU_EXTEND_REFUSE = actionKind<ExtendAnswerOutcome>()('iou.extend.refuse');
export const IOU_ACTIONS = [IOU_CONFIRM, IOU_REPAY, IOU_EXTEND_ACCEPT, IOU_EXTEND_REFUSE] as const;
