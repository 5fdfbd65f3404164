import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CURRENCY_CODES } from './currencies.js';
import { formatAmount, formatMinor } from './format.js';
import { DEFAULT_MAX_AMOUNT_SPEC, UNLISTED_MAX_MINOR, parseMaxAmount, type MaxAmount } from './max.js';
import { AMOUNT_ERRORS, parseAmount, type AmountError } from './parse.js';

function maxOf(spec: string, defaultCurrency = 'USD'): MaxAmount {
  const parsed = parseMaxAmount(spec, defaultCurrency);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
}

const DEFAULT_MAX = maxOf(DEFAULT_MAX_AMOUNT_SPEC);
const NO_LISTED_CAPS: MaxAmount = { perCurrency: new Map() };

/** Test-name label for an input: JSON-quoted, long inputs shortened. */
function show(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 20)}… (${text.length} chars)` : text);
}

function parse(text: string, defaultCurrency = 'USD', max = DEFAULT_MAX) {
  return parseAmount(text, { defaultCurrency, max });
}

describe('parseAmount accepts', () => {
  const accepted: [string, string, string, bigint, string][] = [
    ['a plain integer in the default currency', '20', 'USD', 2000n, 'USD'],
    ['a decimal amount', '12.5', 'USD', 1250n, 'USD'],
    ['thousands groups of three', '1,250.75', 'USD', 125075n, 'USD'],
    ['a full-width amount', '２０', 'USD', 2000n, 'USD'],
    ['full-width digits and punctuation', '１，２５０．７５', 'USD', 125075n, 'USD'],
    ['a full-width code', 'ＵＳＤ ２０', 'CNY', 2000n, 'USD'],
    ['a full-width dollar sign', '＄5', 'USD', 500n, 'USD'],
    ['¥ as CNY when the default is CNY', '¥20', 'CNY', 2000n, 'CNY'],
    ['¥ as JPY when the default is JPY', '¥20', 'JPY', 20n, 'JPY'],
    ['¥ as CNY when the default is neither', '¥20', 'USD', 2000n, 'CNY'],
    ['full-width ￥ like ¥', '￥20', 'JPY', 20n, 'JPY'],
    ['$ as the default currency when it is a dollar', '$5', 'CAD', 500n, 'CAD'],
    ['$ as USD when the default is not a dollar', '$5', 'CNY', 500n, 'USD'],
    ['$ followed by a space', '$ 5', 'USD', 500n, 'USD'],
    ['€ as EUR', '€1,000', 'USD', 100000n, 'EUR'],
    ['£ as GBP', '£3.50', 'USD', 350n, 'GBP'],
    ['₩ as KRW', '₩5000', 'USD', 5000n, 'KRW'],
    ['₹ as INR', '₹99', 'USD', 9900n, 'INR'],
    ['元 after the number as CNY', '20元', 'USD', 2000n, 'CNY'],
    ['块 after the number as CNY', '20 块', 'USD', 2000n, 'CNY'],
    ['a lower-case code after with a space', '20 usd', 'CNY', 2000n, 'USD'],
    ['a code after without a space', '20usd', 'CNY', 2000n, 'USD'],
    ['a code after in upper case', '20 USD', 'CNY', 2000n, 'USD'],
    ['a code before without a space', 'usd20', 'CNY', 2000n, 'USD'],
    ['a code before with a space', 'USD 20', 'CNY', 2000n, 'USD'],
    ['a code in mixed case', 'Eur 7', 'USD', 700n, 'EUR'],
    ['surrounding spaces', '  20  ', 'USD', 2000n, 'USD'],
    ['zero decimals beyond a zero-digit currency', '520.0 JPY', 'USD', 520n, 'JPY'],
    ['zero decimals beyond the default currency', '20.500', 'USD', 2050n, 'USD'],
    ['three decimals in a three-digit currency', '1.005 BHD', 'USD', 1005n, 'BHD'],
    ['four decimals in a four-digit currency', '0.0001 CLF', 'USD', 1n, 'CLF'],
    ['the smallest minor unit', '0.01', 'USD', 1n, 'USD'],
    ['leading zeros', '007', 'USD', 700n, 'USD'],
    ['exactly the cap', '10,000', 'USD', 1000000n, 'USD'],
    ['its own formatted output', '1,250.75 USD', 'CNY', 125075n, 'USD'],
    ['mathematical digits, which NFKC maps to ASCII', '𝟐𝟎', 'USD', 2000n, 'USD'],
  ];

  it.each(accepted)('%s: %j', (_behaviour, text, defaultCurrency, minor, currency) => {
    expect(parse(text, defaultCurrency)).toEqual({ ok: true, amount: { minor, currency } });
  });
});

const rejected: [string, string, AmountError][] = [
  ['an empty text', '', 'Empty'],
  ['only spaces', '   ', 'Empty'],
  ['a currency with no number', 'USD', 'Empty'],
  ['zero', '0', 'Zero'],
  ['zero with decimals', '0.00', 'Zero'],
  ['negative zero', '-0', 'Zero'],
  ['a negative amount', '-5', 'Negative'],
  ['a negative amount with the typographic minus', '\u22125', 'Negative'],
  ['a negative amount after a code', 'USD -5', 'Negative'],
  ['a leading plus', '+5', 'LeadingPlus'],
  ['an exponent', '1e3', 'Exponent'],
  ['an upper-case exponent', '1E3', 'Exponent'],
  ['a signed exponent', '1.5e-3 USD', 'Exponent'],
  ['NaN', 'NaN', 'NotANumber'],
  ['Infinity', 'Infinity', 'NotANumber'],
  ['negative Infinity', '-Infinity', 'NotANumber'],
  ['NaN before a code', 'NaN USD', 'NotANumber'],
  ['Infinity after a code', 'usd Infinity', 'NotANumber'],
  ['a hexadecimal number', '0x10', 'Hex'],
  ['a hexadecimal number with a code', '0xFF USD', 'Hex'],
  ['a group of two digits', '1,25', 'BadGrouping'],
  ['a group of four digits', '12,5000', 'BadGrouping'],
  ['a leading comma', ',100', 'BadGrouping'],
  ['a trailing comma', '100,', 'BadGrouping'],
  ['a comma after the decimal point', '1.250,75', 'BadGrouping'],
  ['two decimal points', '12.5.5', 'MultipleDecimalPoints'],
  ['a non-zero third decimal in USD', '1.005', 'TooManyDecimals'],
  ['a non-zero decimal in JPY', '520.5 JPY', 'TooManyDecimals'],
  ['thirty non-zero decimals', `0.${'1'.repeat(30)}`, 'TooManyDecimals'],
  ['an amount over the cap', '10,000.01', 'TooLarge'],
  ['2^53 + 1', '9007199254740993', 'TooLarge'],
  ['a million digits', '9'.repeat(1_000_000), 'TooLarge'],
  ['an unknown code after', '20 XYZ', 'UnknownCurrency'],
  ['an unknown code before', 'XYZ 20', 'UnknownCurrency'],
  ['a metal code, which has no minor unit', '1 XAU', 'UnknownCurrency'],
  ['Arabic-Indic digits', '٢٠', 'ForeignDigits'],
  ['Devanagari digits', '२०', 'ForeignDigits'],
  ['a zero-width joiner inside the digits', '2\u200D0', 'Malformed'],
  ['a right-to-left mark before the digits', '\u200F20', 'Malformed'],
  ['two amounts', '5 USD 10', 'Malformed'],
  ['a code on both sides', 'USD 5 USD', 'Malformed'],
  ['a symbol after the number', '20$', 'Malformed'],
  ['a space inside the digits', '1 000', 'Malformed'],
  ['a word', 'twenty', 'Malformed'],
  ['a leading decimal point', '.5', 'Malformed'],
  ['a trailing decimal point', '5.', 'Malformed'],
  ['a superscript digit, which NFKC would append', '10²', 'Malformed'],
  ['a circled digit', '①', 'Malformed'],
  ['two signs', '--5', 'Malformed'],
];

describe('parseAmount rejects', () => {
  it.each(rejected.map(([behaviour, text, reason]) => [behaviour, show(text), text, reason] as const))(
    '%s: %s',
    (_behaviour, _label, text, reason) => {
      expect(parse(text)).toEqual({ ok: false, reason });
    },
  );

  it('has a rejected example for every reason', () => {
    expect(new Set(rejected.map(([, , reason]) => reason))).toEqual(new Set(AMOUNT_ERRORS));
  });

  // A backtracking parser would not finish these within the test timeout.
  it('rejects very long digit strings with their reason', () => {
    expect(parse(`${'1'.repeat(1_000_000)}x`)).toMatchObject({ ok: false });
    expect(parse(`0.${'0'.repeat(1_000_000)}1`)).toEqual({ ok: false, reason: 'TooManyDecimals' });
    expect(parse(`1${',000'.repeat(300_000)}`)).toEqual({ ok: false, reason: 'TooLarge' });
  });

  it('never throws and always gives a known reason, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const result = parse(text);
        if (!result.ok) expect(AMOUNT_ERRORS).toContain(result.reason);
      }),
    );
  });

  it('throws when the default currency is unknown, a programmer error', () => {
    expect(() => parse('20', 'XYZ')).toThrow(RangeError);
  });
});

describe('parseAmount caps', () => {
  const max = maxOf('USD:10000,CNY:50000,JPY:1500000');

  it('applies each listed cap in its own currency', () => {
    expect(parse('50,000 CNY', 'USD', max).ok).toBe(true);
    expect(parse('50,000.01 CNY', 'USD', max)).toEqual({ ok: false, reason: 'TooLarge' });
    expect(parse('1,500,000 JPY', 'USD', max).ok).toBe(true);
    expect(parse('1,500,001 JPY', 'USD', max)).toEqual({ ok: false, reason: 'TooLarge' });
  });

  it('caps an unlisted currency at 10^13 minor units', () => {
    expect(parse('100,000,000,000 EUR', 'USD', max)).toEqual({
      ok: true,
      amount: { minor: UNLISTED_MAX_MINOR, currency: 'EUR' },
    });
    expect(parse('100,000,000,000.01 EUR', 'USD', max)).toEqual({ ok: false, reason: 'TooLarge' });
  });
});

describe('parseAmount round trip', () => {
  const minorWithinCap = fc.bigInt({ min: 1n, max: UNLISTED_MAX_MINOR });
  const currency = fc.constantFrom(...CURRENCY_CODES);

  it('accepts formatted output and gives back the same amount', () => {
    fc.assert(
      fc.property(minorWithinCap, currency, currency, (minor, code, defaultCurrency) => {
        const parsed = parse(formatAmount({ minor, currency: code }), defaultCurrency, NO_LISTED_CAPS);
        expect(parsed).toEqual({ ok: true, amount: { minor, currency: code } });
      }),
    );
  });

  it('reads a formatted number without a code in the default currency', () => {
    fc.assert(
      fc.property(minorWithinCap, currency, (minor, code) => {
        const parsed = parse(formatMinor(minor, code), code, NO_LISTED_CAPS);
        expect(parsed).toEqual({ ok: true, amount: { minor, currency: code } });
      }),
    );
  });
});

describe('parseMaxAmount', () => {
  it('applies a bare number to the default currency in major units', () => {
    expect(parseMaxAmount('10000', 'USD')).toEqual({ ok: true, value: { perCurrency: new Map([['USD', 1000000n]]) } });
    expect(parseMaxAmount('10000', 'JPY')).toEqual({ ok: true, value: { perCurrency: new Map([['JPY', 10000n]]) } });
  });

  it('sets several currencies at once', () => {
    expect(parseMaxAmount('USD:10000, cny:50000.5,JPY:1500000', 'EUR')).toEqual({
      ok: true,
      value: {
        perCurrency: new Map([
          ['USD', 1000000n],
          ['CNY', 5000050n],
          ['JPY', 1500000n],
        ]),
      },
    });
  });

  it.each([
    ['an empty spec', ''],
    ['an unknown currency', 'XYZ:100'],
    ['an unknown default currency', '100'],
    ['a bare number with a thousands comma', '10,000'],
    ['a word', 'lots'],
    ['a negative cap', 'USD:-5'],
    ['a zero cap', 'USD:0'],
    ['an exponent', 'USD:1e4'],
    ['more decimals than the currency has', 'JPY:10.5'],
    ['a currency listed twice', 'USD:1,USD:2'],
    ['an entry without a colon', 'USD:1,500'],
    ['a trailing comma', 'USD:1,'],
    ['a cap the ledger cannot store', `USD:${'9'.repeat(20)}`],
  ])('rejects %s', (_behaviour, spec) => {
    const parsed = parseMaxAmount(spec, spec === '100' ? 'XYZ' : 'USD');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message.length).toBeGreaterThan(0);
  });
});
