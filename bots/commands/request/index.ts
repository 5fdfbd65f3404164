/** `/request @name 20 tickets by 8pm`: ask someone for money; they answer with Pay / Decline before it expires. */
import { REQUEST_DECLINE, REQUEST_PAY, REQUEST_REASK } from '../../../core/index.js';
import { formatAmount, type Amount } from '../../../core/index.js';
import { t } from '../../i18n/index.js';
import { failed, parseTransfer, recipientOf, type Recipient } from '../grammar/index.js';
import { message, withNote } from '../render.js';
import { AMOUNT, NOTE, USER, onPress, resultOf, type Feature, type OnceSpec } from '../spec.js';
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
  descriptionKey: 'commands.request',
  helpKey: 'help.request',
  example: '/request @alice 5 coffee',
  once: true,
  discord: {
    options: [USER, AMOUNT, NOTE, { name: 'by', kind: 'string', descriptionKey: 'discord.options.by' }],
  },
  parse(input, context) {
    const transfer = parseTransfer(input, context, true);
    return failed(transfer) ? transfer : { name: 'request', ...transfer };
  },
  async run(tx, { core, event, person, reader, chat }, command) {
    const outcome = await core.requests.request(tx, {
      key: event.key,
      requester: person,
      payer: recipientOf(command.recipient, event),
      amount: command.amount,
      note: command.note,
      dueAt: command.by,
      chat,
    });
    return { result: resultOf(outcome), message: renderRequestOutcome(reader, outcome) };
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
