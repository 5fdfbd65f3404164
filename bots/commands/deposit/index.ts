/** `/deposit 20`: top up the wallet by card through a Stripe Checkout page (answered privately). */
import type { Amount } from '../../../core/index.js';
import { failed, onlyAmount } from '../grammar/index.js';
import { AMOUNT, type Feature, type OnceSpec } from '../spec.js';
import { renderDepositOutcome } from './render.js';
import { withdrawCommands, withdrawPresses } from './withdraw.js';

const deposit: OnceSpec<{ name: 'deposit'; amount: Amount }> = {
  name: 'deposit',
  example: '/deposit 20',
  private: true,
  once: true,
  discord: { options: [AMOUNT] },
  parse(input, context) {
    const amount = onlyAmount(input, context);
    return failed(amount) ? amount : { name: 'deposit', amount };
  },
  async run(tx, { core, event, person, reader }, command) {
    const outcome = await core.cashier.deposit(tx, { key: event.key, person, amount: command.amount });
    return { outcome, message: renderDepositOutcome(reader, outcome) };
  },
};

export const cards = {
  commands: [deposit, ...withdrawCommands],
  presses: withdrawPresses,
} satisfies Feature;
