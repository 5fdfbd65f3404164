/** `/pay @name 12.50 lunch` (or a reply with `/pay 12.50`): send money, with Undo, a confirm card above the threshold. */
import { CLAIM_RELEASE, CLAIM_RETURN, PAY_CONFIRM, PAY_UNDO } from '../../../core/index.js';
import { parseTransfer, failed, payeeOf, type Recipient } from '../grammar/index.js';
import type { Amount } from '../../../core/index.js';
import { AMOUNT, NOTE, USER, asked, onPress, type Feature, type OnceSpec } from '../spec.js';
import { renderClaimOutcome, renderPayOutcome, renderUndoOutcome } from './render.js';

export interface PayCommand {
  name: 'pay';
  recipient: Recipient;
  amount: Amount;
  note?: string;
}

const undoSeconds = (config: { undoWindowMs: number }): number => Math.round(config.undoWindowMs / 1000);

export const payCommand: OnceSpec<PayCommand> = {
  name: 'pay',
  example: '/pay @bob 10 lunch',
  once: true,
  touchesNamed: true,
  discord: { options: [USER, AMOUNT, NOTE] },
  parse(input, context) {
    const transfer = parseTransfer(input, context, false);
    return failed(transfer) ? transfer : { name: 'pay', ...transfer };
  },
  async run(tx, ctx, command) {
    const to = payeeOf(command.recipient, ctx.event, ctx.touched);
    const outcome = await ctx.core.payments.pay(tx, {
      ...asked(ctx, command),
      from: ctx.person,
      to,
      firstRun: ctx.firstRun,
      reader: ctx.reader,
    });
    return {
      outcome,
      message: renderPayOutcome(ctx.reader, outcome, {
        undoSeconds: undoSeconds(ctx.config),
        inGroup: ctx.event.chat.kind === 'group',
      }),
    };
  },
};

export const pay = {
  commands: [payCommand],
  presses: [
    onPress(PAY_CONFIRM, (reader, outcome, config) =>
      renderPayOutcome(reader, outcome, { undoSeconds: undoSeconds(config) }),
    ),
    onPress(PAY_UNDO, renderUndoOutcome),
    onPress(CLAIM_RELEASE, renderClaimOutcome),
    onPress(CLAIM_RETURN, renderClaimOutcome),
  ],
} satisfies Feature;
