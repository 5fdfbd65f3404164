/** IOU outcomes: the offer card, confirmation, repayments, /ious, /iou show with its history. */
import {
  formatAmount,
  type ConfirmOutcome,
  type ExtendAnswerOutcome,
  type ExtendOutcome,
  type ForgiveOutcome,
  type IouGroup,
  type IouNudgeOutcome,
  type IouOutcome,
  type IouView,
  type RepayOutcome,
} from '../../../core/index.js';
import { t, type MessageKey } from '../../i18n/index.js';
import { date, message, renderCode, withNote, type Reader } from '../render.js';
import type { OutMessage } from '../types.js';

/** A due day as an absolute date with its weekday: `Fri 2026-12-18`, `2026-12-18（周五）`. */
export function dueDay(reader: Reader, day: string): string {
  const [year = 0, month = 1, d = 1] = day.split('-').map(Number);
  const weekday = new Intl.DateTimeFormat(reader.locale, { weekday: 'short', timeZone: 'UTC' }).format(
    new Date(Date.UTC(year, month - 1, d)),
  );
  return reader.locale === 'zh-CN' ? `${day}（${weekday}）` : `${weekday} ${day}`;
}

/** The lender's answer to /iou: the card the borrower also gets, with the due date read back as a date. */
export function renderOffered(reader: Reader, outcome: IouOutcome, lender: string): OutMessage {
  if (outcome.type === 'rejected') return renderCode(reader, 'error', outcome.error);
  const text = t(reader.locale, outcome.mode === 'record' ? 'iou.card_record' : 'iou.card', {
    lender,
    name: outcome.borrowerName,
    amount: formatAmount(outcome.amount),
    due: dueDay(reader, outcome.dueOn),
  });
  return { text: withNote(reader, text, outcome.note) };
}

export function renderConfirmed(reader: Reader, outcome: ConfirmOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderCode(reader, 'error', outcome.error);
  const key = outcome.mode === 'record' ? 'iou.you_confirmed_record' : 'iou.you_confirmed';
  const text = t(reader.locale, key, {
    amount: formatAmount(outcome.amount),
    name: outcome.lenderName,
    due: dueDay(reader, outcome.dueOn),
  });
  return { text: withNote(reader, text, outcome.note) };
}

export function renderRepaid(
  reader: Reader,
  outcome: RepayOutcome | { type: 'rejected'; error: 'IouNotFound' },
): OutMessage {
  if (outcome.type === 'rejected') {
    if (outcome.error === 'Overpayment')
      return message(reader, 'error.Overpayment', { name: outcome.lenderName, owed: formatAmount(outcome.owed) });
    return renderCode(reader, 'error', outcome.error);
  }
  return message(reader, outcome.outstanding.minor === 0n ? 'iou.you_repaid_all' : 'iou.you_repaid', {
    name: outcome.lenderName,
    amount: formatAmount(outcome.amount),
    outstanding: formatAmount(outcome.outstanding),
  });
}

export function renderForgiven(reader: Reader, outcome: ForgiveOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderCode(reader, 'error', outcome.error);
  return message(reader, 'iou.you_forgave', {
    name: outcome.borrowerName,
    amount: formatAmount(outcome.amount),
    id: outcome.iouId.toString(),
    outstanding: formatAmount(outcome.outstanding),
  });
}

export function renderExtendAsked(reader: Reader, outcome: ExtendOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderCode(reader, 'error', outcome.error);
  return message(reader, 'iou.extend_sent', {
    name: outcome.lenderName,
    id: outcome.iouId.toString(),
    due: dueDay(reader, outcome.dueOn),
  });
}

export function renderExtendAnswer(reader: Reader, outcome: ExtendAnswerOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderCode(reader, 'error', outcome.error);
  return message(reader, outcome.type === 'extended' ? 'iou.you_extended' : 'iou.you_refused', {
    name: outcome.borrowerName,
    id: outcome.iouId.toString(),
    due: dueDay(reader, outcome.dueOn),
  });
}

export function renderNudged(reader: Reader, outcome: IouNudgeOutcome): OutMessage {
  if (outcome.type === 'rejected') {
    if (outcome.error === 'NudgedToday' && outcome.next)
      return message(reader, 'error.NudgedToday', { next: date(reader, outcome.next) });
    return renderCode(reader, 'error', outcome.error);
  }
  return message(reader, 'iou.nudge_sent', { name: outcome.borrowerName, id: outcome.iouId.toString() });
}

/** /ious: what the reader owes, then what they are owed; per person and currency, each IOU with its due date. */
export function renderIous(reader: Reader, groups: readonly IouGroup[]): OutMessage {
  if (groups.length === 0) return message(reader, 'iou.empty');
  const { locale } = reader;
  const lines: string[] = [];
  for (const direction of ['owe', 'owed'] as const) {
    const mine = groups.filter((g) => g.direction === direction);
    if (mine.length === 0) continue;
    if (lines.length > 0) lines.push('');
    lines.push(t(locale, direction === 'owe' ? 'iou.owe_title' : 'iou.owed_title'));
    for (const group of mine) {
      const overdue =
        group.overdue.minor > 0n ? t(locale, 'iou.overdue_part', { amount: formatAmount(group.overdue) }) : '';
      lines.push(t(locale, 'iou.person_line', { name: group.name, amount: formatAmount(group.total), overdue }));
      for (const iou of group.ious) {
        const late = iou.overdue ? t(locale, 'iou.late') : '';
        const nudged =
          iou.nudgedAt && direction === 'owed' ? t(locale, 'iou.nudged', { date: date(reader, iou.nudgedAt) }) : '';
        lines.push(
          t(locale, 'iou.iou_line', {
            id: iou.id.toString(),
            amount: formatAmount(iou.outstanding),
            due: dueDay(reader, iou.dueOn),
            late: `${late}${nudged}`,
          }),
        );
      }
    }
  }
  if (groups.some((g) => g.direction === 'owed')) lines.push('', t(locale, 'iou.list_hint'));
  return { text: lines.join('\n') };
}

/** /iou show: the IOU, where it stands, and every event in order. */
export function renderShown(reader: Reader, view: IouView | 'IouNotFound'): OutMessage {
  if (view === 'IouNotFound') return renderCode(reader, 'error', view);
  const { locale } = reader;
  const { iou } = view;
  const state = iou.result ? t(locale, `iou.result.${iou.result}`) : t(locale, `iou.state.${iou.state}`);
  const lines = [
    t(locale, 'iou.show_title', {
      id: iou.id.toString(),
      lender: view.lenderName,
      borrower: view.borrowerName,
      amount: formatAmount(iou.amount),
      due: dueDay(reader, iou.dueOn),
    }),
    t(locale, 'iou.show_state', { state, outstanding: formatAmount(iou.outstanding) }),
    t(locale, 'iou.show_events'),
    ...view.events.map((e) =>
      t(locale, 'iou.show_event', {
        date: date(reader, e.at),
        text: t(locale, `iou.event.${e.kind}` as MessageKey, {
          actor: e.actorName ?? '',
          amount: e.amount ? formatAmount(e.amount) : '',
          due: e.dueOn ? dueDay(reader, e.dueOn) : '',
        }),
      }),
    ),
  ];
  return { text: withNote(reader, lines.join('\n'), iou.note) };
}
