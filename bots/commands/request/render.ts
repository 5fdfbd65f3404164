/** Money request outcomes: the request card with Pay / Decline, paid, declined. */
import {
  formatAmount,
  type DeclineOutcome,
  type PayError,
  type PayRequestOutcome,
  type RequestError,
  type RequestOutcome,
  type RequestStateError,
} from '../../../core/index.js';
import { PAY_ERROR_KEYS } from '../pay/render.js';
import { button, date, message, renderError, withNote, type Reader } from '../render.js';
import type { OutMessage } from '../types.js';
import { t, type MessageKey } from '../../i18n/index.js';

// Requests

export const REQUEST_ERROR_KEYS: Record<RequestError, MessageKey> = {
  SelfRequest: 'error.SelfRequest',
  RecipientIsBot: 'error.RecipientIsBot',
  UnknownRecipient: 'error.UnknownRecipient',
  InvalidUsername: 'error.InvalidUsername',
  InvalidAmount: 'error.InvalidAmount',
  DeadlineInPast: 'error.DeadlineInPast',
  DeadlineTooFar: 'error.DeadlineTooFar',
};

export const REQUEST_STATE_ERROR_KEYS: Record<RequestStateError, MessageKey> = {
  RequestNotFound: 'error.RequestNotFound',
  RequestPaid: 'error.RequestPaid',
  RequestDeclined: 'error.RequestDeclined',
  RequestExpired: 'error.RequestExpired',
};

const PAY_REQUEST_ERROR_KEYS: Record<RequestStateError | PayError, MessageKey> = {
  ...REQUEST_STATE_ERROR_KEYS,
  ...PAY_ERROR_KEYS,
};

/** The chat reply to /request: the payer's Pay / Decline buttons are shown there too (only the payer can press). */
export function renderRequestOutcome(reader: Reader, outcome: RequestOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderError(reader, REQUEST_ERROR_KEYS, outcome.error);
  const text = t(reader.locale, 'request.sent', {
    name: outcome.payerName,
    amount: formatAmount(outcome.amount),
    due: date(reader, outcome.dueAt),
  });
  return {
    text: withNote(reader, text, outcome.note),
    buttons: [
      [button(reader, 'button.pay', outcome.payActionId), button(reader, 'button.decline', outcome.declineActionId)],
    ],
  };
}

export function renderPayRequestOutcome(reader: Reader, outcome: PayRequestOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderError(reader, PAY_REQUEST_ERROR_KEYS, outcome.error);
  const text = t(reader.locale, 'request.you_paid', {
    amount: formatAmount(outcome.amount),
    name: outcome.requesterName,
  });
  return { text: withNote(reader, text, outcome.note) };
}

export function renderDeclineOutcome(reader: Reader, outcome: DeclineOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderError(reader, REQUEST_STATE_ERROR_KEYS, outcome.error);
  return message(reader, 'request.you_declined', { amount: formatAmount(outcome.amount), name: outcome.requesterName });
}
