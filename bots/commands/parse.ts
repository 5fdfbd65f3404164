/**
 * One grammar for every platform: an `IncomingEvent` of type 'command' → a typed `Command`, or a typed
 * reason it was refused. Pure (time and defaults come in `ParseContext`); nothing here throws for
 * user input. Telegram sends the text in `args` with its mentions; Discord sends `options`, which
 * win over the text when present (`user`, `amount`, `note`, `count`, `by`, …).
 *
 * Recipients are people with an id (reply-to author, text_mention, Discord USER option) or a bare
 * `@username` (no id: the core resolves it or holds the money in a claim). Display names are never
 * read as recipients.
 */
import { LOCALES, type Locale } from '../../config/env.js';
import {
  AMOUNT_ERRORS,
  isCurrency,
  parseAmount,
  type Amount,
  type AmountError,
  type MaxAmount,
} from '../../core/money/index.js';
import { SCHEDULE_ERRORS, parseSchedule, type ScheduleError, type ScheduleSpec } from '../../core/schedules/index.js';
import { parseDeadline, splitDeadline, type DeadlineError } from './deadline.js';
import { cleanNote, words, type Word } from './text.js';
import type { Actor, IncomingEvent, Mention } from './types.js';

export type CommandEvent = Extract<IncomingEvent, { type: 'command' }>;

export type Recipient = { kind: 'user'; actor: Actor } | { kind: 'username'; username: string };

export interface QuietHours {
  /** Minutes after local midnight. */
  start: number;
  end: number;
}

export type SettingsChange =
  | { setting: 'language'; locale: Locale }
  | { setting: 'timezone'; timezone: string }
  | { setting: 'quiet'; quietHours: QuietHours | null }
  /** `minor: 0n` = confirm every payment. */
  | { setting: 'confirm'; threshold: Amount };

export type Command =
  | { name: 'start'; payload?: string }
  | { name: 'help' }
  | { name: 'balance' }
  | { name: 'history'; count: number }
  | { name: 'export' }
  | { name: 'pay'; recipient: Recipient; amount: Amount; note?: string }
  | { name: 'request'; recipient: Recipient; amount: Amount; note?: string; by?: Date }
  | { name: 'every'; recipient: Recipient; amount: Amount; spec: ScheduleSpec; note?: string }
  | { name: 'schedules' }
  | { name: 'cancel'; id: bigint }
  | { name: 'faucet'; amount: Amount }
  | { name: 'settings'; change?: SettingsChange }
  | { name: 'link'; code?: string }
  | { name: 'unknown'; command: string };

export type CommandName = Command['name'];

/** Why a command's arguments were refused (besides the AmountError of its amount). */
export const COMMAND_ERRORS = [
  'MissingRecipient',
  'TooManyMentions',
  'AmbiguousRecipient',
  'MissingAmount',
  'AmbiguousAmount',
  'NoteTooLong',
  'BadDeadline',
  'DeadlineInPast',
  'BadCount',
  'BadSetting',
  'BadLanguage',
  'BadTimezone',
  'BadQuietHours',
  'BadThreshold',
  'BadLinkCode',
  'BadScheduleId',
] as const satisfies ReadonlyArray<string>;

export type CommandError = (typeof COMMAND_ERRORS)[number] | DeadlineError;
export type ParseError = CommandError | AmountError | ScheduleError;

/** Every code `parseCommand` can refuse with. */
export const PARSE_ERRORS: readonly ParseError[] = [...COMMAND_ERRORS, ...AMOUNT_ERRORS, ...SCHEDULE_ERRORS];

/** `detail`: the words a refusal is about (a schedule that was not understood), shown back to the person. */
export type Parsed =
  { ok: true; command: Command } | { ok: false; command: CommandName; error: ParseError; detail?: string };

export interface ParseContext {
  defaultCurrency: string;
  max: MaxAmount;
  now: Date;
  /** The person's time zone (deadlines are wall-clock times there). */
  timeZone: string;
}

export const HISTORY_DEFAULT = 10;
export const HISTORY_MAX = 50;

const KNOWN: Readonly<Record<string, CommandName>> = {
  start: 'start',
  help: 'help',
  balance: 'balance',
  history: 'history',
  export: 'export',
  pay: 'pay',
  request: 'request',
  faucet: 'faucet',
  settings: 'settings',
  link: 'link',
  every: 'every',
  schedules: 'schedules',
  cancel: 'cancel',
};

