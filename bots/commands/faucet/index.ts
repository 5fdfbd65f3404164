/** `/faucet 100`: play money, only with DEMO_MONEY=1. */
import type { Amount } from '../../../core/index.js';
import { failed, onlyAmount } from '../grammar/index.js';
import { AMOUNT, type Feature, type OnceSpec } from '../spec.js';
import { renderFaucetOutcome } from './render.js';

const faucet: OnceSpec<{ name: 'faucet'; amount: Amount }> = {
  name: 'faucet',
  example: '/faucet 100',
  private: true,
  once: true,
  when: ({ demoMoney }) => demoMoney,
  discord: { options: [AMOUNT] },
  parse(input, context) {
    const amount = onlyAmount(input, context);
    return failed(amount) ? amount : { name: 'faucet', amount };
  },
  async run(tx, { core, event, person, reader }, command) {
    const outcome = await core.payments.faucet(tx, { key: event.key, person, amount: command.amount });
    return { outcome, message: renderFaucetOutcome(reader, outcome) };
  },
};

export const demo = { commands: [faucet] } satisfies Feature;
