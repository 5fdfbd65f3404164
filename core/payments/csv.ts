/** CSV of a history (RFC 4180), pure. */
import { currencyDigits } from '../money/amount.js';
import type { HistoryEntry } from './model.js';

/**
 * Amounts are unsigned; `direction` says which way the money went (an Undo is `in` for the payer). A reversal row
 * names the row it gives back in `reverses_id` (that row's `transfer_id`, whose state is `undone`).
 */
export const CSV_HEADER = [
  'date',
  'direction',
  'amount',
  'currency',
  'counterpart',
  'note',
  'kind',
  'state',
  'transfer_id',
  'reverses_id',
] as const;

/** `12.50`, `520`, `0.005`: the plain decimal of an amount, no grouping, exactly the currency's decimals. */
export function plainDecimal(minor: bigint, currency: string): string {
  const digits = currencyDigits(currency);
  const sign = minor < 0n ? '-' : '';
  const magnitude = (minor < 0n ? -minor : minor).toString().padStart(digits + 1, '0');
  if (digits === 0) return sign + magnitude;
  return `${sign}${magnitude.slice(0, -digits)}.${magnitude.slice(-digits)}`;
}

// A spreadsheet runs a cell starting with these as a formula (CSV injection): prefix a quote to show it as text.
const FORMULA_START = /^[=+\-@\t\r]/;

/** One RFC 4180 field: formula-looking text neutralised, then quoted when it holds a quote, comma or line break. */
export function csvField(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvRow(fields: readonly string[]): string {
  return fields.map(csvField).join(',');
}

/** The whole export: header and one CRLF-terminated line per entry, oldest first. */
export function historyCsv(entries: readonly HistoryEntry[]): string {
  const lines = [csvRow(CSV_HEADER)];
  for (const e of [...entries].reverse()) {
    lines.push(
      csvRow([
        e.at.toISOString(),
        e.direction,
        plainDecimal(e.amount.minor, e.amount.currency),
        e.amount.currency,
        e.counterpart,
        e.note ?? '',
        e.kind,
        e.state,
        e.transferId.toString(),
        e.reverses?.toString() ?? '',
      ]),
    );
  }
  return lines.join('\r\n') + '\r\n';
}