type Failure = { fail: ParseError; detail?: string };
const fail = (error: ParseError, detail?: string): Failure =>
  detail === undefined ? { fail: error } : { fail: error, detail };
const failed = <T>(value: T | Failure): value is Failure =>
  typeof value === 'object' && value !== null && 'fail' in value;

/** Parses one command event. Never throws for anything a user can type. */
export function parseCommand(event: CommandEvent, context: ParseContext): Parsed {
  const name = KNOWN[event.command.toLowerCase()];
  if (name === undefined) return { ok: true, command: { name: 'unknown', command: event.command } };
  const result = PARSERS[name](new Input(event), context);
  if (!failed(result)) return { ok: true, command: result };
  const refused: Parsed = { ok: false, command: name, error: result.fail };
  return result.detail === undefined ? refused : { ...refused, detail: result.detail };
}

type Parser = (input: Input, context: ParseContext) => Command | Failure;

const PARSERS: Record<CommandName, Parser> = {
  start: (input) => ({ name: 'start', payload: startPayload(input.text) }),
  help: () => ({ name: 'help' }),
  balance: () => ({ name: 'balance' }),
  export: () => ({ name: 'export' }),
  unknown: (input) => ({ name: 'unknown', command: input.event.command }),
  history: (input) => {
    const count = historyCount(input.option('count') ?? input.text);
    return failed(count) ? count : { name: 'history', count };
  },
  faucet: (input, context) => {
    const option = input.option('amount');
    if (option !== undefined) {
      const amount = wholeAmount(option, context);
      return failed(amount) ? amount : { name: 'faucet', amount };
    }
    const body = words(input.text);
    const amount = takeAmount(body, context);
    if (failed(amount)) return amount;
    return startsNumeric(body[amount.used]?.text) ? fail('AmbiguousAmount') : { name: 'faucet', amount: amount.amount };
  },
  pay: (input, context) => {
    const transfer = parseTransfer(input, context, false);
    return failed(transfer) ? transfer : { name: 'pay', ...transfer };
  },
  request: (input, context) => {
    const transfer = parseTransfer(input, context, true);
    return failed(transfer) ? transfer : { name: 'request', ...transfer };
  },
  settings: (input, context) => {
    const change = parseSettings(input, context);
    return failed(change) ? change : { name: 'settings', change };
  },
  every: (input, context) => parseEvery(input, context),
  schedules: () => ({ name: 'schedules' }),
  cancel: (input) => {
    const id = (input.option('id') ?? input.text).normalize('NFKC').trim().replace(/^#/, '');
    return /^[1-9][0-9]{0,17}$/.test(id) ? { name: 'cancel', id: BigInt(id) } : fail('BadScheduleId');
  },
  link: (input) => {
    const code = (input.option('code') ?? input.text).normalize('NFKC').trim().toUpperCase();
    if (code === '') return { name: 'link' };
    return /^[A-Z0-9]{8}$/.test(code) ? { name: 'link', code } : fail('BadLinkCode');
  },
};

/** The event with Discord options read as strings. */
class Input {
  constructor(readonly event: CommandEvent) {}

  get text(): string {
    return this.event.args;
  }

  get usesOptions(): boolean {
    return this.event.options !== undefined;
  }

  option(name: string): string | undefined {
    const value = this.event.options?.[name];
    if (value === undefined || typeof value === 'object') return undefined;
    return String(value);
  }

  actorOption(name: string): Actor | undefined {
    const value = this.event.options?.[name];
    return typeof value === 'object' ? value : undefined;
  }
}

function startPayload(args: string): string | undefined {
  const payload = args.trim();
  // Telegram deep-link payloads: up to 64 of A-Z a-z 0-9 _ -. Anything else is not ours.
  return /^[A-Za-z0-9_-]{1,64}$/.test(payload) ? payload : undefined;
}

function historyCount(text: string): number | Failure {
  const value = text.normalize('NFKC').trim();
  if (value === '') return HISTORY_DEFAULT;
  if (!/^[0-9]{1,3}$/.test(value)) return fail('BadCount');
  const count = Number(value);
  return count >= 1 && count <= HISTORY_MAX ? count : fail('BadCount');
}

interface Transfer {
  recipient: Recipient;
  amount: Amount;
  note?: string;
  by?: Date;
}

/** The recipient and the amount at the start of a command's text, and the words after them. */
function recipientAndAmount(
  input: Input,
  context: ParseContext,
): { recipient: Recipient; amount: Amount; rest: string[] } | Failure {
  const event = input.event;
  const split = splitMentions(event.args, event.mentions);
  let body = split.body;
  let candidates = split.leading;
  const amount = takeAmount(body, context);
  // `/pay 10 @bob lunch`: with nothing before the amount, a mention right after it is the recipient.
  if (candidates.length === 0 && !failed(amount)) {
    const after = split.mentionsAt(body.slice(amount.used));
    candidates = after.mentions;
    body = [...body.slice(0, amount.used), ...body.slice(amount.used + after.count)];
  }
  const recipient = chooseRecipient(event.replyTo, candidates);
  if (failed(recipient)) return recipient;
  if (failed(amount)) return amount;
  return { recipient, amount: amount.amount, rest: body.slice(amount.used).map((word) => word.text) };
}

function parseTransfer(input: Input, context: ParseContext, withDeadline: boolean): Transfer | Failure {
  if (input.usesOptions) return transferFromOptions(input, context, withDeadline);
  const taken = recipientAndAmount(input, context);
  if (failed(taken)) return taken;
  const { recipient, rest } = taken;
  // `5 USD 10`: which number is meant? (A deadline right after the amount, `20 2小时内`, is fine.)
  const deadlineNext = withDeadline && splitDeadline(rest).note.length === 0;
  if (startsNumeric(rest[0]) && !deadlineNext) return fail('AmbiguousAmount');
  return finishTransfer(recipient, taken.amount, rest, context, withDeadline);
}

/** `/every @name 50 monthly on 1 [until …|for 6 times] [note]`; Discord: user, amount, schedule, note. */
function parseEvery(input: Input, context: ParseContext): Command | Failure {
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
  return deadline.ok ? { ...transfer, by: deadline.at } : fail(deadline.error);
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
  return deadline.ok ? { recipient, amount, note, by: deadline.at } : fail(deadline.error);
}

interface MentionSplit {
  /** Mentions before the first other word: the recipient candidates. */
  leading: Mention[];
  /** The words after them: amount, note, deadline (mentions there are note text). */
  body: Word[];
  /** The mentions covering the first words of `tail`, and how many words they cover. */
  mentionsAt(tail: Word[]): { mentions: Mention[]; count: number };
}

function splitMentions(args: string, mentions: readonly Mention[]): MentionSplit {
  const located = locateMentions(args, mentions);
  const covering = (word: Word) =>
    located.filter(({ span }) => span !== undefined && span.start < word.end && word.start < span.end);
  const mentionsAt = (tail: Word[]) => {
    const found: Mention[] = [];
    let count = 0;
    for (const word of tail) {
      const over = covering(word);
      if (over.length === 0) break;
      for (const { mention } of over) if (!found.includes(mention)) found.push(mention);
      count++;
    }
    return { mentions: found, count };
  };
  const all = words(args);
  const leading = mentionsAt(all);
  // A mention we could not place is treated as a recipient candidate, never silently dropped.
  const unplaced = located.filter(({ span }) => span === undefined).map(({ mention }) => mention);
  return { leading: [...leading.mentions, ...unplaced], body: all.slice(leading.count), mentionsAt };
}

interface Located {
  mention: Mention;
  span?: { start: number; end: number };
}

function locateMentions(args: string, mentions: readonly Mention[]): Located[] {
  const taken: Array<{ start: number; end: number }> = [];
  return mentions.map((mention) => {
    const span = spanOf(args, mention, taken);
    if (span) taken.push(span);
    return { mention, span };
  });
}

function spanOf(
  args: string,
  mention: Mention,
  taken: ReadonlyArray<{ start: number; end: number }>,
): { start: number; end: number } | undefined {
  const { offset, length } = mention;
  if (offset !== undefined && length !== undefined && offset >= 0 && length > 0 && offset + length <= args.length) {
    return { start: offset, end: offset + length };
  }
  const needles = 'username' in mention ? [`@${mention.username}`] : namesOf(mention.user.displayName);
  for (const needle of needles) {
    const lower = args.toLowerCase();
    for (let at = lower.indexOf(needle.toLowerCase()); at >= 0; at = lower.indexOf(needle.toLowerCase(), at + 1)) {
      const span = { start: at, end: at + needle.length };
      const free = !taken.some((other) => other.start < span.end && span.start < other.end);
      if (free && !/[\p{L}\p{N}_]/u.test(args[span.end] ?? '')) return span;
    }
  }
  return undefined;
}

/** A text_mention shows the full name or, in most clients, the first name. */
function namesOf(displayName: string): string[] {
  const first = displayName.trim().split(/\s+/u)[0] ?? '';
  return [displayName.trim(), first].filter((name, index, all) => name !== '' && all.indexOf(name) === index);
}

/**
 * Reply-to > text_mention (an id) > @username, when they agree. A reply to one person naming another
 * is refused rather than guessed (money would go to the wrong one); so are two different mentions.
 * A reply to a bot's message does not compete with a mention: people reply to the bot all the time.
 */
function chooseRecipient(replyTo: Actor | undefined, candidates: readonly Mention[]): Recipient | Failure {
  const users = candidates.flatMap((mention) => ('user' in mention ? [mention.user] : []));
  const names = candidates.flatMap((mention) => ('username' in mention ? [mention.username.toLowerCase()] : []));
  if (replyTo && !(replyTo.isBot && candidates.length > 0)) {
    const sameUser = users.every((user) => user.userId === replyTo.userId);
    const sameName = names.every((name) => name === replyTo.username?.toLowerCase());
    return sameUser && sameName ? { kind: 'user', actor: replyTo } : fail('AmbiguousRecipient');
  }
  const distinctUsers = new Set(users.map((user) => user.userId));
  const distinctNames = new Set(names);
  if (distinctUsers.size === 0 && distinctNames.size === 0) return fail('MissingRecipient');
  if (distinctUsers.size > 1 || distinctNames.size > 1) return fail('TooManyMentions');
  const [user] = users;
  const [name] = names;
  if (user) {
    return name === undefined || name === user.username?.toLowerCase()
      ? { kind: 'user', actor: user }
      : fail('TooManyMentions');
  }
  return name === undefined ? fail('MissingRecipient') : { kind: 'username', username: name };
}

// Currency-like words that are not ISO 4217 codes: `20 rmb` must not pay 20 of the default currency.
const NOT_ISO = new Set(['rmb', 'btc', 'eth', 'usdt', 'usdc', 'xbt', 'ltc', 'doge', 'sol', 'ton']);
const SIGN_OR_SYMBOL = /^[+\-\u2212$¥€£₩₹]$/u;
const CODE_SHAPED = /^[A-Za-z]{3}$/;

function startsNumeric(text: string | undefined): boolean {
  return text !== undefined && /^[+\-\u2212$¥€£₩₹]?[\p{Nd}\p{No}.]/u.test(text.normalize('NFKC'));
}

/**
 * The amount at the start of `body`: one word (`20`, `20usd`, `$5`, `100元`) or two (`USD 20`,
 * `20 USD`, `$ 5`, `100 元`). A second word joins only when it is a currency, so in `20 for lunch`
 * the note starts at "for".
 */
function takeAmount(body: readonly Word[], context: ParseContext): { amount: Amount; used: number } | Failure {
  const [first, second] = body.map((word) => word.text.normalize('NFKC'));
  if (first === undefined) return fail('MissingAmount');
  const joins =
    second !== undefined &&
    ((SIGN_OR_SYMBOL.test(first) && startsNumeric(second)) ||
      (CODE_SHAPED.test(first) && startsNumeric(second)) ||
      (startsNumeric(first) && isCurrencyWord(second)));
  const text = joins ? `${first} ${second}` : first;
  const parsed = parseAmount(text, { defaultCurrency: context.defaultCurrency, max: context.max });
  return parsed.ok ? { amount: parsed.amount, used: joins ? 2 : 1 } : fail(parsed.reason);
}

/** An option that holds only an amount (Discord `amount`). */
function wholeAmount(text: string, context: ParseContext): Amount | Failure {
  if (text.trim() === '') return fail('MissingAmount');
  const parsed = parseAmount(text, { defaultCurrency: context.defaultCurrency, max: context.max });
  return parsed.ok ? parsed.amount : fail(parsed.reason);
}

function isCurrencyWord(word: string): boolean {
  if (word === '元' || word === '块') return true;
  // Typed in capitals it is meant as a code (`20 XYZ` is an unknown currency, not a note).
  if (/^[A-Z]{3}$/.test(word)) return true;
  return (CODE_SHAPED.test(word) && isCurrency(word.toUpperCase())) || NOT_ISO.has(word.toLowerCase());
}

const SETTING_NAMES: Readonly<Record<string, SettingsChange['setting']>> = {
  language: 'language',
  lang: 'language',
  语言: 'language',
  timezone: 'timezone',
  tz: 'timezone',
  时区: 'timezone',
  quiet: 'quiet',
  免打扰: 'quiet',
  confirm: 'confirm',
  确认: 'confirm',
};

const SHOW: ReadonlySet<string> = new Set(['show', '显示', '查看']);

const LANGUAGE_NAMES: Readonly<Record<string, Locale>> = {
  en: 'en',
  english: 'en',
  英文: 'en',
  英语: 'en',
  zh: 'zh-CN',
  'zh-cn': 'zh-CN',
  'zh-hans': 'zh-CN',
  cn: 'zh-CN',
  chinese: 'zh-CN',
  中文: 'zh-CN',
  简体中文: 'zh-CN',
};

function parseSettings(input: Input, context: ParseContext): SettingsChange | undefined | Failure {
  const fromOptions = (['language', 'timezone', 'quiet', 'confirm'] as const).find((name) => input.option(name));
  const [head = '', ...tail] = words(input.text).map((word) => word.text);
  const setting = fromOptions ?? SETTING_NAMES[head.normalize('NFKC').toLowerCase()];
  // `/settings` alone, or Discord's `/settings show`: show them.
  if (fromOptions === undefined && (head === '' || SHOW.has(head.normalize('NFKC').toLowerCase()))) return undefined;
  const value = (fromOptions ? (input.option(fromOptions) ?? '') : tail.join(' ')).normalize('NFKC').trim();
  switch (setting) {
    case 'language': {
      const locale = LANGUAGE_NAMES[value.toLowerCase()] ?? LOCALES.find((known) => known === value);
      return locale ? { setting, locale } : fail('BadLanguage');
    }
    case 'timezone': {
      const timezone = canonicalTimeZone(value);
      return timezone ? { setting, timezone } : fail('BadTimezone');
    }
    case 'quiet': {
      const quietHours = parseQuietHours(value);
      return quietHours === undefined ? fail('BadQuietHours') : { setting, quietHours };
    }
    case 'confirm': {
      const threshold = parseThreshold(value, context);
      return failed(threshold) ? threshold : { setting, threshold };
    }
    default:
      return fail('BadSetting');
  }
}

/** The canonical IANA name (`asia/shanghai` → `Asia/Shanghai`), or undefined. */
export function canonicalTimeZone(name: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(name)) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** `22:00-07:00` (also `22:00 - 07:00`, `22:00~07:00`) → minutes; `off` → null; else undefined. */
export function parseQuietHours(value: string): QuietHours | null | undefined {
  if (/^(?:off|none|no|关闭|关)$/iu.test(value)) return null;
  const match = /^([0-9]{1,2}):([0-9]{2})\s*[-–~至到]\s*([0-9]{1,2}):([0-9]{2})$/u.exec(value);
  if (!match) return undefined;
  const [hours1, minutes1, hours2, minutes2] = match.slice(1).map(Number) as [number, number, number, number];
  if (hours1 > 23 || hours2 > 23 || minutes1 > 59 || minutes2 > 59) return undefined;
  const start = hours1 * 60 + minutes1;
  const end = hours2 * 60 + minutes2;
  return start === end ? undefined : { start, end };
}

function parseThreshold(value: string, context: ParseContext): Amount | Failure {
  if (value === '') return fail('BadThreshold');
  // parseAmount refuses zero, but here 0 means "confirm every payment".
  if (/^0+(?:\.0+)?$/.test(value)) return { minor: 0n, currency: context.defaultCurrency };
  const parsed = parseAmount(value, { defaultCurrency: context.defaultCurrency, max: context.max });
  if (!parsed.ok) return fail(parsed.reason);
  return parsed.amount.currency === context.defaultCurrency ? parsed.amount : fail('BadThreshold');
}
