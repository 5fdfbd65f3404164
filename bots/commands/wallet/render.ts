/** /balance and /history replies. */
import { formatAmount } from '../../../core/index.js';
import { formatDate, t, translate, type MessageKey } from '../../i18n/index.js';
import { TEXT_LIMIT, message, truncate, type Reader } from '../render.js';
import type { OutMessage } from '../types.js';

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
  /** The ledger's kind (pay, pay.undo, withdrawal.returned…): names why a reversal happened, when a key says so. */
  kind: string;
  /** Set on a reversal: the transfer it gives back. */
  reverses: bigint | null;
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
      // Each system account's name in the reader's language is `history.system.<name>`; others show their own.
      return translate(reader.locale, `history.system.${party.name}`) ?? party.name;
  }
}

/** `history.in` / `history.out`; a reversal reads as money given back (`history.back_*`), never as a new payment. */
function historyLine(reader: Reader, entry: HistoryView): string {
  const reversal = entry.reverses !== null;
  const key = reversal
    ? entry.direction === 'in'
      ? 'history.back_in'
      : 'history.back_out'
    : entry.direction === 'in'
      ? 'history.in'
      : 'history.out';
  const line = t(reader.locale, key, {
    date: formatDate(entry.at, reader.locale, reader.timeZone, 'short'),
    amount: formatAmount(entry.amount),
    counterpart: counterpart(reader, entry.party),
  });
  // Why money came back, for the kinds that have a key `history.back_why.<kind>` (an Undo: you undid it).
  const why =
    reversal && entry.direction === 'in' ? translate(reader.locale, `history.back_why.${entry.kind}`) : undefined;
  const stateKey = STATE_KEYS[entry.state];
  const state = stateKey ? ` ${t(reader.locale, stateKey)}` : '';
  return `${line}${why ? ` ${why}` : ''}${state}${entry.note ? ` — ${entry.note}` : ''}`;
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
