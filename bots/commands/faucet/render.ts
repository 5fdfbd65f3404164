import { formatAmount, type FaucetError, type FaucetOutcome } from '../../../core/index.js';
import type { MessageKey } from '../../i18n/index.js';
import { message, renderError, type Reader } from '../render.js';
import type { OutMessage } from '../types.js';

export const FAUCET_ERROR_KEYS: Record<FaucetError, MessageKey> = {
  FaucetDisabled: 'error.FaucetDisabled',
  InvalidAmount: 'error.InvalidAmount',
  KeyConflict: 'error.KeyConflict',
};

export function renderFaucetOutcome(reader: Reader, outcome: FaucetOutcome): OutMessage {
  return outcome.type === 'funded'
    ? message(reader, 'faucet.done', {
        amount: formatAmount(outcome.amount),
        available: formatAmount(outcome.available),
      })
    : renderError(reader, FAUCET_ERROR_KEYS, outcome.error);
}
