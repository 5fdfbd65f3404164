/**
 * `/fund new trip [500] [quorum 60%]`, a locked pot `/fund new lucky for @name until 2027-02-17` (Chinese order
 * `/fund new 压岁钱 给 @name 到 2月17日`), `/fund list`, `/fund show trip`, `/fund add trip 50 [note]`,
 * `/fund members trip [add|remove @name]`, `/fund spend trip 80 @name [reason]`, `/fund close trip`; in Chinese the
 * same words work after 基金 (新建 列表 查看 存入 成员 支出 关闭 · 添加 移除). Discord: a subcommand each, with `name`,
 * `amount`, `user`, `note`, `until`, `quorum` options.
 */
import { zonedTimeToInstant, type Amount } from '../../../core/index.js';
import {
  cleanNote,
  Input,
  fail,
  failed,
  readDay,
  recipientAndAmount,
  takeAmount,
  wholeAmount,
  words,
  type Failure,
  type ParseContext,
  type Recipient,
} from '../grammar/index.js';

export type FundCommand = { name: 'fund' } & (
  | {
      action: 'new';
      fund: string;
      target?: Amount;
      quorumPct?: number;
      /** A locked pot: for whom, and the instant it unlocks (the start of that day in the person's time zone). */
      pot?: { beneficiary: Recipient; until: Date };
    }
  | { action: 'close'; fund: string }
  | { action: 'list' }
  | { action: 'show'; fund: string }
  | { action: 'add'; fund: string; amount: Amount; note?: string }
  | { action: 'members'; fund: string; change?: { op: 'add' | 'remove'; member: Recipient } }
  | { action: 'spend'; fund: string; amount: Amount; payee: Recipient; reason?: string }
);

const ACTIONS: Readonly<Record<string, FundCommand['action']>> = {
  new: 'new',
  create: 'new',
  新建: 'new',
  list: 'list',
  列表: 'list',
  show: 'show',
  查看: 'show',
  add: 'add',
  存入: 'add',
  members: 'members',
  成员: 'members',
  spend: 'spend',
  支出: 'spend',
  close: 'close',
  关闭: 'close',
};

const MEMBER_OPS: Readonly<Record<string, 'add' | 'remove'>> = {
  add: 'add',
  添加: 'add',
  remove: 'remove',
  移除: 'remove',
};

/** A fund's name: one word of letters, digits, `_` or `-`, at most 32 characters. */
const NAME = /^[\p{L}\p{N}_-]{1,32}$/u;

export function parseFund(input: Input, context: ParseContext): FundCommand | Failure {
  const all = words(input.text);
  const typed = input.option('action') ?? all[0]?.text ?? '';
  const action = ACTIONS[typed.normalize('NFKC').toLowerCase()];
  if (action === undefined) return fail('BadFundCommand');
  if (action === 'list') return { name: 'fund', action };
  const fund = (input.option('fund') ?? all[1]?.text ?? '').normalize('NFKC');
  if (!NAME.test(fund)) return fail('BadFundName');
  // What follows the name, with its position in the text (mentions are placed by offset).
  const restAt = input.usesOptions ? input.text.length : (all[1]?.end ?? input.text.length);
  const rest = new RestInput(input, restAt);
  switch (action) {
    case 'show':
    case 'close':
      return { name: 'fund', action, fund };
    case 'new':
      return parseNew(input, rest.text, fund, context);
    case 'add': {
      const option = input.option('amount');
      const body = words(rest.text);
      const amount = option !== undefined ? wholeAmount(option, context) : takeAmount(body, context);
      if (failed(amount)) return amount;
      const noteText =
        option !== undefined
          ? (input.option('note') ?? '')
          : body
              .slice('used' in amount ? amount.used : 0)
              .map((w) => w.text)
              .join(' ');
      const cleaned = cleanNote(noteText);
      if (cleaned === 'NoteTooLong') return fail(cleaned);
      const value = 'used' in amount ? amount.amount : amount;
      return { name: 'fund', action, fund, amount: value, ...(cleaned.note ? { note: cleaned.note } : {}) };
    }
    case 'members': {
      const opWord = input.option('change') ?? words(rest.text)[0]?.text;
      if (opWord === undefined) return { name: 'fund', action, fund };
      const op = MEMBER_OPS[opWord.normalize('NFKC').toLowerCase()];
      if (op === undefined) return fail('BadFundCommand');
      const user = input.actorOption('user');
      if (user) return { name: 'fund', action, fund, change: { op, member: { kind: 'user', actor: user } } };
      const mention = input.event.mentions[0];
      if (mention === undefined) return fail('MissingRecipient');
      const member: Recipient =
        'user' in mention ? { kind: 'user', actor: mention.user } : { kind: 'username', username: mention.username };
      return { name: 'fund', action, fund, change: { op, member } };
    }
    case 'spend': {
      const user = input.actorOption('user');
      if (user) {
        const amount = wholeAmount(input.option('amount') ?? '', context);
        if (failed(amount)) return amount;
        const cleaned = cleanNote(input.option('note') ?? '');
        if (cleaned === 'NoteTooLong') return fail(cleaned);
        const payee: Recipient = { kind: 'user', actor: user };
        return { name: 'fund', action, fund, amount, payee, ...(cleaned.note ? { reason: cleaned.note } : {}) };
      }
      const taken = recipientAndAmount(rest.asInput(), context);
      if (failed(taken)) return taken;
      const cleaned = cleanNote(taken.rest.join(' '));
      if (cleaned === 'NoteTooLong') return fail(cleaned);
      return {
        name: 'fund',
        action,
        fund,
        amount: taken.amount,
        payee: taken.recipient,
        ...(cleaned.note ? { reason: cleaned.note } : {}),
      };
    }
  }
}

