import { amount, type Amount } from './amount.js';
import { isCurrency, minorDigits } from './currencies.js';
import { decimalToMinor, stripLeadingZeros, stripTrailingZeros } from './decimal.js';
import { maxFor, type MaxAmount } from './max.js';

/** Why a typed amount was rejected; adapters map each to a message with a `Record<AmountError, string>`. */
export const AMOUNT_ERRORS = [
  'Empty',
  'Zero',
  'Negative',
  'LeadingPlus',
  'Exponent',
  'NotANumber',
  'Hex',
  'BadGrouping',
  'MultipleDecimalPoints',
  'TooManyDecimals',
  'TooLarge',
  'UnknownCurrency',
  'ForeignDigits',
  'Malformed',
] as const;

export type AmountError = (typeof AMOUNT_ERRORS)[number];

export interface ParseOptions {
  readonly defaultCurrency: string;
  readonly max: MaxAmount;
}

export type ParseResult = { ok: true; amount: Amount } | { ok: false; reason: AmountError };

/** Dollar currencies: `$` means the default currency when it is one of these, else USD. */
const DOLLARS: ReadonlySet<string> = new Set(
  'AUD BBD BMD BND BSD BZD CAD FJD GYD HKD JMD KYD LRD NAD NZD SBD SGD SRD TTD TWD USD XCD'.split(' '),
);

// NFKC would silently turn `10²` into `102` and `①` into `1`; such characters are rejected instead.
const NUMBER_FORMS = /\p{No}/u;
// Zero-width joiners and direction marks survive NFKC and could hide a digit boundary.
const INVISIBLE = /\p{Cf}/u;
const FOREIGN_DIGIT = /(?![0-9])\p{Nd}/u;
const NOT_A_NUMBER = /^(?:nan|inf|infinity|∞)$/i;
const HEX = /^0x[0-9a-f]+$/i;
const EXPONENT = /^[0-9.,]+e[+-]?[0-9]+$/i;
const DECIMAL = /^[0-9.,]+$/;
const DIGIT = /[0-9]/;
const GROUPED = /^[1-9][0-9]{0,2}(?:,[0-9]{3})+$/;
const LETTER = /^[A-Za-z]$/;
const CODE = /^[A-Za-z]{3}$/;

type Sign = '' | '+' | '-';

interface Pieces {
  readonly sign: Sign;
  readonly currency: string;
  readonly number: string;
}

interface Decimal {
  readonly whole: string;
  readonly fraction: string;
}

/**
 * Parses a typed amount (SPEC §5): an optional currency code, symbol or 元/块, then a positive
 * decimal with `.` and optional `,` groups of three. Never throws for any text; an unknown
 * `defaultCurrency` is a programmer error and throws.
 */
export function parseAmount(text: string, options: ParseOptions): ParseResult {
  if (!isCurrency(options.defaultCurrency)) throw new RangeError(`unknown currency: ${options.defaultCurrency}`);
  const pieces = splitPieces(text, options.defaultCurrency);
  if (typeof pieces === 'string') return reject(pieces);
  const minor = toMinor(pieces, options.max);
  return typeof minor === 'string' ? reject(minor) : { ok: true, amount: amount(minor, pieces.currency) };
}

function reject(reason: AmountError): ParseResult {
  return { ok: false, reason };
}

function splitPieces(text: string, defaultCurrency: string): Pieces | AmountError {
  if (NUMBER_FORMS.test(text)) return 'Malformed';
  const normalized = text.normalize('NFKC').trim();
  if (normalized === '') return 'Empty';
  if (INVISIBLE.test(normalized)) return 'Malformed';
  if (FOREIGN_DIGIT.test(normalized)) return 'ForeignDigits';
  const outer = splitSign(normalized);
  if (NOT_A_NUMBER.test(outer.rest)) return 'NotANumber';
  const located = splitCurrency(outer.rest, defaultCurrency);
  const inner = splitSign(located.number);
  if (outer.sign !== '' && inner.sign !== '') return 'Malformed';
  const currency = located.currency.toUpperCase();
  if (!isCurrency(currency)) return 'UnknownCurrency';
  return { sign: outer.sign || inner.sign, currency, number: inner.rest };
}

