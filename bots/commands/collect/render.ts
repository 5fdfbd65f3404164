/** Collections: the card (the live template the worker keeps up to date), taps on its buttons, an excuse. */
import {
  formatAmount,
  type CollectCloseOutcome,
  type CollectOutcome,
  type CollectPayOutcome,
  type CollectRemindOutcome,
  type CollectionRejected,
  type ExcuseOutcome,
} from '../../../core/index.js';
import { button, message, renderCode, renderNotification, type Reader } from '../render.js';
import type { OutMessage } from '../types.js';

export const renderRefusal = (reader: Reader, outcome: CollectionRejected): OutMessage =>
  renderCode(reader, 'collect.error', outcome.error);

/** The card as the chat first sees it: the same template and params the live worker renders later. */
export function renderCard(reader: Reader, outcome: CollectOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderRefusal(reader, outcome);
  const { view } = outcome.card;
  return renderNotification(view.locale, view.template, { timeZone: view.timeZone });
}

/**
 * A tap on Pay (or on its confirmation): paid, a Confirm button for the payer alone (above their threshold), or why
 * not. Shown as the tap's toast, so short.
 */
export function renderPay(reader: Reader, outcome: CollectPayOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderRefusal(reader, outcome);
  const params = { amount: formatAmount(outcome.amount), to: outcome.to, what: outcome.reason };
  const fund = outcome.fund !== null;
  if (outcome.type === 'paid') return message(reader, fund ? 'collect.paid_fund' : 'collect.paid', params);
  return message(reader, fund ? 'collect.confirm_fund' : 'collect.confirm', params, [
    [button(reader, 'button.confirm', outcome.actionId)],
  ]);
}

export function renderRemind(reader: Reader, outcome: CollectRemindOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderRefusal(reader, outcome);
  return message(reader, 'collect.reminded', { count: outcome.count });
}

export function renderClose(reader: Reader, outcome: CollectCloseOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderRefusal(reader, outcome);
  return message(reader, 'collect.closed', { collected: formatAmount(outcome.collected) });
}

export function renderExcused(reader: Reader, outcome: ExcuseOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderRefusal(reader, outcome);
  return message(reader, 'collect.excused', {
    name: outcome.name,
    id: outcome.collectionId.toString(),
    amount: formatAmount(outcome.amount),
  });
}