/** `quorum 60%`, `法定人数 60%`: a percent from 1 to 100. */
const QUORUM = /(?:^|\s)(?:quorum|法定人数)\s*(\S+)/iu;
/** `for @name`, `给 @name` (the mention itself is read from the event's mentions). */
const FOR = /(?:^|\s)(?:for|给)\s*@\S+/iu;
/** `until …`, `到 …`, `直到 …`: the rest of the text is the date. */
const UNTIL = /(?:^|\s)(?:until|till|直到|到)\s*/iu;

function parseNew(input: Input, text: string, fund: string, context: ParseContext): FundCommand | Failure {
  let rest = text;
  let quorumText = input.option('quorum');
  const quorumMatch = QUORUM.exec(rest);
  if (quorumMatch) {
    quorumText ??= quorumMatch[1];
    rest = rest.replace(quorumMatch[0], ' ');
  }
  // `for @name` first, so it may stand before or after the date.
  const forMatch = FOR.exec(rest);
  if (forMatch) rest = rest.replace(forMatch[0], ' ');
  const beneficiary = beneficiaryOf(input, forMatch !== null);
  let dateText = input.option('until');
  const untilMatch = UNTIL.exec(rest);
  if (untilMatch) {
    dateText ??= rest.slice(untilMatch.index + untilMatch[0].length).trim();
    rest = rest.slice(0, untilMatch.index);
  }

  let command: Extract<FundCommand, { action: 'new' }> = { name: 'fund', action: 'new', fund };
  const targetText = input.option('amount') ?? (input.usesOptions ? '' : rest.trim());
  if (targetText !== '') {
    const target = wholeAmount(targetText, context);
    if (failed(target)) return target;
    command = { ...command, target };
  }
  if (quorumText !== undefined) {
    const quorum = /^([0-9]{1,3})%?$/u.exec(quorumText.normalize('NFKC'));
    const pct = Number(quorum?.[1] ?? NaN);
    if (!quorum || pct < 1 || pct > 100) return fail('BadQuorum');
    command = { ...command, quorumPct: pct };
  }
  if (beneficiary === undefined && dateText === undefined) return command;
  if (beneficiary === undefined) return fail('MissingRecipient');
  if (dateText === undefined || dateText.trim() === '') return fail('MissingFundDate');
  const until = unlockDate(dateText.trim(), context);
  if (failed(until)) return until;
  return { ...command, pot: { beneficiary, until } };
}

function beneficiaryOf(input: Input, named: boolean): Recipient | undefined {
  const user = input.actorOption('user');
  if (user) return { kind: 'user', actor: user };
  if (!named) return undefined;
  const mention = input.event.mentions[0];
  if (mention === undefined) return undefined;
  return 'user' in mention ? { kind: 'user', actor: mention.user } : { kind: 'username', username: mention.username };
}

/**
 * A pot's date in plain words (grammar/date.ts, the one date reader): the pot unlocks at the start of that day in
 * the person's time zone, at least a day from now.
 */
function unlockDate(text: string, context: ParseContext): Date | Failure {
  const read = readDay(text, context, 'tomorrow');
  if (!read.ok) return fail(read.error === 'BadDate' ? 'BadFundDate' : 'FundDateInPast', text);
  return zonedTimeToInstant({ ...read.day, hour: 0, minute: 0 }, context.timeZone);
}

/** The text after the fund's name, as an input of its own (mentions shifted to it). */
class RestInput {
  constructor(
    private readonly input: Input,
    private readonly at: number,
  ) {}

  get text(): string {
    return this.input.event.args.slice(this.at);
  }

  asInput(): Input {
    const event = this.input.event;
    const mentions = event.mentions.map((m) => (m.offset === undefined ? m : { ...m, offset: m.offset - this.at }));
    return new Input({ ...event, args: this.text, mentions });
  }
}
