import { formatAmount, type DepositOutcome } from '../../../core/index.js';
import { t } from '../../i18n/index.js';
import { message, renderCode, type Reader } from '../render.js';
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
