import { minorDigits } from './currencies.js';
import { decimalToMinor } from './decimal.js';

/** Largest single amount per currency, in minor units (SPEC §3 `MAX_AMOUNT`). */
export interface MaxAmount {
  readonly perCurrency: ReadonlyMap<string, bigint>;
}

export type MaxAmountResult = { ok: true; value: MaxAmount } | { ok: false; message: string };

export const DEFAULT_MAX_AMOUNT_SPEC = '10000';

/** The cap of a currency that `MAX_AMOUNT` does not list. */
export const UNLISTED_MAX_MINOR = 10n ** 13n;

// Ledger amounts are BIGINT columns: a larger cap would admit amounts the database cannot store.
const BIGINT_MAX = 2n ** 63n - 1n;

const MAJOR_AMOUNT = /^([0-9]+)(?:\.([0-9]+))?$/;

export function maxFor(max: MaxAmount, currency: string): bigint {
  return max.perCurrency.get(currency) ?? UNLISTED_MAX_MINOR;
}

/**
 * Parses `MAX_AMOUNT`: `10000` caps the default currency, `USD:10000,JPY:1500000` caps each listed
 * currency; amounts are in major units. A bare number is only accepted alone, so that `10,000`
 * is an error rather than two caps.
 */
export function parseMaxAmount(spec: string, defaultCurrency: string): MaxAmountResult {
  const text = spec.trim();
  if (text === '') return { ok: false, message: 'empty value' };
  const entries = text.includes(':') ? text.split(',').map(splitEntry) : [[defaultCurrency, text] as const];
  const perCurrency = new Map<string, bigint>();
  for (const entry of entries) {
    if (typeof entry === 'string') return { ok: false, message: entry };
    const [currency, major] = entry;
    const cap = parseCap(currency, major);
    if (typeof cap === 'string') return { ok: false, message: cap };
    if (perCurrency.has(currency)) return { ok: false, message: `${currency} is listed twice` };
    perCurrency.set(currency, cap);
  }
  return { ok: true, value: { perCurrency } };
}

function splitEntry(entry: string): readonly [string, string] | string {
  const pieces = entry.split(':');
  const [currency, major] = pieces;
  if (pieces.length !== 2 || currency === undefined || major === undefined) {
    return `"${entry.trim()}" is not CODE:AMOUNT`;
  }
  return [currency.trim().toUpperCase(), major.trim()];
}

function parseCap(currency: string, major: string): bigint | string {
  const digits = minorDigits(currency);
  if (digits === undefined) return `unknown currency "${currency}"`;
  const match = MAJOR_AMOUNT.exec(major);
  if (!match) return `"${major}" is not a plain decimal amount for ${currency}`;
  const minor = decimalToMinor(match[1] ?? '', match[2] ?? '', digits, BIGINT_MAX);
  if (minor === 'TooManyDecimals') return `${currency} ${major} has more decimals than ${currency} allows (${digits})`;
  if (minor === 'TooLarge') return `${currency} ${major} is too large`;
  if (minor === 0n) return `${currency} cap must be above zero`;
  return minor;
}
