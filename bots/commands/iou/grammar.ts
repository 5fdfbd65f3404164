/**
 * `/iou @name 50 friday [note] [record]` (the due date in plain words, grammar/date.ts; `record`/`记账`: money given
 * outside chipin), `/iou show 7`, `/iou extend 7 next friday`, `/iou forgive 7 [amount]`, `/iou nudge 7` (Chinese:
 * 查看 延期 免除 提醒), `/repay @name 20`. Discord: `/iou lend|show|extend|forgive|nudge` with `user`, `amount`, `due`,
 * `note`, `record`, `id`, `date` options.
 */
import type { Amount } from '../../../core/index.js';
import {
  cleanNote,
  fail,
  failed,
  readDay,
  mentionTokens,
  recipientAndAmount,
  recipientOfMention,
  takeAmount,
  wholeAmount,
  words,
  type Day,
  type Failure,
  Input,
  type ParseContext,
  type Recipient,
} from '../grammar/index.js';

export type IouCommand = { name: 'iou' } & (
  | { action: 'lend'; borrower: Recipient; amount: Amount; due: Day; note?: string; record: boolean }
  | { action: 'show' | 'nudge'; id: bigint }
  | { action: 'extend'; id: bigint; due: Day }
  | { action: 'forgive'; id: bigint; amount?: Amount }
);

export interface RepayCommand {
  name: 'repay';
  lender: Recipient;
  amount: Amount;
}

const ACTIONS: Readonly<Record<string, IouCommand['action']>> = {
  lend: 'lend',
  借出: 'lend',
  show: 'show',
  查看: 'show',
  extend: 'extend',
  延期: 'extend',
  forgive: 'forgive',
  免除: 'forgive',
  nudge: 'nudge',
  提醒: 'nudge',
};

const RECORD = /^(?:record|记账|记录)$/iu;
/** Words that may stand before a due date: `by friday`, `due friday`, `到期 下周五`. */
const DUE_MARK = /^(?:by|due|on|before|到期|截止)$/iu;
/** Words a date phrase starts with whose own reading says nothing (`in 2 weekz`: name all three). */
const CONNECTORS = /^(?:in|end|next|the|this|on|of)$/iu;
/** The longest date phrase tried ("end of the month", "a week from friday"). */
const MAX_DATE_WORDS = 5;

export function parseIou(input: Input, context: ParseContext): IouCommand | Failure {
  const all = words(input.text).map((w) => w.text);
  const action = ACTIONS[(all[0] ?? '').normalize('NFKC').toLowerCase()];
  if (action === undefined) return parseLend(input, context);
  // `/iou lend @ben 50 friday` typed as text reads like `/iou @ben 50 friday` (Discord's subcommand has options).
  if (action === 'lend') return parseLend(input.usesOptions ? input : withoutFirstWord(input), context);
  const id = parseId(input.option('id') ?? all[1]);
  if (id === undefined) return fail('BadIouId');
  switch (action) {
    case 'show':
    case 'nudge':
      return { name: 'iou', action, id };
    case 'extend': {
      const text = (input.option('date') ?? all.slice(2).join(' ')).trim();
      if (text === '') return fail('MissingDueDate');
      const read = readDay(text, context);
      if (!read.ok) return fail(read.error === 'BadDate' ? 'BadDueDate' : 'DueDateInPast', text);
      return { name: 'iou', action, id, due: read.day };
    }
    case 'forgive': {
      const text = (input.option('amount') ?? all.slice(2).join(' ')).trim();
      if (text === '') return { name: 'iou', action, id };
      const amount = wholeAmount(text, context);
      return failed(amount) ? amount : { name: 'iou', action, id, amount };
    }
  }
}

/** The input after its first word, mention offsets moved to match. */
function withoutFirstWord(input: Input): Input {
  const { args, mentions } = input.event;
  const cut = /^\s*\S+\s*/u.exec(args)?.[0].length ?? 0;
  return new Input({
    ...input.event,
    args: args.slice(cut),
    mentions: mentions.map((m) => (m.offset === undefined ? m : { ...m, offset: m.offset - cut })),
  });
}

function parseId(text: string | undefined): bigint | undefined {
  const match = /^#?([0-9]{1,18})$/u.exec((text ?? '').normalize('NFKC'));
  return match?.[1] === undefined ? undefined : BigInt(match[1]);
}

function parseLend(input: Input, context: ParseContext): IouCommand | Failure {
  if (input.usesOptions) {
    const user = input.actorOption('user');
    if (!user) return fail('MissingRecipient');
    const amount = wholeAmount(input.option('amount') ?? '', context);
    if (failed(amount)) return amount;
    const dueText = (input.option('due') ?? '').trim();
    if (dueText === '') return fail('MissingDueDate');
    const read = readDay(dueText, context);
    if (!read.ok) return fail(read.error === 'BadDate' ? 'BadDueDate' : 'DueDateInPast', dueText);
    const cleaned = cleanNote(input.option('note') ?? '');
    if (cleaned === 'NoteTooLong') return fail(cleaned);
    const record = input.option('record') === 'true';
    return lend({ kind: 'user', actor: user }, amount, read.day, cleaned.note, record);
  }
  const taken = recipientAndAmount(input, context);
  if (failed(taken)) return taken;
  let rest = [...taken.rest];
  const record = rest.length > 0 && RECORD.test(rest.at(-1) ?? '');
  if (record) rest = rest.slice(0, -1);
  const read = dueAndNote(rest, context);
  return failed(read) ? read : lend(taken.recipient, taken.amount, read.due, read.note, record);
}

