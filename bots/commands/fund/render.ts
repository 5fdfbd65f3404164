/** Group funds: created, added, the list, a fund shown with its progress and movements, members, a spending vote. */
import {
  formatAmount,
  type Fund,
  type FundAddOutcome,
  type FundCloseOutcome,
  type FundCreateOutcome,
  type FundRejected,
  type FundMembersOutcome,
  type FundSpendOutcome,
  type FundView,
  type PotBindOutcome,
  type Amount,
} from '../../../core/index.js';
import { t } from '../../i18n/index.js';
import { date, message, renderCode, renderNotification, truncate, withNote, type Reader } from '../render.js';
import type { Effect, OutMessage } from '../types.js';

/** A text progress bar of ten cells: `▓▓▓▓░░░░░░ 40%`. */
export function progressBar(part: bigint, whole: bigint): string {
  const percent = whole <= 0n ? 0 : Number((part * 100n) / whole);
  const filled = Math.max(0, Math.min(10, Math.floor(percent / 10)));
  return `${'▓'.repeat(filled)}${'░'.repeat(10 - filled)} ${percent}%`;
}

const target = (reader: Reader, fund: Fund): string =>
  fund.target === null ? '' : t(reader.locale, 'fund.target', { amount: formatAmount(targetOf(fund)) });

const targetOf = (fund: Fund): Amount => ({ minor: fund.target ?? 0n, currency: fund.currency });

/** A refusal; a locked pot's names its date. */
export function renderRefusal(reader: Reader, outcome: FundRejected): OutMessage {
  if ((outcome.error === 'Locked' || outcome.error === 'Unlocked') && outcome.until)
    return message(reader, `error.${outcome.error}`, { date: date(reader, outcome.until) });
  if (outcome.error === 'SharesRecurring' && outcome.scheduleId !== undefined)
    return message(reader, 'error.SharesRecurring', { id: outcome.scheduleId.toString() });
  return renderCode(reader, 'error', outcome.error);
}

export function renderCreated(reader: Reader, outcome: FundCreateOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderRefusal(reader, outcome);
  const { fund } = outcome;
  return message(reader, 'fund.created', {
    name: fund.name,
    creator: outcome.creatorName,
    target:
      target(reader, fund) +
      (fund.lockedUntil === null
        ? ''
        : t(reader.locale, 'fund.pot', {
            beneficiary: outcome.beneficiaryName ?? '—',
            date: date(reader, fund.lockedUntil),
          }) +
          (fund.beneficiary === null && fund.beneficiaryUsername !== null
            ? t(reader.locale, 'fund.waiting_for', { username: fund.beneficiaryUsername })
            : '')),
  });
}

/** The creator's "it is them" on a pot that waited for an @username. */
export function renderPotBound(reader: Reader, outcome: PotBindOutcome): OutMessage {
  switch (outcome.type) {
    case 'bound':
      return outcome.paid
        ? message(reader, 'fund.bound_paid', {
            fund: outcome.fund.name,
            name: outcome.beneficiaryName,
            amount: formatAmount(outcome.paid),
          })
        : message(reader, 'fund.bound', { fund: outcome.fund.name, name: outcome.beneficiaryName });
    case 'rejected':
      return message(reader, outcome.error === 'UsernameMoved' ? 'fund.bind_moved' : 'fund.bind_refused', {});
  }
}

export function renderAdded(reader: Reader, outcome: FundAddOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderRefusal(reader, outcome);
  const text = t(reader.locale, 'fund.added', {
    name: outcome.fund.name,
    amount: formatAmount(outcome.amount),
    balance: formatAmount(outcome.balance),
  });
  return { text: withNote(reader, text, outcome.note) };
}

export function renderList(reader: Reader, funds: ReadonlyArray<{ fund: Fund; balance: Amount }>): OutMessage {
  if (funds.length === 0) return message(reader, 'fund.list_empty');
  const lines = funds.map(({ fund, balance }) =>
    t(reader.locale, 'fund.list_line', { name: fund.name, balance: formatAmount(balance) }),
  );
  return { text: truncate([t(reader.locale, 'fund.list_title'), ...lines].join('\n')) };
}

