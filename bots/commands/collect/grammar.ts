/**
 * `/collect 20 class dues [@ann @ben] [each|total] [into class]`, per person `/collect dinner @ann 30 @ben 20`, and
 * `/collect excuse @ann [#12]`; in Chinese `/collect 50 班费 每人`, `/collect 100 旅行 总共 @ann @ben`,
 * `/collect 20 班费 存入 班级`, `/collect 免除 @ann`. `/split 60 dinner @ann @ben [into fund]` (`/split 60 晚饭 @ann @ben`).
 * The amount comes first, then the reason; names anywhere after it (none: everyone the bot knows in the chat).
 * Discord: `/collect new` (amount, reason, split, into, user1…user8), `/collect excuse` (user) and `/split` (amount,
 * note, into, person1…person8); per-person amounts are typed in text only.
 */
import type { Amount } from '../../../core/index.js';
import {
  cleanNote,
  fail,
  failed,
  startsNumeric,
  takeAmount,
  wholeAmount,
  words,
  type Failure,
  type Input,
  type ParseContext,
  type Recipient,
  type Word,
  mentionTokens as tokens,
  recipientOfMention,
  type MentionToken as Token,
} from '../grammar/index.js';

export type CollectSplitWord = 'each' | 'total';

/** What a new collection asks, before anyone is resolved. */
export interface CollectAsk {
  reason: string;
  debtors: Recipient[];
  fund?: string;
  split: { mode: CollectSplitWord; amount: Amount } | { mode: 'perPerson'; amounts: Amount[] };
}

export type CollectCommand = { name: 'collect' } & (
  ({ action: 'new' } & CollectAsk) | { action: 'excuse'; who: Recipient; collectionId?: string }
);

export interface SplitCommand {
  name: 'split';
  amount: Amount;
  reason: string;
  people: Recipient[];
  fund?: string;
}

const EACH = new Set(['each', 'every', '每人', '每人各', '各']);
const TOTAL = new Set(['total', '总共', '一共', '共', '总额', '平分']);
const INTO = new Set(['into', 'to-fund', '存入', '转入', '付进']);
const EXCUSE = new Set(['excuse', 'exempt', 'forgive', '免除', '豁免', '免']);
const NEW = new Set(['new', '新建']);
/** A fund's name, as /fund takes it. */
const FUND_NAME = /^[\p{L}\p{N}_-]{1,32}$/u;
const MAX_NAMED = 8;
const USER_OPTIONS = (prefix: string) => Array.from({ length: MAX_NAMED }, (_, i) => `${prefix}${i + 1}`);

const lower = (text: string): string => text.normalize('NFKC').toLowerCase();
/** The words of consecutive word tokens from `i`. */
const wordsFrom = (list: readonly Token[], i: number): Word[] => {
  const out: Word[] = [];
  for (let j = i; j < list.length; j++) {
    const t = list[j];
    if (t?.kind !== 'word') break;
    out.push(t.word);
  }
  return out;
};

interface Read {
  amount?: Amount;
  named: Array<{ who: Recipient; amount?: Amount }>;
  mode?: CollectSplitWord;
  fund?: string;
  reason: string[];
}

/** Reads `[amount] words… @names [amounts] [each|total] [into fund]` from the tokens (`modes`: each/total are words). */
function read(list: readonly Token[], context: ParseContext, modes: boolean): Read | Failure {
  const out: Read = { named: [], reason: [] };
  for (let i = 0; i < list.length;) {
    const token = list[i];
    if (!token) break;
    if (token.kind === 'mention') {
      const after = wordsFrom(list, i + 1);
      if (startsNumeric(after[0]?.text)) {
        const amount = takeAmount(after, context);
        if (failed(amount)) return amount;
        out.named.push({ who: recipientOfMention(token.mention), amount: amount.amount });
        i += 1 + amount.used;
      } else {
        out.named.push({ who: recipientOfMention(token.mention) });
        i += 1;
      }
      continue;
    }
    const text = lower(token.word.text);
    if (i === 0 && startsNumeric(token.word.text)) {
      const amount = takeAmount(wordsFrom(list, i), context);
      if (failed(amount)) return amount;
      out.amount = amount.amount;
      i += amount.used;
    } else if (modes && EACH.has(text)) {
      out.mode = 'each';
      i += 1;
    } else if (modes && TOTAL.has(text)) {
      out.mode = 'total';
      i += 1;
    } else if (INTO.has(text)) {
      const name = list[i + 1];
      if (name?.kind !== 'word' || !FUND_NAME.test(name.word.text.normalize('NFKC'))) return fail('BadFundName');
      out.fund = name.word.text.normalize('NFKC');
      i += 2;
    } else {
      out.reason.push(token.word.text);
      i += 1;
    }
  }
  return out;
}

function reasonOf(text: string): string | Failure {
  const cleaned = cleanNote(text);
  if (cleaned === 'NoteTooLong') return fail(cleaned);
  return cleaned.note ?? fail('MissingReason');
}

