import { formatAmount, type FaucetOutcome } from '../../../core/index.js';
import { message, type Reader, renderCode } from '../render.js';
import type { OutMessage } from '../types.js';

export function renderFaucetOutcome(reader: Reader, outcome: FaucetOutcome): OutMessage {
  return outcome.type === 'funded'
    ? message(reader, 'faucet.done', {
        amount: formatAmount(outcome.amount),
        available: formatAmount(outcome.available),
      })
    : renderCode(reader, 'error', outcome.error);
}
