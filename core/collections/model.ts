import { actionKind } from '../actions/model.js';
import type { LiveView } from '../live/model.js';
import type { Amount } from '../money/amount.js';
import type { Locale } from '../people/model.js';
import type { Someone } from '../people/service.js';
import type { Platform } from '../platform.js';

/** Where a collection is started: only a group chat has people to collect from. */
export interface CollectionChat {
  platform: Platform;
  chatId: string;
  kind: 'private' | 'group';
}

/**
 * How the amount becomes the shares owed:
 * - `each`: every debtor owes `amount`;
 * - `total`: `amount` divided among the debtors (the first named get the units left over, one each);
 * - `bill` (/split): `amount` divided among the collector and the debtors, the collector's share first (so the
 *   collector takes the first unit left over, then the debtors in the order named); the collector's share is not
 *   collected;
 * - `perPerson`: each debtor owes the amount named with them (`amounts[i]` for `debtors[i]`).
 */
export type CollectionSplit =
  | { mode: 'each'; amount: Amount }
  | { mode: 'total'; amount: Amount }
  | { mode: 'bill'; amount: Amount }
  | { mode: 'perPerson'; amounts: Amount[] };

export interface CollectInput {
  /** The delivery's key: creating twice from one delivery is one collection. */
  key: string;
  collector: { id: bigint; displayName: string };
  chat: CollectionChat;
  /** What it is for (required: the card and every reminder say it). */
  reason: string;
  split: CollectionSplit;
  /** The people named, in order; empty: everyone the bot knows in the chat but the collector. */
  debtors: Someone[];
  /** Payments go into this fund of the chat (counted as contributions, as `/fund add`). */
  fund?: string;
  /** The card's language and time zone (default: the collector's settings). */
  reader?: { locale: Locale; timeZone: string };
}

export const COLLECTION_ERRORS = [
  'NotInGroup',
  'NoReason',
  'NoDebtors',
  'DuplicateDebtor',
  'ShareTooSmall',
  'InvalidAmount',
  'CurrencyMismatch',
  'UnknownRecipient',
  'RecipientIsBot',
  'InvalidUsername',
  'UnknownFund',
  'FundClosed',
  'UnknownCollection',
  'NotCollector',
  'NotADebtor',
  'AlreadyPaid',
  'AlreadyExcused',
  'CollectionClosed',
  'InsufficientFunds',
  'RemindedRecently',
  'NothingToRemind',
] as const;
export type CollectionError = (typeof COLLECTION_ERRORS)[number];
export type CollectionRejected = { type: 'rejected'; error: CollectionError };

export interface Collection {
  id: bigint;
  kind: 'collect' | 'split';
  platform: Platform;
  chatId: string;
  collector: bigint;
  reason: string;
  currency: string;
  fund: string | null;
  collectorShare: bigint | null;
  locale: Locale;
  timeZone: string;
  state: 'open' | 'complete' | 'closed';
  payAction: string;
  remindAction: string;
  closeAction: string;
  remindersSent: number;
  createdAt: Date;
}

export interface Debtor {
  personId: bigint;
  name: string;
  amount: Amount;
  state: 'unpaid' | 'paid' | 'excused';
}

/** The card the chat sees, kept up to date as people pay (core/live). */
export interface CollectionCard {
  ref: string;
  version: bigint;
  view: LiveView;
}

export type CollectOutcome =
  | {
      type: 'collecting';
      collection: Collection;
      debtors: Debtor[];
      /** What the debtors owe together. */
      expected: Amount;
      card: CollectionCard;
    }
  | CollectionRejected;

/** A share paid (by a tap on Pay, or on its confirmation), or a confirmation to give first. */
export type CollectPayOutcome =
  | {
      type: 'paid';
      collectionId: bigint;
      amount: Amount;
      /** Who got it: the collector's name, or the fund's. */
      to: string;
      fund: string | null;
      reason: string;
      /** This payment was the last one owed. */
      complete: boolean;
    }
  | {
      type: 'confirm';
      collectionId: bigint;
      /** The payer's single-use Confirm button (`collect.confirm`). */
      actionId: string;
      amount: Amount;
      to: string;
      fund: string | null;
      reason: string;
    }
  | CollectionRejected;

export type CollectRemindOutcome = { type: 'reminded'; collectionId: bigint; count: number } | CollectionRejected;

export type CollectCloseOutcome = { type: 'closed'; collectionId: bigint; collected: Amount } | CollectionRejected;

export type ExcuseOutcome =
  { type: 'excused'; collectionId: bigint; name: string; amount: Amount; complete: boolean } | CollectionRejected;

/** What a 24 h reminder run did. */
export type RemindRun =
  | { type: 'reminded'; collectionId: bigint; count: number; next: Date | null }
  | { type: 'noop'; reason: 'Unknown' | 'Resolved' | 'NotDue'; dueAt?: Date | null };

// The buttons of this domain, with the outcome a press produces.
/** anyone who owes (group button on the card): pay their share */
export const COLLECT_PAY = actionKind<CollectPayOutcome>()('collect.pay');
/** the collector (group button on the card): remind everyone unpaid now */
export const COLLECT_REMIND = actionKind<CollectRemindOutcome>()('collect.remind');
/** the collector (group button on the card): close the collection */
export const COLLECT_CLOSE = actionKind<CollectCloseOutcome>()('collect.close');
/** a payer (single-person, in private): confirm paying a share above their threshold, or pay from a reminder */
export const COLLECT_CONFIRM = actionKind<CollectPayOutcome>()('collect.confirm');
/** Single-person kinds (the group kinds are registered as group actions). */
export const COLLECTION_ACTIONS = [COLLECT_CONFIRM] as const;
