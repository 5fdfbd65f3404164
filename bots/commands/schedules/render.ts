/** Recurring transfers: the confirm card with the next runs, activated, cancelled, the list. */
import {
  formatAmount,
  formatClock,
  runTime,
  type ScheduleAcceptOutcome,
  type ScheduleActivateOutcome,
  type ScheduleCancelOutcome,
  type ScheduleCreateOutcome,
  type ScheduleShareView,
  type ScheduleSpec,
  type ScheduleView,
} from '../../../core/index.js';
import { button, date, message, truncate, whoToCheck, withNote, type Reader, renderCode } from '../render.js';
import type { Button, OutMessage } from '../types.js';
import { t } from '../../i18n/index.js';

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

/** One line per payer: ✅ accepted or ⏳ not yet, their share of each run and their weight of the whole. */
function shareLines(reader: Reader, shares: readonly ScheduleShareView[]): string {
  const total = shares.reduce((sum, s) => sum + s.weight, 0);
  return shares
    .map((s) =>
      t(reader.locale, 'schedule.share_line', {
        mark: s.accepted ? '✅' : '⏳',
        name: s.name,
        amount: formatAmount(s.amount),
        weight: s.weight,
        total,
      }),
    )
    .join('\n');
}

/** A row per payer who has not accepted yet: only that payer's tap counts on it (a single-person action). */
function acceptButtons(reader: Reader, shares: readonly ScheduleShareView[]): Button[][] {
  return shares.flatMap((s) =>
    s.actionId === null
      ? []
      : [
          [
            {
              label: t(reader.locale, 'schedule.accept_button', { name: s.name, amount: formatAmount(s.amount) }),
              actionId: s.actionId,
            },
          ],
        ],
  );
}

/** The card of a shared /every: every payer's share, and an Accept button for each. */
function renderSharedCard(
  reader: Reader,
  outcome: Extract<ScheduleCreateOutcome, { type: 'shared' }>,
  inGroup: boolean,
): OutMessage {
  const at = runTime(outcome.spec);
  const text = t(reader.locale, 'schedule.confirm_shared', {
    amount: formatAmount(outcome.amount),
    name: outcome.toName,
    who: whoToCheck(reader, { username: outcome.toUsername, seen: outcome.seen }, inGroup),
    cadence: renderCadence(reader, outcome.spec),
    timezone: outcome.timezone,
    time: formatClock(at.hour * 60 + at.minute),
    fund: outcome.fund,
    shares: shareLines(reader, outcome.shares),
    next: dateList(reader, outcome.next),
  });
  return { text: withNote(reader, text, outcome.note), buttons: acceptButtons(reader, outcome.shares) };
}

/** The reply to /every: the confirm card with the next runs and the Activate button (Accept buttons when shared). */
export function renderEveryOutcome(reader: Reader, outcome: ScheduleCreateOutcome, inGroup: boolean): OutMessage {
  if (outcome.type === 'rejected') return renderCode(reader, 'error', outcome.error);
  if (outcome.type === 'shared') return renderSharedCard(reader, outcome, inGroup);
  const at = runTime(outcome.spec);
  const text = t(reader.locale, 'schedule.confirm', {
    amount: formatAmount(outcome.amount),
    name: outcome.toName,
    who: whoToCheck(reader, { username: outcome.toUsername, seen: outcome.seen }, inGroup),
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
  if (outcome.type === 'rejected') return renderCode(reader, 'error', outcome.error);
  return message(reader, 'schedule.activated', {
    id: outcome.scheduleId.toString(),
    amount: formatAmount(outcome.amount),
    name: outcome.toName,
    next: outcome.next[0] ? date(reader, outcome.next[0]) : '—',
  });
}

/** The card after one payer accepted: who still has to (with their buttons), or that it is on. */
export function renderAcceptOutcome(reader: Reader, outcome: ScheduleAcceptOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderCode(reader, 'error', outcome.error);
  const params = {
    id: outcome.scheduleId.toString(),
    amount: formatAmount(outcome.amount),
    name: outcome.toName,
    fund: outcome.fund,
    shares: shareLines(reader, outcome.shares),
  };
  if (outcome.active)
    return message(reader, 'schedule.accepted_active', {
      ...params,
      next: outcome.next[0] ? date(reader, outcome.next[0]) : '—',
    });
  const waiting = outcome.shares.filter((s) => !s.accepted).map((s) => s.name);
  return {
    text: t(reader.locale, 'schedule.accepted_progress', { ...params, waiting: waiting.join(', ') }),
    buttons: acceptButtons(reader, outcome.shares),
  };
}

export function renderCancelOutcome(reader: Reader, outcome: ScheduleCancelOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderCode(reader, 'error', outcome.error);
  return message(reader, 'schedule.cancelled', {
    id: outcome.scheduleId.toString(),
    amount: formatAmount(outcome.amount),
    name: outcome.toName,
  });
}

export function renderSchedules(reader: Reader, schedules: readonly ScheduleView[]): OutMessage {
  if (schedules.length === 0) return message(reader, 'schedule.list_empty');
  const lines = schedules.map((s) => {
    const waiting = s.shared?.shares.filter((share) => !share.accepted).map((share) => share.name) ?? [];
    const line = t(reader.locale, 'schedule.line', {
      id: s.id.toString(),
      amount: formatAmount(s.amount),
      name: s.toName,
      cadence: renderCadence(reader, s.spec),
      // A shared schedule waits for people, not for an Activate tap: name them.
      state:
        s.shared && s.state === 'awaiting'
          ? t(reader.locale, 'schedule.line_waiting', { names: waiting.join(', ') })
          : t(reader.locale, `schedule.state.${s.state}`),
    });
    const extra = [
      ...(s.shared
        ? [
            t(reader.locale, 'schedule.line_shared', {
              fund: s.shared.fund,
              shares: s.shared.shares.map((share) => `${share.name} ${formatAmount(share.amount)}`).join(', '),
            }),
          ]
        : []),
      ...(s.nextAt ? [t(reader.locale, 'schedule.line_next', { date: date(reader, s.nextAt) })] : []),
      ...(s.paidRuns > 0 ? [t(reader.locale, 'schedule.line_runs', { count: s.paidRuns })] : []),
    ];
    return extra.length > 0 ? `${line}\n   ${extra.join(' · ')}` : line;
  });
  return { text: truncate([t(reader.locale, 'schedule.list_title'), ...lines].join('\n')) };
}
