/** `/borrow` in a group: the card (the borrower's record, Lend all / Lend half), a friend's tap, and refusals. */
import {
  formatAmount,
  type BorrowError,
  type BorrowFundError,
  type BorrowFundOutcome,
  type BorrowOutcome,
  type BorrowReaskOutcome,
} from '../../../core/index.js';
import { t, type MessageKey } from '../../i18n/index.js';
import { message, renderNotification, type Reader } from '../render.js';
import type { OutMessage } from '../types.js';

const FUND_ERRORS: Record<BorrowFundError, MessageKey> = {
  AskNotFound: 'borrow.AskNotFound',
  AskClosed: 'borrow.AskClosed',
  OwnAsk: 'borrow.OwnAsk',
  LenderShort: 'borrow.LenderShort',
  InvalidAmount: 'borrow.InvalidAmount',
  NotAsked: 'borrow.NotAsked',
};

const ASK_ERRORS: Record<BorrowError, MessageKey> = {
  NotInGroup: 'borrow.not_in_group',
  InvalidAmount: 'borrow.invalid_amount',
  DueInPast: 'borrow.due_in_past',
  UnknownRecipient: 'borrow.UnknownRecipient',
  RecipientIsBot: 'borrow.RecipientIsBot',
  InvalidUsername: 'borrow.InvalidUsername',
  OwnAsk: 'borrow.ask_self',
};

const REASK_ERRORS: Record<Extract<BorrowReaskOutcome, { type: 'rejected' }>['error'], MessageKey> = {
  AskNotFound: 'borrow.AskNotFound',
  NotInGroup: 'borrow.reask_not_in_group',
  AlreadyReasked: 'borrow.AlreadyReasked',
  NothingLeft: 'borrow.NothingLeft',
  DueInPast: 'borrow.reask_due_in_past',
};

export function renderBorrow(reader: Reader, outcome: BorrowOutcome): OutMessage {
  if (outcome.type === 'rejected') return message(reader, ASK_ERRORS[outcome.error], { name: outcome.name ?? '' });
  // The chat's card: the same rendering as the live worker's edits of it.
  if (outcome.card) return renderNotification(outcome.card.view.locale, outcome.card.view.template, reader);
  return {
    text: t(reader.locale, 'borrow.asked_friends', {
      names: outcome.friends.join(', '),
      amount: formatAmount(outcome.amount),
      due: outcome.dueOn,
      id: outcome.askId.toString(),
    }),
  };
}

export function renderReasked(reader: Reader, outcome: BorrowReaskOutcome): OutMessage {
  if (outcome.type === 'rejected') return message(reader, REASK_ERRORS[outcome.error]);
  return {
    text: t(reader.locale, 'borrow.reasked', { amount: formatAmount(outcome.amount), id: outcome.askId.toString() }),
  };
}

export function renderFunded(reader: Reader, outcome: BorrowFundOutcome): OutMessage {
  if (outcome.type === 'rejected') return message(reader, FUND_ERRORS[outcome.error]);
  const text = t(reader.locale, 'borrow.funded_reply', {
    borrower: outcome.borrowerName,
    amount: formatAmount(outcome.amount),
    id: outcome.iouId.toString(),
    funded: formatAmount(outcome.funded),
    total: formatAmount(outcome.total),
  });
  return {
    text: outcome.full ? `${text}\n${t(reader.locale, 'borrow.full', { borrower: outcome.borrowerName })}` : text,
  };
}
