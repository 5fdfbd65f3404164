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
  state: 'open' | 'closed';
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
] as const;
export type FundError = (typeof FUND_ERRORS)[number];

export type FundCreateOutcome =
  { type: 'created'; fund: Fund; creatorName: string } | { type: 'rejected'; error: FundError };

export type FundAddOutcome =
  | { type: 'added'; fund: Fund; amount: Amount; balance: Amount; note: string | null }
  | { type: 'rejected'; error: FundError };

export type FundMembersOutcome =
  | { type: 'members'; fund: Fund; members: FundMember[]; changed: 'added' | 'removed' | null; name: string | null }
  | { type: 'rejected'; error: FundError };

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
  | { type: 'rejected'; error: FundError };

/** What deciding a spend did (the close job). */
export type SpendDecision =
  | { type: 'paid'; spendId: bigint; transferId: bigint }
  | { type: 'failed'; spendId: bigint; reason: 'vote' | 'funds' }
  | { type: 'noop'; reason: 'Unknown' | 'Decided' | 'NotDue'; dueAt?: Date | null };
