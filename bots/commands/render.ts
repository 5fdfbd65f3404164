/**
 * Core outcomes → platform-neutral `OutMessage`s in the reader's language. Plain text only (display
 * names and notes are user-controlled: nothing here is markup). Amounts always go through
 * `formatAmount` (`1,250.75 USD` in every language); dates through the reader's locale and time zone.
 * Every expected failure code maps to a message through an exhaustive `Record<Code, MessageKey>`,
 * so a new code without a message does not compile.
 */
import type {
  ScheduleActivateOutcome,
  AmountError,
  ScheduleCancelOutcome,
  ScheduleCreateError,
  ScheduleCreateOutcome,
  MuteOutcome,
  ScheduleSpec,
  ScheduleStateError,
  ScheduleView,
  ButtonLabel,
  ClaimError,
  ClaimOutcome,
  ConsumeError,
  DeclineOutcome,
  Person,
  FaucetError,
  FaucetOutcome,
  LinkCodeError,
  LinkError,
  LinkResult,
  PayError,
  PayOutcome,
  PayRequestOutcome,
  RequestError,
  RequestOutcome,
  RequestStateError,
  SettingsError,
  TemplateKey,
  TouchError,
  UndoError,
  UndoOutcome,
} from '../../core/index.js';
import { formatAmount, formatClock, formatQuietHours, runTime } from '../../core/index.js';
import { formatDate, t, translate, type Locale, type MessageKey, type Params } from '../i18n/index.js';
import type { ParseError } from './parse.js';
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

export function button(reader: Reader, labelKey: MessageKey, actionId: string): Button {
  return { label: t(reader.locale, labelKey), actionId };
}

export const date = (reader: Reader, at: Date): string => formatDate(at, reader.locale, reader.timeZone);

// ---------------------------------------------------------------------------------------------------------------
// Errors

const AMOUNT_ERROR_KEYS: Record<AmountError, MessageKey> = {
  Empty: 'amount.Empty',
  Zero: 'amount.Zero',
  Negative: 'amount.Negative',
  LeadingPlus: 'amount.LeadingPlus',
  Exponent: 'amount.Exponent',
  NotANumber: 'amount.NotANumber',
  Hex: 'amount.Hex',
  BadGrouping: 'amount.BadGrouping',
  MultipleDecimalPoints: 'amount.MultipleDecimalPoints',
  TooManyDecimals: 'amount.TooManyDecimals',
  TooLarge: 'amount.TooLarge',
  UnknownCurrency: 'amount.UnknownCurrency',
  ForeignDigits: 'amount.ForeignDigits',
  Malformed: 'amount.Malformed',
};

