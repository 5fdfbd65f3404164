/**
 * What every feature's renderers share: core outcomes → platform-neutral `OutMessage`s in the reader's language. Plain text only (display
 * names and notes are user-controlled: nothing here is markup). Amounts always go through
 * `formatAmount` (`1,250.75 USD` in every language); dates through the reader's locale and time zone.
 * Every expected failure code maps to a message through an exhaustive `Record<Code, MessageKey>`,
 * so a new code without a message does not compile.
 */
import {
  AMOUNT_ERRORS,
  SCHEDULE_ERRORS,
  type ButtonLabel,
  type ConsumeError,
  type Seen,
  type TemplateKey,
  type TouchError,
} from '../../core/index.js';
import { formatDate, t, translate, type Locale, type MessageKey, type Params } from '../i18n/index.js';
import { COMMAND_ERRORS, type ParseError } from './grammar/index.js';
import type { Button, OutMessage } from './types.js';

/** Who reads the message: their language and time zone. */
export interface Reader {
  locale: Locale;
  timeZone: string;
}

/** Telegram's limit for one message; Discord's (2000) is the transport's to split. */
export const TEXT_LIMIT = 4096;

export function message(reader: Reader, key: MessageKey, params: Params = {}, buttons?: Button[][]): OutMessage {
  const text = t(reader.locale, key, params);
  return buttons && buttons.length > 0 ? { text, buttons } : { text };
}

/** Lines joined, with the note (when there is one) on its own line. */
export function withNote(reader: Reader, text: string, note: string | null | undefined): string {
  return note ? `${text}\n${t(reader.locale, 'common.note', { note })}` : text;
}

/** The action id of a button that has one (a link button has none: a programming error to ask). */
export function actionIdOf(button: Button): string {
  if (button.actionId === undefined) throw new Error(`button ${button.label} opens a link; it has no action`);
  return button.actionId;
}

export function button(reader: Reader, labelKey: MessageKey, actionId: string): Button {
  return { label: t(reader.locale, labelKey), actionId };
}

export const date = (reader: Reader, at: Date): string => formatDate(at, reader.locale, reader.timeZone);

/**
 * Who a confirm card pays, as a person can check it (never a raw platform id): their @username and where the bot has
 * seen them — "@bob, in this chat since Dec 1, 2026", or "not seen in this chat; on chipin since …" in a group.
 */
export function whoToCheck(
  reader: Reader,
  who: { username: string | null; seen: Seen | null },
  inGroup: boolean,
): string {
  const parts = who.username === null ? [] : [`@${who.username}`];
  if (who.seen !== null) {
    const since = formatDate(who.seen.since, reader.locale, reader.timeZone, 'day');
    const key = who.seen.here ? 'seen.here' : inGroup ? 'seen.elsewhere' : 'seen.on_chipin';
    parts.push(t(reader.locale, key, { since }));
  }
  return parts.join(t(reader.locale, 'seen.separator'));
}

// ---------------------------------------------------------------------------------------------------------------
// Errors

/**
 * The message of every code of a list, `<prefix>.<Code>`: a code without its message in the catalog does not
 * compile (the argument's type becomes `never`).
 */
export function keysFor<const P extends string, const C extends string>(
  prefix: P,
  codes: readonly C[] & ([`${P}.${C}`] extends [MessageKey] ? unknown : never),
): Record<C, MessageKey> {
  return Object.fromEntries(codes.map((code) => [code, `${prefix}.${code}`])) as Record<C, MessageKey>;
}

const AMOUNT_ERROR_KEYS = keysFor('amount', AMOUNT_ERRORS);

export const PARSE_ERROR_KEYS: Record<ParseError, MessageKey> = {
  ...AMOUNT_ERROR_KEYS,
  ...keysFor('parse', [...COMMAND_ERRORS, ...SCHEDULE_ERRORS]),
};

/** A refused command: the reason, with the command's own name in its examples. */
export function renderParseError(
  reader: Reader,
  error: ParseError,
  context: { command: string; defaultCurrency: string; noteMax: number; detail?: string },
): OutMessage {
  return message(reader, PARSE_ERROR_KEYS[error], {
    command: context.command,
    currency: context.defaultCurrency,
    max: context.noteMax,
    text: context.detail ?? '',
  });
}

