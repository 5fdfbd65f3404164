import { describe, expect, it } from 'vitest';
import { amount } from './amount.js';
import { formatAmount, formatMinor } from './format.js';

describe('formatAmount', () => {
  it.each([
    [125075n, 'USD', '1,250.75 USD'],
    [520n, 'JPY', '520 JPY'],
    [1250n, 'CNY', '12.50 CNY'],
    [0n, 'USD', '0.00 USD'],
    [0n, 'JPY', '0 JPY'],
    [1n, 'USD', '0.01 USD'],
    [1005n, 'BHD', '1.005 BHD'],
    [1n, 'CLF', '0.0001 CLF'],
    [100000n, 'USD', '1,000.00 USD'],
    [99999n, 'USD', '999.99 USD'],
    [1234567890123n, 'USD', '12,345,678,901.23 USD'],
    [1000000n, 'KRW', '1,000,000 KRW'],
    [-1250n, 'USD', '-12.50 USD'],
    [-1n, 'USD', '-0.01 USD'],
    [-1234567n, 'JPY', '-1,234,567 JPY'],
  ])('formats %s minor units of %s as %j', (minor, currency, expected) => {
    expect(formatAmount(amount(minor, currency))).toBe(expected);
  });

  it('gives the number part alone with formatMinor', () => {
    expect(formatMinor(125075n, 'USD')).toBe('1,250.75');
    expect(formatMinor(-5n, 'KWD')).toBe('-0.005');
  });

  it('throws for an unknown currency, a programmer error', () => {
    expect(() => formatMinor(1n, 'XYZ')).toThrow(RangeError);
  });
});
