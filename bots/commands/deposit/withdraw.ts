/** `/connect` (the person's own Stripe account for withdrawals) and `/withdraw 50` (confirm card, then Stripe). */
import { WITHDRAW_CONFIRM, type Amount } from '../../../core/index.js';
import { failed, onlyAmount } from '../grammar/index.js';
import { AMOUNT, onPress, type OnceSpec } from '../spec.js';
import { renderConnectOutcome, renderWithdrawConfirmOutcome, renderWithdrawOutcome } from './render.js';

export const connect: OnceSpec<{ name: 'connect' }> = {
  name: 'connect',
  example: '/connect',
  private: true,
  once: true,
  parse: () => ({ name: 'connect' }),
  async run(tx, { core, person, reader }) {
    const outcome = await core.cashier.connect(tx, { person });
    return { outcome, message: renderConnectOutcome(reader, outcome) };
  },
};

export const withdraw: OnceSpec<{ name: 'withdraw'; amount: Amount }> = {
  name: 'withdraw',
  example: '/withdraw 50',
  private: true,
  once: true,
  discord: { options: [AMOUNT] },
  parse(input, context) {
    const amount = onlyAmount(input, context);
    return failed(amount) ? amount : { name: 'withdraw', amount };
  },
  async run(tx, { core, event, person, reader }, command) {
    const outcome = await core.cashier.withdraw(tx, { key: event.key, person, amount: command.amount });
    return { outcome, message: renderWithdrawOutcome(reader, outcome) };
  },
};

export const withdrawCommands = [connect, withdraw] as const;
export const withdrawPresses = [onPress(WITHDRAW_CONFIRM, renderWithdrawConfirmOutcome)];
