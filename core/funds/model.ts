import { actionKind } from '../actions/model.js';
import type { LiveView } from '../live/model.js';
import type { Amount } from '../money/amount.js';
import type { Platform } from '../platform.js';

export interface Fund {
  id: bigint;
  platform: Platform;
  chatId: string;
  name: string;
  currency: string;
  createdBy: bigint;
  target: bigint | null;
  quorumPct: number;
  /** 'matured': a pot whose balance went to its beneficiary; 'closed': closed by its members' vote. */
  state: 'open' | 'closed' | 'matured';
  /** A locked pot: who gets it and when (a pot has a date and a beneficiary or, until they show up, a username). */
  beneficiary: bigint | null;
  /** A pot for someone who had not started the bot: their @username on the fund's platform. */
  beneficiaryUsername: string | null;
  lockedUntil: Date | null;
  createdAt: Date;
}

export interface FundMember {
  personId: bigint;
  displayName: string;
  role: 'creator' | 'contributor' | 'added';
}

/** One movement in or out of a fund, newest first. */
export interface FundMovement {
  at: Date;
  direction: 'in' | 'out';
  amount: Amount;
  /** Who added it, or who was paid. */
  name: string;
  note: string | null;
  /** Out: the members who voted yes on the spend that paid it. */
  approvedBy: string[];
}

export interface FundView {
  fund: Fund;
  balance: Amount;
  members: FundMember[];
  movements: FundMovement[];
  /** Spends still being voted on. */
  openSpends: number;
  /** A pot's beneficiary, by name. */
  beneficiaryName: string | null;
}

export const FUND_ERRORS = [
  'FundExists',
  'UnknownFund',
  'FundClosed',
  'NotInGroup',
  'NotFundCreator',
  'NotAMember',
  'AlreadyMember',
  'InsufficientFunds',
  'CurrencyMismatch',
  'InvalidAmount',
  'UnknownRecipient',
  'RecipientIsBot',
  'KeyConflict',
  'Locked',
  'Unlocked',
  'SharesRecurring',
  'BadQuorum',
] as const;
export type FundError = (typeof FUND_ERRORS)[number];

/**
 * A refusal; `Locked` and `Unlocked` name the pot's date, `SharesRecurring` the shared recurring transfer the member
 * pays a share of.
 */
export type FundRejected = { type: 'rejected'; error: FundError; until?: Date; scheduleId?: bigint };

export type FundCreateOutcome =
  { type: 'created'; fund: Fund; creatorName: string; beneficiaryName: string | null } | FundRejected;

export type FundAddOutcome =
  { type: 'added'; fund: Fund; amount: Amount; balance: Amount; note: string | null } | FundRejected;

export type FundMembersOutcome =
  | { type: 'members'; fund: Fund; members: FundMember[]; changed: 'added' | 'removed' | null; name: string | null }
  | FundRejected;

export type FundSpendOutcome =
  | {
      type: 'vote';
      fund: Fund;
      spendId: bigint;
      /** The group action members vote on: choice 0 = yes, 1 = no. */
      actionId: string;
      amount: Amount;
      payeeName: string;
      reason: string | null;
      members: number;
      needed: number;
      closesAt: Date;
      /** The card the chat sees, kept up to date as votes come in and when it is decided (core/live). */
      card: { ref: string; version: bigint; view: LiveView };
    }
  | FundRejected;

export type FundCloseOutcome =
  | {
      type: 'vote';
      fund: Fund;
      closeId: bigint;
      /** The group action members vote on: choice 0 = yes, 1 = no. */
      actionId: string;
      balance: Amount;
      members: number;
      needed: number;
      closesAt: Date;
      card: { ref: string; version: bigint; view: LiveView };
    }
  | FundRejected;

/** What deciding a close vote did: the balance refunded to its contributors, or nothing. */
export type CloseDecision =
  | { type: 'closed'; closeId: bigint; refunds: Array<{ personId: bigint | null; amount: Amount }> }
  | { type: 'failed'; closeId: bigint; reason: 'vote' | 'gone' }
  | { type: 'noop'; reason: 'Unknown' | 'Decided' | 'NotDue' | 'Open'; dueAt?: Date | null };

/** What a pot's maturity run did: paid its balance to the beneficiary (once), or nothing. */
export type MatureDecision =
  | { type: 'matured'; fundId: bigint; amount: Amount; transferId: bigint | null }
  | { type: 'noop'; reason: 'Unknown' | 'Decided' | 'NotDue' | 'NotAPot' | 'Waiting'; dueAt?: Date | null };

/**
 * The creator confirmed who a pot for an @username is for: the pot is theirs from now on, and paid at once when its
 * date has passed (`paid`).
 */
export type PotBindOutcome =
  | { type: 'bound'; fund: Fund; beneficiaryName: string; paid: Amount | null }
  | { type: 'rejected'; error: 'UnknownFund' | 'FundClosed' | 'AlreadyBound' | 'UsernameMoved' };

/** The creator's button "Yes, it is them" on a pot waiting for an @username. */
export const FUND_POT_BIND = actionKind<PotBindOutcome>()('fund.pot.bind');
export const FUND_ACTIONS = [FUND_POT_BIND] as const;

/** What deciding a spend did (the close job). */
export type SpendDecision =
  | { type: 'paid'; spendId: bigint; transferId: bigint }
  | { type: 'failed'; spendId: bigint; reason: 'vote' | 'funds' }
  | { type: 'noop'; reason: 'Unknown' | 'Decided' | 'NotDue' | 'Open'; dueAt?: Date | null };
