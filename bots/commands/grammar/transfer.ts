/** `@name amount [note] [deadline]`, the grammar /pay and /request share (Discord: user, amount, note, by). */
import type { Amount } from '../../../core/index.js';
import { startsNumeric, wholeAmount } from './amount.js';
import { parseDeadline, splitDeadline } from './deadline.js';
import { fail, failed, type Failure, type Input, type ParseContext } from './input.js';
import { cleanNote } from './note.js';
import { recipientAndAmount, type Recipient } from './recipient.js';

export interface Transfer {
  recipient: Recipient;
  amount: Amount;
  note?: string;
  by?: Date;
}

export function parseTransfer(input: Input, context: ParseContext, withDeadline: boolean): Transfer | Failure {
  if (input.usesOptions) return transferFromOptions(input, context, withDeadline);
  const taken = recipientAndAmount(input, context);
  if (failed(taken)) return taken;
  const { recipient, rest } = taken;
  // `5 USD 10`: which number is meant? (A deadline right after the amount, `20 2小时内`, is fine.)
  const deadlineNext = withDeadline && splitDeadline(rest).note.length === 0;
  if (startsNumeric(rest[0]) && !deadlineNext) return fail('AmbiguousAmount');
  return finishTransfer(recipient, taken.amount, rest, context, withDeadline);
}

function transferFromOptions(input: Input, context: ParseContext, withDeadline: boolean): Transfer | Failure {
  const user = input.actorOption('user');
  if (!user) return fail('MissingRecipient');
  const amount = wholeAmount(input.option('amount') ?? '', context);
  if (failed(amount)) return amount;
  const cleaned = cleanNote(input.option('note') ?? '');
  if (cleaned === 'NoteTooLong') return fail(cleaned);
  const by = input.option('by');
  const transfer: Transfer = { recipient: { kind: 'user', actor: user }, amount, note: cleaned.note };
  if (!withDeadline || by === undefined || by.trim() === '') return transfer;
  const deadline = parseDeadline(by, { now: context.now, timeZone: context.timeZone });
  return deadline.ok ? { ...transfer, by: deadline.at } : fail(deadline.error, by.trim());
}

function finishTransfer(
  recipient: Recipient,
  amount: Amount,
  rest: string[],
  context: ParseContext,
  withDeadline: boolean,
): Transfer | Failure {
  const split = withDeadline ? splitDeadline(rest) : { note: rest };
  const cleaned = cleanNote(split.note.join(' '));
  if (cleaned === 'NoteTooLong') return fail(cleaned);
  const note = cleaned.note;
  if (split.clause === undefined) return { recipient, amount, note };
  const deadline = parseDeadline(split.clause, { now: context.now, timeZone: context.timeZone });
  return deadline.ok ? { recipient, amount, note, by: deadline.at } : fail(deadline.error, split.clause);
}
