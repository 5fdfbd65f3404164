import { parseSchedule, type Amount, type ScheduleSpec } from '../../../core/index.js';
import {
  cleanNote,
  fail,
  failed,
  recipientAndAmount,
  startsNumeric,
  wholeAmount,
  type Failure,
  type Input,
  type ParseContext,
  type Recipient,
} from '../grammar/index.js';

export interface EveryCommand {
  name: 'every';
  recipient: Recipient;
  amount: Amount;
  spec: ScheduleSpec;
  note?: string;
}

export /** `/every @name 50 monthly on 1 [until …|for 6 times] [note]`; Discord: user, amount, schedule, note. */
function parseEvery(input: Input, context: ParseContext): EveryCommand | Failure {
  let recipient: Recipient;
  let amount: Amount;
  let text: string;
  let note: string | undefined;
  if (input.usesOptions) {
    const user = input.actorOption('user');
    if (!user) return fail('MissingRecipient');
    const parsed = wholeAmount(input.option('amount') ?? '', context);
    if (failed(parsed)) return parsed;
    recipient = { kind: 'user', actor: user };
    amount = parsed;
    text = input.option('schedule') ?? '';
    note = input.option('note');
  } else {
    const taken = recipientAndAmount(input, context);
    if (failed(taken)) return taken;
    if (startsNumeric(taken.rest[0]) && !/^[0-9]+\s*(?:天|周|个月|月)/u.test(taken.rest[0] ?? ''))
      return fail('AmbiguousAmount');
    ({ recipient, amount } = taken);
    text = taken.rest.join(' ');
  }
  const schedule = parseSchedule(text, { now: context.now, timeZone: context.timeZone });
  if (!schedule.ok) return fail(schedule.error, schedule.text);
  const cleaned = cleanNote([schedule.rest, note ?? ''].join(' '));
  if (cleaned === 'NoteTooLong') return fail(cleaned);
  return { name: 'every', recipient, amount, spec: schedule.spec, ...(cleaned.note ? { note: cleaned.note } : {}) };
}
