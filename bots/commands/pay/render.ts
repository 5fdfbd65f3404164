/** Payment outcomes: paid (with Undo), confirm card, held for an @username, undone, claims. */
import { formatAmount, type ClaimOutcome, type PayOutcome, type UndoOutcome } from '../../../core/index.js';
import { button, date, message, whoToCheck, withNote, type Reader, renderCode } from '../render.js';
import type { OutMessage } from '../types.js';
import { t } from '../../i18n/index.js';

/** Refusals say what the payer has when money is short ("You have 78.50 USD"). */
export function renderPayRefusal(reader: Reader, outcome: Extract<PayOutcome, { type: 'rejected' }>): OutMessage {
  return outcome.error === 'InsufficientFunds' && outcome.available !== undefined
    ? message(reader, 'pay.short', { available: formatAmount(outcome.available) })
    : renderCode(reader, 'error', outcome.error);
}

export function renderPayOutcome(
  reader: Reader,
  outcome: PayOutcome,
  options: { undoSeconds: number; inGroup?: boolean },
): OutMessage {
  const { locale } = reader;
  switch (outcome.type) {
    case 'paid': {
      const text = withNote(
        reader,
        t(locale, 'pay.paid', { amount: formatAmount(outcome.amount), name: outcome.toName }),
        outcome.note,
      );
      if (outcome.undoActionId === null) return { text };
      return {
        text: `${text}\n${t(locale, 'pay.undo_hint', { seconds: options.undoSeconds })}`,
        buttons: [[button(reader, 'button.undo', outcome.undoActionId)]],
      };
    }
    case 'confirm': {
      const amount = formatAmount(outcome.amount);
      const text =
        outcome.toPersonId === null
          ? t(locale, 'pay.confirm_escrow', { amount, username: outcome.toUsername ?? outcome.toName })
          : t(locale, 'pay.confirm', {
              amount,
              name: outcome.toName,
              who: whoToCheck(reader, { username: outcome.toUsername, seen: outcome.seen }, options.inGroup ?? false),
            });
      const warning =
        outcome.changedHands && outcome.toUsername !== null
          ? `\n${t(locale, 'pay.changed_hands', { username: outcome.toUsername })}`
          : '';
      return {
        text: withNote(reader, text + warning, outcome.note),
        buttons: [[button(reader, 'button.confirm', outcome.actionId)]],
      };
    }
    case 'escrowed': {
      const text = t(locale, 'pay.escrowed', {
        username: outcome.username,
        amount: formatAmount(outcome.amount),
        until: date(reader, outcome.expiresAt),
      });
      return {
        text: withNote(reader, text, outcome.note),
        buttons: [[button(reader, 'button.return', outcome.returnActionId)]],
      };
    }
    case 'rejected':
      return renderPayRefusal(reader, outcome);
  }
}

export function renderUndoOutcome(reader: Reader, outcome: UndoOutcome): OutMessage {
  return outcome.type === 'undone'
    ? message(reader, 'pay.reversed', { amount: formatAmount(outcome.amount) })
    : renderCode(reader, 'error', outcome.error);
}

export function renderClaimOutcome(reader: Reader, outcome: ClaimOutcome): OutMessage {
  switch (outcome.type) {
    case 'released':
      return message(reader, 'claim.released', { amount: formatAmount(outcome.amount), name: outcome.claimantName });
    case 'returned':
      return message(reader, 'claim.taken_back', { amount: formatAmount(outcome.amount) });
    case 'rejected':
      return renderCode(reader, 'error', outcome.error);
  }
}