export function parseCollect(input: Input, context: ParseContext): CollectCommand | Failure {
  const event = input.event;
  const all = words(event.args);
  const first = lower(all[0]?.text ?? '');
  if (EXCUSE.has(first)) return parseExcuse(input, all);
  if (input.usesOptions) return collectFromOptions(input, context);
  const from = NEW.has(first) ? (all[0]?.end ?? 0) : 0;
  const list = tokens(event.args, event.mentions, from);
  const got = read(list, context, true);
  if (failed(got)) return got;
  const reason = reasonOf(got.reason.join(' '));
  if (failed(reason)) return reason;
  const fund = got.fund !== undefined ? { fund: got.fund } : {};
  const priced = got.named.filter((n) => n.amount !== undefined);
  if (priced.length > 0) {
    if (priced.length !== got.named.length || got.amount !== undefined || got.mode !== undefined)
      return fail('MixedCollectAmounts');
    const amounts = priced.map((n) => n.amount).filter((a): a is Amount => a !== undefined);
    return {
      name: 'collect',
      action: 'new',
      reason,
      debtors: got.named.map((n) => n.who),
      split: { mode: 'perPerson', amounts },
      ...fund,
    };
  }
  if (got.amount === undefined) return fail('MissingAmount');
  return {
    name: 'collect',
    action: 'new',
    reason,
    debtors: got.named.map((n) => n.who),
    split: { mode: got.mode ?? 'each', amount: got.amount },
    ...fund,
  };
}

function collectFromOptions(input: Input, context: ParseContext): CollectCommand | Failure {
  const amount = wholeAmount(input.option('amount') ?? '', context);
  if (failed(amount)) return amount;
  const reason = reasonOf(input.option('reason') ?? '');
  if (failed(reason)) return reason;
  const splitWord = lower(input.option('split') ?? 'each');
  const mode: CollectSplitWord | undefined = EACH.has(splitWord) ? 'each' : TOTAL.has(splitWord) ? 'total' : undefined;
  if (mode === undefined) return fail('BadCollectSplit');
  const fund = input.option('into')?.normalize('NFKC').trim();
  if (fund !== undefined && fund !== '' && !FUND_NAME.test(fund)) return fail('BadFundName');
  const debtors = USER_OPTIONS('user').flatMap((name) => {
    const actor = input.actorOption(name);
    return actor ? [{ kind: 'user' as const, actor }] : [];
  });
  return {
    name: 'collect',
    action: 'new',
    reason,
    debtors,
    split: { mode, amount },
    ...(fund ? { fund } : {}),
  };
}

function parseExcuse(input: Input, all: Word[]): CollectCommand | Failure {
  const event = input.event;
  const id = all.slice(1).find((w) => /^#?[0-9]{1,18}$/u.test(w.text.normalize('NFKC')));
  const collectionId = id ? { collectionId: id.text.normalize('NFKC').replace('#', '') } : {};
  const user = input.actorOption('user');
  if (user) return { name: 'collect', action: 'excuse', who: { kind: 'user', actor: user }, ...collectionId };
  const [mention, ...more] = event.mentions;
  if (more.length > 0) return fail('TooManyMentions');
  if (mention) return { name: 'collect', action: 'excuse', who: recipientOfMention(mention), ...collectionId };
  if (event.replyTo && !event.replyTo.isBot)
    return { name: 'collect', action: 'excuse', who: { kind: 'user', actor: event.replyTo }, ...collectionId };
  return fail('MissingRecipient');
}

export function parseSplit(input: Input, context: ParseContext): SplitCommand | Failure {
  const event = input.event;
  if (input.usesOptions) {
    const amount = wholeAmount(input.option('amount') ?? '', context);
    if (failed(amount)) return amount;
    const reason = reasonOf(input.option('note') ?? '');
    if (failed(reason)) return reason;
    const fund = input.option('into')?.normalize('NFKC').trim();
    if (fund !== undefined && fund !== '' && !FUND_NAME.test(fund)) return fail('BadFundName');
    const people = USER_OPTIONS('person').flatMap((name) => {
      const actor = input.actorOption(name);
      return actor ? [{ kind: 'user' as const, actor }] : [];
    });
    if (people.length === 0) return fail('MissingSplitPeople');
    return { name: 'split', amount, reason, people, ...(fund ? { fund } : {}) };
  }
  const list = tokens(event.args, event.mentions, 0);
  if (list[0]?.kind !== 'word' || !startsNumeric(list[0].word.text)) return fail('MissingAmount');
  // `each`/`total` mean nothing to a split: they stay words of its note.
  const got = read(list, context, false);
  if (failed(got)) return got;
  if (got.amount === undefined) return fail('MissingAmount');
  if (got.named.some((n) => n.amount !== undefined)) return fail('AmbiguousAmount');
  const reason = reasonOf(got.reason.join(' '));
  if (failed(reason)) return reason;
  if (got.named.length === 0) return fail('MissingSplitPeople');
  return {
    name: 'split',
    amount: got.amount,
    reason,
    people: got.named.map((n) => n.who),
    ...(got.fund !== undefined ? { fund: got.fund } : {}),
  };
}
