/** `/borrow` in a group: the card (the borrower's record, Lend all / Lend half), a friend's tap, and refusals. */
import {
  formatAmount,
  groupButtonId,
  type BorrowFundError,
  type BorrowFundOutcome,
  type BorrowOutcome,
} from '../../../core/index.js';
import { t, type MessageKey } from '../../i18n/index.js';
import { message, withNote, type Reader } from '../render.js';
import type { OutMessage } from '../types.js';

const FUND_ERRORS: Record<BorrowFundError, MessageKey> = {
  AskNotFound: 'borrow.AskNotFound',
  AskClosed: 'borrow.AskClosed',
  OwnAsk: 'borrow.OwnAsk',
  LenderShort: 'borrow.LenderShort',
  InvalidAmount: 'borrow.InvalidAmount',
};

export function renderBorrow(reader: Reader, outcome: BorrowOutcome): OutMessage {
  switch (outcome.type) {
    case 'asked': {
      const head = t(reader.locale, 'borrow.card', {
        borrower: outcome.borrowerName,
        amount: formatAmount(outcome.amount),
        due: outcome.dueOn,
        id: outcome.askId.toString(),
      });
      const record = t(reader.locale, 'borrow.record', {
        onTime: String(outcome.record.onTime),
        late: String(outcome.record.late),
        open: String(outcome.record.open),
      });
      const text = `${withNote(reader, head, outcome.note)}\n${record}\n${t(reader.locale, 'borrow.hint', { id: outcome.askId.toString() })}`;
      return {
        text,
        buttons: [
          [
            { label: t(reader.locale, 'borrow.fund_all'), actionId: groupButtonId(outcome.allActionId) },
            { label: t(reader.locale, 'borrow.fund_half'), actionId: groupButtonId(outcome.halfActionId) },
          ],
        ],
      };
    }
    case 'rejected':
      return message(
        reader,
        outcome.error === 'NotInGroup'
          ? 'borrow.not_in_group'
          : outcome.error === 'DueInPast'
            ? 'borrow.due_in_past'
            : 'borrow.invalid_amount',
      );
  }
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