/** People a command may have meant by name: the one, with the command to send instead, or those to pick from. */
export function renderMeant(
  reader: Reader,
  command: string,
  meant: ReadonlyArray<{ username: string; args: string }>,
): OutMessage {
  const [one] = meant;
  if (meant.length === 1 && one) return message(reader, 'parse.MissingRecipientMeant', { command, ...one });
  const usernames = new Intl.ListFormat(reader.locale, { type: 'disjunction' }).format(
    meant.map(({ username }) => `@${username}`),
  );
  return message(reader, 'parse.MissingRecipientMeantOneOf', { command, usernames });
}

/**
 * The message of a failure code whose key is `<prefix>.<Code>` (`error.InsufficientFunds`): a code without its
 * message in the catalog does not compile (the argument's type becomes `never`).
 */
export function renderCode<const P extends string, C extends string>(
  reader: Reader,
  prefix: P,
  code: C & ([`${P}.${C}`] extends [MessageKey] ? unknown : never),
): OutMessage {
  return message(reader, `${prefix}.${code}` as MessageKey);
}

/** Renders any mapped failure code (for codes whose messages do not follow `<prefix>.<Code>`). */
export function renderError<Code extends string>(
  reader: Reader,
  keys: Record<Code, MessageKey>,
  code: Code,
): OutMessage {
  return message(reader, keys[code]);
}

/** Cuts `text` to `limit` UTF-16 units without splitting a surrogate pair, marking the cut with "…". */
export function truncate(text: string, limit = TEXT_LIMIT): string {
  if (text.length <= limit) return text;
  const chars = [...text];
  let out = '';
  for (const char of chars) {
    if (out.length + char.length > limit - 1) break;
    out += char;
  }
  return `${out}…`;
}

// ---------------------------------------------------------------------------------------------------------------
// Notifications

/** A message template the core stored for a person (core/outbox `NotificationTemplate`). */
export interface NotificationTemplateView {
  key: string;
  params?: Record<string, string>;
  buttons?: Array<Array<{ labelKey: string; actionId: string }>>;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * A notification in the recipient's language and time zone (the notifications worker calls this at
 * delivery). Params named `…At` holding an ISO 8601 instant are shown as local dates; `note` is added on
 * its own line; a `reason` selects a variant (`claim.returned_expired`). An unknown template key or
 * button label is a programmer error in the core and throws, so the worker retries/dead-letters it
 * instead of sending a raw key to a person.
 */
export function renderNotification(
  locale: Locale,
  template: NotificationTemplateView,
  options: { timeZone: string },
): OutMessage {
  const reader: Reader = { locale, timeZone: options.timeZone };
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(template.params ?? {})) {
    params[name] = name.endsWith('At') && ISO_INSTANT.test(value) ? date(reader, new Date(value)) : value;
  }
  const variant = params.reason ? translate(locale, `${template.key}_${params.reason}`, params) : undefined;
  const text = variant ?? translate(locale, template.key, params);
  if (text === undefined) throw new Error(`no message for notification template ${template.key}`);
  const buttons = (template.buttons ?? []).map((row) =>
    row.map((b) => {
      const label = translate(locale, b.labelKey);
      if (label === undefined) throw new Error(`no message for button label ${b.labelKey}`);
      return { label, actionId: b.actionId };
    }),
  );
  const out: OutMessage = { text: truncate(withNote(reader, text, params.note)) };
  return buttons.length > 0 ? { ...out, buttons } : out;
}

export const CONSUME_ERROR_KEYS: Record<ConsumeError, MessageKey> = {
  Unknown: 'action.Unknown',
  NotYours: 'action.NotYours',
  Expired: 'action.Expired',
  AlreadyUsed: 'action.AlreadyUsed',
  WrongChat: 'action.WrongChat',
};

export const TOUCH_ERROR_KEYS: Record<TouchError, MessageKey> = {
  IsBot: 'refuse.bot',
  ServiceAccount: 'refuse.anonymous',
  InvalidUserId: 'refuse.service',
};

// Every notification template and button label the core sends has a message: a new one without does not compile.
type Unrendered = Exclude<TemplateKey | ButtonLabel, MessageKey>;
export const NOTIFICATIONS_COMPLETE: [Unrendered] extends [never] ? true : Unrendered = true;
