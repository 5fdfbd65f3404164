import { actionKind } from '../actions/model.js';
import type { Seen } from '../groups/model.js';
import type { Amount } from '../money/amount.js';
import type { ActorInput, Person, Platform } from '../people/model.js';

/** Where a command was typed: its buttons are bound to this chat. */
export interface ChatScope {
  platform: Platform;
  chatId: string;
}

/**
 * Who gets the money: a person already resolved by id (or already touched by the delivery, before its transaction), a
 * platform user the transport knows by id (reply-to, text mention, Discord USER option: touched, then paid at once), or a bare @username
 * (resolved to whoever holds it now: paid at once under the threshold when they are present in the chat and the name
 * still belongs to whom the payer paid under it before, else behind a confirm card saying who and where they were
 * seen; when nobody holds it, the money waits in a claim escrow).
 */
export type PayRecipient =
  { personId: bigint } | { person: Person } | { actor: ActorInput } | { username: string; platform: Platform };

export const PAY_ERRORS = [
  'SelfPayment',
  'RecipientIsBot',
  'UnknownRecipient',
  'InvalidUsername',
  'InvalidAmount',
  'InsufficientFunds',
  'CurrencyMismatch',
  /** The idempotency key was already used for a different payment. */
  'KeyConflict',
] as const;
export type PayError = (typeof PAY_ERRORS)[number];

/**
 * Why a confirm card is shown: the amount is above the payer's threshold; the recipient was named by @username only
 * and is not present in this chat, or the name changed hands since the payer last used it (the card shows their name,
 * @username and where they were seen); or the amount is in another currency than the threshold's, which cannot be
 * compared.
 */
export const CONFIRM_REASONS = ['threshold', 'username', 'currency'] as const;
export type ConfirmReason = (typeof CONFIRM_REASONS)[number];

export type PayOutcome =
  | {
      type: 'paid';
      transferId: bigint;
      amount: Amount;
      toPersonId: bigint;
      toName: string;
      note: string | null;
      /** null for payments that cannot be undone (paying a request). */
      undoActionId: string | null;
      undoUntil: Date | null;
    }
  | {
      type: 'confirm';
      actionId: string;
      expiresAt: Date;
      reason: ConfirmReason;
      amount: Amount;
      toName: string;
      /** null when the money would go to a claim escrow for `toUsername`. */
      toPersonId: bigint | null;
      /** The recipient's immutable platform id (null for an escrow). */
      toUserId: string | null;
      toUsername: string | null;
      /** Where the bot has seen the recipient, shown on the card (null for an escrow). */
      seen: Seen | null;
      /** `toUsername` now belongs to someone else than the person the payer last paid under it. */
      changedHands: boolean;
      note: string | null;
    }
  | {
      type: 'escrowed';
      claimId: bigint;
      amount: Amount;
      username: string;
      platform: Platform;
      expiresAt: Date;
      /** The sender's "take it back now" button. */
      returnActionId: string;
      note: string | null;
    }
  | {
      type: 'rejected';
      error: PayError;
      /** InsufficientFunds: what the payer has available in the payment's currency, said with the refusal. */
      available?: Amount;
    };

export const UNDO_ERRORS = ['UndoTooLate', 'AlreadyUndone'] as const;
export type UndoError = (typeof UNDO_ERRORS)[number];

export type UndoOutcome =
  | {
      type: 'undone';
      transferId: bigint;
      originalTransferId: bigint;
      amount: Amount;
      toPersonId: bigint;
      toName: string;
    }
  | { type: 'rejected'; error: UndoError };

export const CLAIM_ERRORS = ['ClaimNotFound', 'ClaimNotMatched', 'ClaimResolved', 'ClaimExpired'] as const;
export type ClaimError = (typeof CLAIM_ERRORS)[number];

export type ClaimOutcome =
  | {
      type: 'released';
      claimId: bigint;
      amount: Amount;
      username: string;
      claimantPersonId: bigint;
      claimantName: string;
    }
  | { type: 'returned'; claimId: bigint; amount: Amount; username: string; reason: 'expired' | 'cancelled' }
  | { type: 'rejected'; error: ClaimError };

/** What a timed run found: nothing to do (already resolved, or not due yet by the database clock). */
export type Noop = { type: 'noop'; reason: 'Resolved' | 'NotDue' | 'Unknown'; dueAt: Date | null };

export const FAUCET_ERRORS = ['FaucetDisabled', 'InvalidAmount', 'KeyConflict'] as const;
export type FaucetError = (typeof FAUCET_ERRORS)[number];

export type FaucetOutcome =
  { type: 'funded'; transferId: bigint; amount: Amount; available: Amount } | { type: 'rejected'; error: FaucetError };

/** One line of /balance: available first, then pending in and pending out. */
export interface BalanceLine {
  currency: string;
  available: Amount;
  pendingIn: Amount;
  pendingOut: Amount;
  /** available + pendingOut: what the wallet holds including money on hold. */
  posted: Amount;
}

export type Party =
  | { type: 'person'; personId: bigint; name: string }
  | { type: 'claim'; claimId: bigint; username: string; claimed: boolean }
  | { type: 'system'; name: string };

/**
 * completed: the money moved; pending: a hold not yet resolved (money for an unseen @username);
 * returned: a hold that came back; undone: a payment reversed afterwards (the reversal is its own entry).
 */
export type EntryState = 'completed' | 'pending' | 'returned' | 'undone';

export interface HistoryEntry {
  transferId: bigint;
  at: Date;
  direction: 'in' | 'out';
  amount: Amount;
  /** Display name, "@name (unclaimed)" / "@name", or "faucet". */
  counterpart: string;
  party: Party;
  note: string | null;
  /** pay, pay.undo, claim.hold, claim.release, faucet… */
  kind: string;
  /** Set on a reversal (an Undo, a returned withdrawal…): the transfer it gives back, itself listed as undone. */
  reverses: bigint | null;
  state: EntryState;
}

export interface HistoryPage {
  entries: HistoryEntry[];
  /** Pass back for the next (older) page; null on the last page. */
  next: string | null;
}

// The buttons of this domain, with the outcome a press produces.
/** payer: make the payment shown on the confirm card (payload: the whole pay) */
export const PAY_CONFIRM = actionKind<PayOutcome>()('pay.confirm');
/** payer: reverse a payment within UNDO_WINDOW (payload: transferId) */
export const PAY_UNDO = actionKind<UndoOutcome>()('pay.undo');
/** sender: pay money held for an @username to the person who now holds it (payload: claimId) */
export const CLAIM_RELEASE = actionKind<ClaimOutcome>()('claim.release');
/** sender: take money held for an @username back now (payload: claimId) */
export const CLAIM_RETURN = actionKind<ClaimOutcome>()('claim.return');
export const PAYMENT_ACTIONS = [PAY_CONFIRM, PAY_UNDO, CLAIM_RELEASE, CLAIM_RETURN] as const;
