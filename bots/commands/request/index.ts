/** `/request @name 20 tickets by 8pm`: ask someone for money; they answer with Pay / Decline before it expires. */
import { REQUEST_DECLINE, REQUEST_PAY, REQUEST_REASK } from '../../../core/index.js';
import { formatAmount, type Amount } from '../../../core/index.js';
import { t } from '../../i18n/index.js';
import { failed, parseTransfer, recipientOf, type Recipient } from '../grammar/index.js';
import { message, withNote } from '../render.js';
import { AMOUNT, NOTE, USER, asked, onPress, type Feature, type OnceSpec } from '../spec.js';
import { renderDeclineOutcome, renderPayRequestOutcome, renderRequestOutcome } from './render.js';

export interface RequestCommand {
  name: 'request';
  recipient: Recipient;
  amount: Amount;
  note?: string;
  by?: Date;
}

export const requestCommand: OnceSpec<RequestCommand> = {
  name: 'request',
  example: '/request @alice 5 coffee',
  once: true,
  discord: {
    options: [USER, AMOUNT, NOTE, { name: 'by', kind: 'string', descriptionKey: 'discord.options.by' }],
  },
  parse(input, context) {
    const transfer = parseTransfer(input, context, true);
    return failed(transfer) ? transfer : { name: 'request', ...transfer };
  },
  async run(tx, ctx, command) {
    const ask = { ...asked(ctx, command), requester: ctx.person, payer: recipientOf(command.recipient, ctx.event) };
    const outcome = await ctx.core.requests.request(tx, { ...ask, dueAt: command.by, reader: ctx.reader });
    const message = renderRequestOutcome(ctx.reader, outcome);
    if (outcome.type === 'rejected') return { outcome, message };
    // A live message: answered or expired, it shows how it ended, without Pay / Decline.
    return { outcome, message, live: { ref: outcome.card.ref, version: outcome.card.version.toString() } };
  },
};

export const request = {
  commands: [requestCommand],
  presses: [
    onPress(REQUEST_PAY, renderPayRequestOutcome),
    onPress(REQUEST_DECLINE, renderDeclineOutcome),
    onPress(
      REQUEST_REASK,
      (reader, outcome) => {
        if (outcome.type === 'rejected') return message(reader, 'error.RequestNotFound');
        const text = t(reader.locale, 'request.reask', { amount: formatAmount(outcome.amount) });
        return { text: withNote(reader, text, outcome.note) };
      },
      { fresh: true },
    ),
  ],
} satisfies Feature;