/** `[by] friday [note]`: the longest run of leading words that reads as a date is the due date; the rest the note. */
function dueAndNote(given: readonly string[], context: ParseContext): { due: Day; note?: string } | Failure {
  let rest = [...given];
  if (rest.length > 0 && DUE_MARK.test(rest[0] ?? '')) rest = rest.slice(1);
  if (rest.length === 0) return fail('MissingDueDate');
  for (let n = Math.min(MAX_DATE_WORDS, rest.length); n >= 1; n--) {
    const text = rest.slice(0, n).join(' ');
    const read = readDay(text, context);
    if (read.ok) {
      const cleaned = cleanNote(rest.slice(n).join(' '));
      if (cleaned === 'NoteTooLong') return fail(cleaned);
      return { due: read.day, ...(cleaned.note ? { note: cleaned.note } : {}) };
    }
    if (read.error === 'DateInPast') return fail('DueDateInPast', text);
  }
  const named = CONNECTORS.test(rest[0] ?? '') ? rest.slice(0, 3) : rest.slice(0, 1);
  return fail('BadDueDate', named.join(' '));
}

export interface BorrowCommand {
  name: 'borrow';
  amount: Amount;
  due: Day;
  note?: string;
  /** Named friends, asked privately (none: the chat is asked). */
  friends: Recipient[];
}

/** Discord: `friend1`…`friend4` USER options. */
export const BORROW_FRIEND_OPTIONS = ['friend1', 'friend2', 'friend3', 'friend4'] as const;

/**
 * `/borrow 50 friday rent [@ann @ben]`: the mentions anywhere are the friends to ask (Discord: `amount`, `due`,
 * `note`, `friend1`…`friend4` options).
 */
export function parseBorrow(input: Input, context: ParseContext): BorrowCommand | Failure {
  if (input.usesOptions) {
    const friends = BORROW_FRIEND_OPTIONS.flatMap((name) => {
      const actor = input.actorOption(name);
      return actor ? [{ kind: 'user' as const, actor }] : [];
    });
    const amount = wholeAmount(input.option('amount') ?? '', context);
    if (failed(amount)) return amount;
    const read = dueAndNote([...words(input.option('due') ?? '').map((w) => w.text)], context);
    if (failed(read)) return read;
    const cleaned = cleanNote(input.option('note') ?? '');
    if (cleaned === 'NoteTooLong') return fail(cleaned);
    return { name: 'borrow', amount, due: read.due, friends, ...(cleaned.note ? { note: cleaned.note } : {}) };
  }
  const tokens = mentionTokens(input.event.args, input.event.mentions, 0);
  const friends = tokens.flatMap((t) => (t.kind === 'mention' ? [recipientOfMention(t.mention)] : []));
  const all = tokens.flatMap((t) => (t.kind === 'word' ? [t.word] : []));
  const taken = takeAmount(all, context);
  if (failed(taken)) return taken;
  const read = dueAndNote(
    all.slice(taken.used).map((w) => w.text),
    context,
  );
  return failed(read) ? read : { name: 'borrow', amount: taken.amount, ...read, friends };
}

function lend(borrower: Recipient, amount: Amount, due: Day, note: string | undefined, record: boolean): IouCommand {
  return { name: 'iou', action: 'lend', borrower, amount, due, record, ...(note ? { note } : {}) };
}

export function parseRepay(input: Input, context: ParseContext): RepayCommand | Failure {
  if (input.usesOptions) {
    const user = input.actorOption('user');
    if (!user) return fail('MissingRecipient');
    const amount = wholeAmount(input.option('amount') ?? '', context);
    return failed(amount) ? amount : { name: 'repay', lender: { kind: 'user', actor: user }, amount };
  }
  const taken = recipientAndAmount(input, context);
  if (failed(taken)) return taken;
  return { name: 'repay', lender: taken.recipient, amount: taken.amount };
}

export interface LendToAskCommand {
  name: 'lend';
  askId: bigint;
  amount: Amount;
}

/** `/lend 12 20`: lend 20 to borrow ask #12 (Discord: `id`, `amount` options). */
export function parseLendToAsk(input: Input, context: ParseContext): LendToAskCommand | Failure {
  const all = words(input.text).map((w) => w.text);
  const askId = parseId(input.option('id') ?? all[0]);
  if (askId === undefined) return fail('BadAskId');
  const amount = wholeAmount(input.option('amount') ?? all.slice(1).join(' '), context);
  return failed(amount) ? amount : { name: 'lend', askId, amount };
}
