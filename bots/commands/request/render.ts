/** Money request outcomes: the request card with Pay / Decline, paid, declined. */
import {
  formatAmount,
  ttlHours,
  type DeclineOutcome,
  type PayRequestOutcome,
  type RequestOutcome,
} from '../../../core/index.js';
import { button, date, message, withNote, type Reader, renderCode } from '../render.js';
import type { OutMessage } from '../types.js';
import { t } from '../../i18n/index.js';

/**
 * The chat reply to /request: the payer's Pay / Decline buttons are shown there too (only the payer can press). A
 * deadline nobody typed is said to be the default.
 */
export function renderRequestOutcome(reader: Reader, outcome: RequestOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderCode(reader, 'error', outcome.error);
  const params = { name: outcome.payerName, amount: formatAmount(outcome.amount), dueAt: date(reader, outcome.dueAt) };
  const text =
    outcome.defaultTtlMs === undefined
      ? t(reader.locale, 'request.sent', params)
      : t(reader.locale, 'request.sent_default', { ...params, hours: ttlHours(outcome.defaultTtlMs) });
  return {
    text: withNote(reader, text, outcome.note),
    buttons: [
      [button(reader, 'button.pay', outcome.payActionId), button(reader, 'button.decline', outcome.declineActionId)],
    ],
  };
}

export function renderPayRequestOutcome(reader: Reader, outcome: PayRequestOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderCode(reader, 'error', outcome.error);
  const text = t(reader.locale, 'request.you_paid', {
    amount: formatAmount(outcome.amount),
    name: outcome.requesterName,
  });
  return { text: withNote(reader, text, outcome.note) };
}

export function renderDeclineOutcome(reader: Reader, outcome: DeclineOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderCode(reader, 'error', outcome.error);
  return message(reader, 'request.you_declined', { amount: formatAmount(outcome.amount), name: outcome.requesterName });
}
