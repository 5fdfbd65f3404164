import {
  formatAmount,
  type ConnectOutcome,
  type DepositOutcome,
  type WithdrawConfirmOutcome,
  type WithdrawError,
  type WithdrawOutcome,
} from '../../../core/index.js';
import { t } from '../../i18n/index.js';
import { button, message, renderCode, type Reader } from '../render.js';
import type { OutMessage } from '../types.js';

export function renderDepositOutcome(reader: Reader, outcome: DepositOutcome): OutMessage {
  if (outcome.type === 'rejected')
    return outcome.error === 'StripeUnavailable'
      ? message(reader, 'deposit.unavailable')
      : renderCode(reader, 'deposit', outcome.error);
  const amount = formatAmount(outcome.amount);
  return message(reader, 'deposit.link', { amount }, [
    [{ label: t(reader.locale, 'deposit.button', { amount }), url: outcome.url }],
  ]);
}

export function renderConnectOutcome(reader: Reader, outcome: ConnectOutcome): OutMessage {
  if (outcome.type === 'rejected')
    return outcome.error === 'StripeUnavailable'
      ? message(reader, 'deposit.unavailable')
      : renderCode(reader, 'connect', outcome.error);
  return message(reader, outcome.payoutsEnabled ? 'connect.ready' : 'connect.link', {}, [
    [{ label: t(reader.locale, 'connect.button'), url: outcome.url }],
  ]);
}

function renderWithdrawError(reader: Reader, error: WithdrawError): OutMessage {
  return error === 'StripeUnavailable' ? message(reader, 'deposit.unavailable') : renderCode(reader, 'withdraw', error);
}

export function renderWithdrawOutcome(reader: Reader, outcome: WithdrawOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderWithdrawError(reader, outcome.error);
  const params = {
    amount: formatAmount(outcome.amount),
    fee: formatAmount(outcome.fee),
    total: formatAmount(outcome.total),
  };
  return message(reader, 'withdraw.confirm', params, [[button(reader, 'button.confirm', outcome.actionId)]]);
}

export function renderWithdrawConfirmOutcome(reader: Reader, outcome: WithdrawConfirmOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderWithdrawError(reader, outcome.error);
  return message(reader, 'withdraw.held', {
    amount: formatAmount(outcome.amount),
    fee: formatAmount(outcome.fee),
    total: formatAmount(outcome.total),
  });
}
