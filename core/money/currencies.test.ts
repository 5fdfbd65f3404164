import { describe, expect, it } from 'vitest';
import { amount, sameCurrency } from './amount.js';
import { CURRENCY_CODES, isCurrency, minorDigits } from './currencies.js';

describe('the ISO 4217 table', () => {
  it.each([
    ['JPY', 0],
    ['KRW', 0],
    ['VND', 0],
    ['CLP', 0],
    ['ISK', 0],
    ['UGX', 0],
    ['USD', 2],
    ['CNY', 2],
    ['EUR', 2],
    ['IDR', 2],
    ['HUF', 2],
    ['BHD', 3],
    ['KWD', 3],
    ['IQD', 3],
    ['JOD', 3],
    ['LYD', 3],
    ['OMR', 3],
    ['TND', 3],
    ['CLF', 4],
    ['UYW', 4],
  ])("uses ISO's minor digits for %s (%i)", (code, digits) => {
    expect(minorDigits(code)).toBe(digits);
  });

  it.each(['XAU', 'XAG', 'XPT', 'XPD', 'XDR', 'XXX', 'XTS', 'XYZ', 'usd', '', 'constructor'])(
    'does not list %j, which has no minor unit or is not a code',
    (code) => {
      expect(isCurrency(code)).toBe(false);
      expect(minorDigits(code)).toBeUndefined();
    },
  );

  it('lists only upper-case three-letter codes, each once', () => {
    expect(CURRENCY_CODES.every((code) => /^[A-Z]{3}$/.test(code))).toBe(true);
    expect(new Set(CURRENCY_CODES).size).toBe(CURRENCY_CODES.length);
    expect(CURRENCY_CODES.length).toBeGreaterThan(150);
  });
});

describe('amount', () => {
  it('throws for an unknown currency, a programmer error', () => {
    expect(() => amount(1n, 'XYZ')).toThrow(RangeError);
  });

  it('is immutable', () => {
    expect(Object.isFrozen(amount(1n, 'USD'))).toBe(true);
  });

  it('compares currencies', () => {
    expect(sameCurrency(amount(1n, 'USD'), amount(2n, 'USD'))).toBe(true);
    expect(sameCurrency(amount(1n, 'USD'), amount(1n, 'CAD'))).toBe(false);
  });
});