export const PARSE_ERROR_KEYS: Record<ParseError, MessageKey> = {
  ...AMOUNT_ERROR_KEYS,
  MissingRecipient: 'parse.MissingRecipient',
  TooManyMentions: 'parse.TooManyMentions',
  AmbiguousRecipient: 'parse.AmbiguousRecipient',
  MissingAmount: 'parse.MissingAmount',
  AmbiguousAmount: 'parse.AmbiguousAmount',
  NoteTooLong: 'parse.NoteTooLong',
  BadDeadline: 'parse.BadDeadline',
  DeadlineInPast: 'parse.DeadlineInPast',
  BadCount: 'parse.BadCount',
  BadSetting: 'parse.BadSetting',
  BadLanguage: 'parse.BadLanguage',
  BadTimezone: 'parse.BadTimezone',
  BadQuietHours: 'parse.BadQuietHours',
  BadThreshold: 'parse.BadThreshold',
  BadLinkCode: 'parse.BadLinkCode',
  BadScheduleId: 'parse.BadScheduleId',
  MissingSchedule: 'parse.MissingSchedule',
  BadSchedule: 'parse.BadSchedule',
  BadScheduleEnd: 'parse.BadScheduleEnd',
  BadScheduleTime: 'parse.BadScheduleTime',
  ScheduleEndInPast: 'parse.ScheduleEndInPast',
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

/** Renders any mapped failure code. */
export function renderError<Code extends string>(
  reader: Reader,
  keys: Record<Code, MessageKey>,
  code: Code,
): OutMessage {
  return message(reader, keys[code]);
}

// ---------------------------------------------------------------------------------------------------------------
// Balances and history

export interface BalanceView {
  currency: string;
  available: { minor: bigint; currency: string };
  pendingIn: { minor: bigint; currency: string };
  pendingOut: { minor: bigint; currency: string };
}

/** Per currency: available first, then pending in and pending out (the core puts the default currency in). */
export function renderBalances(reader: Reader, lines: readonly BalanceView[]): OutMessage {
  const blocks = lines.map((line) =>
    [
      `• ${t(reader.locale, 'balance.available', { amount: formatAmount(line.available) })}`,
      `   ${t(reader.locale, 'balance.pending_in', { amount: formatAmount(line.pendingIn) })}`,
      `   ${t(reader.locale, 'balance.pending_out', { amount: formatAmount(line.pendingOut) })}`,
    ].join('\n'),
  );
  return { text: [t(reader.locale, 'balance.title'), ...blocks].join('\n') };
}

export type HistoryParty =
  | { type: 'person'; name: string }
  | { type: 'claim'; username: string; claimed: boolean }
  | { type: 'system'; name: string };

export interface HistoryView {
  at: Date;
  direction: 'in' | 'out';
  amount: { minor: bigint; currency: string };
  party: HistoryParty;
  note: string | null;
  state: 'completed' | 'pending' | 'returned' | 'undone';
}

const STATE_KEYS: Record<HistoryView['state'], MessageKey | undefined> = {
  completed: undefined,
  pending: 'history.pending',
  returned: 'history.returned',
  undone: 'history.undone',
};

function counterpart(reader: Reader, party: HistoryParty): string {
  switch (party.type) {
    case 'person':
      return party.name;
    case 'claim':
      return party.claimed ? `@${party.username}` : t(reader.locale, 'history.unclaimed', { username: party.username });
    case 'system':
      return party.name === 'faucet' ? t(reader.locale, 'history.faucet') : party.name;
  }
}

function historyLine(reader: Reader, entry: HistoryView): string {
  const line = t(reader.locale, entry.direction === 'in' ? 'history.in' : 'history.out', {
    date: formatDate(entry.at, reader.locale, reader.timeZone, 'short'),
    amount: formatAmount(entry.amount),
    counterpart: counterpart(reader, entry.party),
  });
  const stateKey = STATE_KEYS[entry.state];
  const state = stateKey ? ` ${t(reader.locale, stateKey)}` : '';
  return `${line}${state}${entry.note ? ` — ${entry.note}` : ''}`;
}

/** Newest first, cut to fit one message (older lines dropped, with a pointer to /export). */
export function renderHistory(reader: Reader, entries: readonly HistoryView[], limit = TEXT_LIMIT): OutMessage {
  if (entries.length === 0) return message(reader, 'history.empty');
  const lines = entries.map((entry) => historyLine(reader, entry));
  const cut = t(reader.locale, 'history.truncated');
  for (let shown = lines.length; shown > 0; shown--) {
    const title = t(reader.locale, 'history.title', { count: shown });
    const body = [title, ...lines.slice(0, shown), ...(shown < lines.length ? [cut] : [])].join('\n');
    if (body.length <= limit) return { text: body };
  }
  return { text: truncate(`${t(reader.locale, 'history.title', { count: 1 })}\n${lines[0] ?? ''}`, limit) };
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
// Settings

/** /settings: each setting, with "(default)" / "(from your app)" where the person has not chosen. */
export function renderSettings(
  reader: Reader,
  person: Pick<Person, 'locale' | 'timezone' | 'quietHours' | 'confirmThresholdMinor'>,
  defaults: { timezone: string; confirmThreshold: { minor: bigint; currency: string } },
): OutMessage {
  const { locale } = reader;
  const languageName = t(locale, `lang.${locale}`);
  const language = person.locale ? languageName : t(locale, 'settings.language_auto', { value: languageName });
  const timezone = person.timezone ?? t(locale, 'settings.default', { value: defaults.timezone });
  const quiet = person.quietHours ? formatQuietHours(person.quietHours) : t(locale, 'settings.quiet_off');
  const threshold =
    person.confirmThresholdMinor === null
      ? t(locale, 'settings.default', { value: formatAmount(defaults.confirmThreshold) })
      : person.confirmThresholdMinor === 0n
        ? t(locale, 'settings.confirm_always')
        : formatAmount({ minor: person.confirmThresholdMinor, currency: defaults.confirmThreshold.currency });
  const lines = [
    t(locale, 'settings.title'),
    t(locale, 'settings.language', { value: language }),
    t(locale, 'settings.timezone', { value: timezone }),
    t(locale, 'settings.quiet', { value: quiet }),
    t(locale, 'settings.confirm', { value: threshold }),
    '',
    t(locale, 'settings.how'),
  ];
  return { text: lines.join('\n') };
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

// ---------------------------------------------------------------------------------------------------------------
// Payment outcomes

export const PAY_ERROR_KEYS: Record<PayError, MessageKey> = {
  SelfPayment: 'error.SelfPayment',
  RecipientIsBot: 'error.RecipientIsBot',
  UnknownRecipient: 'error.UnknownRecipient',
  InvalidUsername: 'error.InvalidUsername',
  InvalidAmount: 'error.InvalidAmount',
  InsufficientFunds: 'error.InsufficientFunds',
  CurrencyMismatch: 'error.CurrencyMismatch',
  KeyConflict: 'error.KeyConflict',
};

export const UNDO_ERROR_KEYS: Record<UndoError, MessageKey> = {
  UndoTooLate: 'error.UndoTooLate',
  AlreadyUndone: 'error.AlreadyUndone',
};

export const CLAIM_ERROR_KEYS: Record<ClaimError, MessageKey> = {
  ClaimNotFound: 'error.ClaimNotFound',
  ClaimNotMatched: 'error.ClaimNotMatched',
  ClaimResolved: 'error.ClaimResolved',
  ClaimExpired: 'error.ClaimExpired',
};

export const FAUCET_ERROR_KEYS: Record<FaucetError, MessageKey> = {
  FaucetDisabled: 'error.FaucetDisabled',
  InvalidAmount: 'error.InvalidAmount',
  KeyConflict: 'error.KeyConflict',
};

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

export const SETTINGS_ERROR_KEYS: Record<SettingsError, MessageKey> = {
  UnknownPerson: 'common.error',
  UnknownLocale: 'parse.BadLanguage',
  UnknownTimezone: 'parse.BadTimezone',
  BadQuietHours: 'parse.BadQuietHours',
  ThresholdCurrency: 'parse.BadThreshold',
  NegativeThreshold: 'amount.Negative',
  ThresholdTooLarge: 'amount.TooLarge',
};

export const LINK_CODE_ERROR_KEYS: Record<LinkCodeError, MessageKey> = {
  RateLimited: 'error.RateLimited',
  UnknownPerson: 'common.error',
};

export const LINK_ERROR_KEYS: Record<LinkError, MessageKey> = {
  UnknownCode: 'link.UnknownCode',
  ExpiredCode: 'link.ExpiredCode',
  OwnCode: 'link.OwnCode',
  SamePlatform: 'link.SamePlatform',
  PendingPayments: 'link.PendingPayments',
  TooManyAttempts: 'link.TooManyAttempts',
};

/** The reply to `/link <code>`: joined (and what money moved), or why not. */
export function renderLinkOutcome(reader: Reader, outcome: LinkResult): OutMessage {
  if (!outcome.ok) return renderError(reader, LINK_ERROR_KEYS, outcome.error);
  const done = t(reader.locale, 'link.done');
  if (outcome.moved.length === 0) return { text: done };
  const amounts = outcome.moved.map(formatAmount).join(', ');
  return { text: `${done}\n${t(reader.locale, 'link.moved', { amounts })}` };
}

/** The reply to /pay or to a confirm tap. `undoSeconds` is the configured window (replays read the same). */
export function renderPayOutcome(reader: Reader, outcome: PayOutcome, options: { undoSeconds: number }): OutMessage {
  const { locale } = reader;
  switch (outcome.type) {
    case 'paid': {
      const text = withNote(
        reader,
        t(locale, 'pay.paid', { amount: formatAmount(outcome.amount), name: outcome.toName }),
        outcome.note,
      );
      if (outcome.undoActionId === null) return { text };
      return {
        text: `${text}\n${t(locale, 'pay.undo_hint', { seconds: options.undoSeconds })}`,
        buttons: [[button(reader, 'button.undo', outcome.undoActionId)]],
      };
    }
    case 'confirm': {
      const amount = formatAmount(outcome.amount);
      const text =
        outcome.toPersonId === null
          ? t(locale, 'pay.confirm_escrow', { amount, username: outcome.toUsername ?? outcome.toName })
          : t(locale, 'pay.confirm', { amount, name: outcome.toName, id: outcome.toUserId ?? '?' });
      return {
        text: withNote(reader, text, outcome.note),
        buttons: [[button(reader, 'button.confirm', outcome.actionId)]],
      };
    }
    case 'escrowed': {
      const text = t(locale, 'pay.escrowed', {
        username: outcome.username,
        amount: formatAmount(outcome.amount),
        until: date(reader, outcome.expiresAt),
      });
      return {
        text: withNote(reader, text, outcome.note),
        buttons: [[button(reader, 'button.return', outcome.returnActionId)]],
      };
    }
    case 'rejected':
      return renderError(reader, PAY_ERROR_KEYS, outcome.error);
  }
}

export function renderUndoOutcome(reader: Reader, outcome: UndoOutcome): OutMessage {
  return outcome.type === 'undone'
    ? message(reader, 'pay.reversed', { amount: formatAmount(outcome.amount) })
    : renderError(reader, UNDO_ERROR_KEYS, outcome.error);
}

export function renderClaimOutcome(reader: Reader, outcome: ClaimOutcome): OutMessage {
  switch (outcome.type) {
    case 'released':
      return message(reader, 'claim.released', { amount: formatAmount(outcome.amount), name: outcome.claimantName });
    case 'returned':
      return message(reader, 'claim.taken_back', { amount: formatAmount(outcome.amount) });
    case 'rejected':
      return renderError(reader, CLAIM_ERROR_KEYS, outcome.error);
  }
}

export function renderFaucetOutcome(reader: Reader, outcome: FaucetOutcome): OutMessage {
  return outcome.type === 'funded'
    ? message(reader, 'faucet.done', {
        amount: formatAmount(outcome.amount),
        available: formatAmount(outcome.available),
      })
    : renderError(reader, FAUCET_ERROR_KEYS, outcome.error);
}

// ---------------------------------------------------------------------------------------------------------------
// Requests

export const REQUEST_ERROR_KEYS: Record<RequestError, MessageKey> = {
  SelfRequest: 'error.SelfRequest',
  RecipientIsBot: 'error.RecipientIsBot',
  UnknownRecipient: 'error.UnknownRecipient',
  InvalidUsername: 'error.InvalidUsername',
  InvalidAmount: 'error.InvalidAmount',
  DeadlineInPast: 'error.DeadlineInPast',
  DeadlineTooFar: 'error.DeadlineTooFar',
};

export const REQUEST_STATE_ERROR_KEYS: Record<RequestStateError, MessageKey> = {
  RequestNotFound: 'error.RequestNotFound',
  RequestPaid: 'error.RequestPaid',
  RequestDeclined: 'error.RequestDeclined',
  RequestExpired: 'error.RequestExpired',
};

const PAY_REQUEST_ERROR_KEYS: Record<RequestStateError | PayError, MessageKey> = {
  ...REQUEST_STATE_ERROR_KEYS,
  ...PAY_ERROR_KEYS,
};

/** The chat reply to /request: the payer's Pay / Decline buttons are shown there too (only the payer can press). */
export function renderRequestOutcome(reader: Reader, outcome: RequestOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderError(reader, REQUEST_ERROR_KEYS, outcome.error);
  const text = t(reader.locale, 'request.sent', {
    name: outcome.payerName,
    amount: formatAmount(outcome.amount),
    due: date(reader, outcome.dueAt),
  });
  return {
    text: withNote(reader, text, outcome.note),
    buttons: [
      [button(reader, 'button.pay', outcome.payActionId), button(reader, 'button.decline', outcome.declineActionId)],
    ],
  };
}

export function renderPayRequestOutcome(reader: Reader, outcome: PayRequestOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderError(reader, PAY_REQUEST_ERROR_KEYS, outcome.error);
  const text = t(reader.locale, 'request.you_paid', {
    amount: formatAmount(outcome.amount),
    name: outcome.requesterName,
  });
  return { text: withNote(reader, text, outcome.note) };
}

export function renderDeclineOutcome(reader: Reader, outcome: DeclineOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderError(reader, REQUEST_STATE_ERROR_KEYS, outcome.error);
  return message(reader, 'request.you_declined', { amount: formatAmount(outcome.amount), name: outcome.requesterName });
}

// ---------------------------------------------------------------------------------------------------------------
// Recurring transfers

export const SCHEDULE_CREATE_ERROR_KEYS: Record<ScheduleCreateError, MessageKey> = {
  SelfSchedule: 'error.SelfSchedule',
  RecipientIsBot: 'error.RecipientIsBot',
  UnknownRecipient: 'error.UnknownRecipient',
  InvalidUsername: 'error.InvalidUsername',
  InvalidAmount: 'error.InvalidAmount',
  BadRule: 'error.BadRule',
  NeverRuns: 'error.NeverRuns',
};

export const SCHEDULE_STATE_ERROR_KEYS: Record<ScheduleStateError, MessageKey> = {
  ScheduleNotFound: 'error.ScheduleNotFound',
  NotYourSchedule: 'error.NotYourSchedule',
  ScheduleEnded: 'error.ScheduleEnded',
  NeverRuns: 'error.NeverRuns',
};

/** "every friday", "monthly on day 1, 6 times", "每两周，直到 2026年12月31日". */
export function renderCadence(reader: Reader, spec: ScheduleSpec): string {
  const { locale } = reader;
  const c = spec.cadence;
  let text: string;
  switch (c.unit) {
    case 'day':
    case 'week':
    case 'month': {
      const single = { day: 'daily', week: 'weekly', month: 'monthly' } as const;
      const many = { day: 'every_n_days', week: 'every_n_weeks', month: 'every_n_months' } as const;
      text =
        c.interval === 1
          ? t(locale, `schedule.cadence.${single[c.unit]}`)
          : t(locale, `schedule.cadence.${many[c.unit]}`, { n: c.interval });
      break;
    }
    case 'weekday': {
      const day = t(locale, `weekday.${c.weekday}`);
      text =
        c.interval === 1
          ? t(locale, 'schedule.cadence.weekday', { day })
          : t(locale, 'schedule.cadence.every_n_weekday', { n: c.interval, day });
      break;
    }
    case 'monthday':
      text = t(locale, 'schedule.cadence.monthday', { day: c.day });
      break;
    case 'rule':
      text = t(locale, 'schedule.cadence.rule', { rule: c.rule });
      break;
  }
  const end = spec.end;
  if (end && 'count' in end) return t(locale, 'schedule.end_count', { cadence: text, count: end.count });
  if (end && 'until' in end) return t(locale, 'schedule.end_until', { cadence: text, date: end.until });
  return text;
}

const dateList = (reader: Reader, dates: readonly Date[]): string =>
  dates.map((d) => date(reader, d)).join(reader.locale === 'zh-CN' ? '；' : '; ');

/** The reply to /every: the confirm card with the next runs and the Activate button. */
export function renderEveryOutcome(reader: Reader, outcome: ScheduleCreateOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderError(reader, SCHEDULE_CREATE_ERROR_KEYS, outcome.error);
  const at = runTime(outcome.spec);
  const text = t(reader.locale, 'schedule.confirm', {
    amount: formatAmount(outcome.amount),
    name: outcome.toName,
    id: outcome.toUserId ?? '?',
    cadence: renderCadence(reader, outcome.spec),
    timezone: outcome.timezone,
    time: formatClock(at.hour * 60 + at.minute),
    next: dateList(reader, outcome.next),
  });
  return {
    text: withNote(reader, text, outcome.note),
    buttons: [[button(reader, 'button.activate', outcome.actionId)]],
  };
}

export function renderActivateOutcome(reader: Reader, outcome: ScheduleActivateOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderError(reader, SCHEDULE_STATE_ERROR_KEYS, outcome.error);
  return message(reader, 'schedule.activated', {
    id: outcome.scheduleId.toString(),
    amount: formatAmount(outcome.amount),
    name: outcome.toName,
    next: outcome.next[0] ? date(reader, outcome.next[0]) : '—',
  });
}

export function renderCancelOutcome(reader: Reader, outcome: ScheduleCancelOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderError(reader, SCHEDULE_STATE_ERROR_KEYS, outcome.error);
  return message(reader, 'schedule.cancelled', {
    id: outcome.scheduleId.toString(),
    amount: formatAmount(outcome.amount),
    name: outcome.toName,
  });
}

export function renderMuteOutcome(reader: Reader, outcome: MuteOutcome): OutMessage {
  return outcome.type === 'muted' ? message(reader, 'reminder.muted') : message(reader, 'error.UnknownThread');
}

/** /schedules: one line each, newest first. */
export function renderSchedules(reader: Reader, schedules: readonly ScheduleView[]): OutMessage {
  if (schedules.length === 0) return message(reader, 'schedule.list_empty');
  const lines = schedules.map((s) => {
    const line = t(reader.locale, 'schedule.line', {
      id: s.id.toString(),
      amount: formatAmount(s.amount),
      name: s.toName,
      cadence: renderCadence(reader, s.spec),
      state: t(reader.locale, `schedule.state.${s.state}`),
    });
    const extra = [
      ...(s.nextAt ? [t(reader.locale, 'schedule.line_next', { date: date(reader, s.nextAt) })] : []),
      ...(s.paidRuns > 0 ? [t(reader.locale, 'schedule.line_runs', { count: s.paidRuns })] : []),
    ];
    return extra.length > 0 ? `${line}\n   ${extra.join(' · ')}` : line;
  });
  return { text: truncate([t(reader.locale, 'schedule.list_title'), ...lines].join('\n')) };
}

// Every notification template and button label the core sends has a message: a new one without does not compile.
type Unrendered = Exclude<TemplateKey | ButtonLabel, MessageKey>;
export const NOTIFICATIONS_COMPLETE: [Unrendered] extends [never] ? true : Unrendered = true;