export function renderShown(reader: Reader, view: FundView | undefined): OutMessage {
  if (!view) return renderCode(reader, 'error', 'UnknownFund');
  const { fund, balance } = view;
  const { locale } = reader;
  const lines = [t(locale, 'fund.show_title', { name: fund.name, balance: formatAmount(balance) })];
  if (fund.target !== null)
    lines.push(
      t(locale, 'fund.show_target', {
        target: formatAmount(targetOf(fund)),
        bar: progressBar(balance.minor, fund.target),
      }),
    );
  if (fund.lockedUntil !== null) {
    const params = { beneficiary: view.beneficiaryName ?? '—', date: date(reader, fund.lockedUntil) };
    lines.push(t(locale, fund.state === 'matured' ? 'fund.show_matured' : 'fund.show_pot', params));
  }
  if (fund.state === 'closed') lines.push(t(locale, 'fund.show_closed'));
  lines.push(t(locale, 'fund.show_members', { names: view.members.map((m) => m.displayName).join(', ') }));
  if (view.openSpends > 0) lines.push(t(locale, 'fund.show_open', { count: view.openSpends }));
  if (view.movements.length > 0) lines.push('', t(locale, 'fund.show_movements'));
  for (const m of view.movements) {
    const params = { date: date(reader, m.at), amount: formatAmount(m.amount), name: m.name };
    let line = t(locale, m.direction === 'in' ? 'fund.movement_in' : 'fund.movement_out', params);
    if (m.note) line += ` — ${m.note}`;
    if (m.approvedBy.length > 0) line += ` ${t(locale, 'fund.approved_by', { names: m.approvedBy.join(', ') })}`;
    lines.push(line);
  }
  return { text: truncate(lines.join('\n')) };
}

export function renderMembers(reader: Reader, outcome: FundMembersOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderRefusal(reader, outcome);
  const names = outcome.members.map((m) => m.displayName).join(', ');
  const list = t(reader.locale, 'fund.members', { name: outcome.fund.name, names });
  if (outcome.changed === null) return { text: list };
  const key = outcome.changed === 'added' ? 'fund.member_added' : 'fund.member_removed';
  return { text: `${t(reader.locale, key, { member: outcome.name ?? '', name: outcome.fund.name })}\n${list}` };
}

type Vote = { message: OutMessage; poll?: Extract<Effect, { type: 'poll' }> };

/**
 * A vote: its card (the same live template the worker renders as votes come in and when it is decided) and the
 * poll members answer — a native poll on Telegram, Yes / No buttons elsewhere (pressing again changes the vote).
 */
function voteOf(
  reader: Reader,
  card: Extract<FundSpendOutcome, { type: 'vote' }>['card'],
  question: string,
  pollRef: string,
): Vote {
  const { view } = card;
  return {
    message: renderNotification(view.locale, view.template, { timeZone: view.timeZone }),
    poll: {
      type: 'poll',
      question,
      options: [t(reader.locale, 'button.yes'), t(reader.locale, 'button.no')],
      pollRef,
    },
  };
}

/** A spend's vote. */
export function renderSpend(reader: Reader, outcome: FundSpendOutcome): Vote {
  if (outcome.type === 'rejected') return { message: renderRefusal(reader, outcome) };
  const question = t(reader.locale, 'fund.poll_question', {
    name: outcome.fund.name,
    amount: formatAmount(outcome.amount),
    payee: outcome.payeeName,
  });
  return voteOf(reader, outcome.card, question, outcome.actionId);
}

/** A close's vote, as for a spend. */
export function renderClose(reader: Reader, outcome: FundCloseOutcome): Vote {
  if (outcome.type === 'rejected') return { message: renderRefusal(reader, outcome) };
  const question = t(reader.locale, 'fund.close_poll_question', {
    name: outcome.fund.name,
    balance: formatAmount(outcome.balance),
  });
  return voteOf(reader, outcome.card, question, outcome.actionId);
}