function splitSign(text: string): { sign: Sign; rest: string } {
  const first = text[0];
  if (first === '+') return { sign: '+', rest: text.slice(1).trimStart() };
  // U+2212 is the typographic minus sign; NFKC leaves it as is.
  if (first === '-' || first === '\u2212') return { sign: '-', rest: text.slice(1).trimStart() };
  return { sign: '', rest: text };
}

interface Located {
  readonly currency: string;
  readonly number: string;
}

function splitCurrency(text: string, defaultCurrency: string): Located {
  const symbol = symbolCurrency(text.slice(0, 1), defaultCurrency);
  if (symbol !== undefined) return { currency: symbol, number: text.slice(1).trimStart() };
  const last = text.slice(-1);
  if (last === '元' || last === '块') return { currency: 'CNY', number: text.slice(0, -1).trimEnd() };
  const before = codeBefore(text);
  const after = codeAfter(text);
  // A known code wins over a code-shaped word, so `NaN USD` reads as NaN rather than as currency "NAN".
  const known = [before, after].find((code) => code !== undefined && isCurrency(code.currency.toUpperCase()));
  return known ?? before ?? after ?? { currency: defaultCurrency, number: text };
}

function codeBefore(text: string): Located | undefined {
  const head = text.slice(0, 3);
  if (!CODE.test(head) || LETTER.test(text.slice(3, 4))) return undefined;
  return { currency: head, number: text.slice(3).trimStart() };
}

function codeAfter(text: string): Located | undefined {
  const tail = text.slice(-3);
  if (!CODE.test(tail) || LETTER.test(text.slice(-4, -3))) return undefined;
  return { currency: tail, number: text.slice(0, -3).trimEnd() };
}

function symbolCurrency(symbol: string, defaultCurrency: string): string | undefined {
  switch (symbol) {
    case '$':
      return DOLLARS.has(defaultCurrency) ? defaultCurrency : 'USD';
    case '¥':
      return defaultCurrency === 'JPY' ? 'JPY' : 'CNY';
    case '€':
      return 'EUR';
    case '£':
      return 'GBP';
    case '₩':
      return 'KRW';
    case '₹':
      return 'INR';
    default:
      return undefined;
  }
}

function toMinor(pieces: Pieces, max: MaxAmount): bigint | AmountError {
  const decimal = readDecimal(pieces.number);
  if (typeof decimal === 'string') return decimal;
  if (pieces.sign === '+') return 'LeadingPlus';
  if (stripLeadingZeros(decimal.whole) === '' && stripTrailingZeros(decimal.fraction) === '') return 'Zero';
  if (pieces.sign === '-') return 'Negative';
  const digits = minorDigits(pieces.currency) ?? 0;
  return decimalToMinor(decimal.whole, decimal.fraction, digits, maxFor(max, pieces.currency));
}

function readDecimal(text: string): Decimal | AmountError {
  if (text === '') return 'Empty';
  if (NOT_A_NUMBER.test(text)) return 'NotANumber';
  if (HEX.test(text)) return 'Hex';
  if (EXPONENT.test(text)) return 'Exponent';
  if (!DECIMAL.test(text) || !DIGIT.test(text)) return 'Malformed';
  const [whole = '', fraction, ...extra] = text.split('.');
  if (extra.length > 0) return 'MultipleDecimalPoints';
  // `.5` and `5.` are rejected: a dot with no digit on one side is more likely a typo than a value.
  if (whole === '' || fraction === '') return 'Malformed';
  if (fraction?.includes(',') || (whole.includes(',') && !GROUPED.test(whole))) return 'BadGrouping';
  return { whole: whole.replaceAll(',', ''), fraction: fraction ?? '' };
}
