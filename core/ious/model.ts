import { actionKind } from '../actions/model.js';
import type { LiveView } from '../live/model.js';
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
/** One leg of a settle-up, as the card shows it. */
export interface SettleLegView {
  position: number;
  payerName: string;
  payeeName: string;
  amount: Amount;
  /** The notes of the payer's IOUs to the payee it clears, else of all the payer's IOUs it clears ("dinner"). */
  why: string[];
  approved: boolean;
  /** The payer's Approve button (while the settle-up is open and the leg not approved). */
  actionId: string | null;
}

/** `/settle`: the plan and its card, everything cleared at once (the debts netted to nothing), or why not. */
export type SettleOutcome =
  | { type: 'planned'; settlementId: bigint; legs: SettleLegView[]; ious: number }
  | { type: 'cleared'; settlementId: bigint; ious: number }
  | { type: 'rejected'; error: 'NotInGroup' | 'NothingToSettle' };

/** A payer's Approve tap: waiting for the others, all paid at once, someone short (nothing moved), or stale. */
export type SettleApproveOutcome =
  | { type: 'approved'; settlementId: bigint; legs: SettleLegView[] }
  | { type: 'settled'; settlementId: bigint; legs: SettleLegView[]; ious: number }
  | {
      type: 'short';
      settlementId: bigint;
      legs: SettleLegView[];
      short: Array<{ name: string; available: Amount; needed: Amount }>;
    }
  | { type: 'stale'; settlementId: bigint }
  | { type: 'rejected'; error: 'UnknownSettlement' | 'SettlementClosed' };

export const SETTLE_APPROVE = actionKind<SettleApproveOutcome>()('settle.approve');

/** The live card of a borrow ask in its chat (core/live): the command posts it, each funded part edits it. */
export interface BorrowCard {
  ref: string;
  version: bigint;
  view: LiveView;
}

export const BORROW_ERRORS = [
  'NotInGroup',
  'InvalidAmount',
  'DueInPast',
  'UnknownRecipient',
  'RecipientIsBot',
  'InvalidUsername',
  'OwnAsk',
] as const;
export type BorrowError = (typeof BORROW_ERRORS)[number];

/**
 * `/borrow`: the card (with the borrower's record and the Fund buttons) in the chat, or, with named friends, the
 * ask sent to each of them privately (`friends`, no card); or why not (`name`: the friend it is about).
 */
export type BorrowOutcome =
  | {
      type: 'asked';
      askId: bigint;
      amount: Amount;
      dueOn: string;
      note: string | null;
      borrowerName: string;
      record: IouRecord;
      /** Fund the whole rest, fund half of it: group buttons any friend in the chat may press (null: named ask). */
      allActionId: string | null;
      halfActionId: string | null;
      expiresAt: Date;
      /** The chat's card (null: an ask to named friends, who get it in a DM). */
      card: BorrowCard | null;
      /** The named friends asked privately (empty: the chat is asked). */
      friends: string[];
    }
  | { type: 'rejected'; error: BorrowError; name?: string };

export const BORROW_FUND_ERRORS = [
  'AskNotFound',
  'AskClosed',
  'OwnAsk',
  'LenderShort',
  'InvalidAmount',
  'NotAsked',
] as const;
export type BorrowFundError = (typeof BORROW_FUND_ERRORS)[number];

/** A friend funded part of an ask: an open IOU (source 'borrow') at once. */
export type BorrowFundOutcome =
  | {
      type: 'funded';
      askId: bigint;
      iouId: bigint;
      amount: Amount;
      funded: Amount;
      total: Amount;
      full: boolean;
      borrowerName: string;
    }
  | { type: 'rejected'; error: BorrowFundError };

/** "Ask others" at expiry: a new ask for the rest, its card posted in the same chat by a worker. */
export type BorrowReaskOutcome =
  | { type: 'reasked'; askId: bigint; amount: Amount }
  | { type: 'rejected'; error: 'AskNotFound' | 'NotInGroup' | 'AlreadyReasked' | 'NothingLeft' | 'DueInPast' };

export type BorrowNudgeOutcome = { type: 'nudged'; askId: bigint } | Noop;
export type BorrowCloseOutcome = { type: 'closed'; askId: bigint; funded: Amount; total: Amount } | Noop;

/** Any friend in the chat: fund a borrow ask (payload: askId, share 'all' | 'half'). A group action, mode 'once'. */
export const BORROW_FUND = actionKind<BorrowFundOutcome>()('borrow.fund');
/** A named friend, in their DM: lend all or half of the rest of an ask (payload: askId, share 'all' | 'half'). */
export const BORROW_LEND = actionKind<BorrowFundOutcome>()('borrow.lend');
/** The borrower, after expiry: ask the same chat again for what did not come in (payload: askId). */
export const BORROW_REASK = actionKind<BorrowReaskOutcome>()('borrow.reask');

export const IOU_ACTIONS = [
  IOU_CONFIRM,
  IOU_REPAY,
  IOU_EXTEND_ACCEPT,
  IOU_EXTEND_REFUSE,
  SETTLE_APPROVE,
  BORROW_LEND,
  BORROW_REASK,
] as const;
