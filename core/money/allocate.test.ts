import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { amount, type Amount } from './amount.js';
import { allocate, split } from './allocate.js';

const minors = (parts: readonly Amount[]) => parts.map((part) => part.minor);
const sum = (parts: readonly Amount[]) => parts.reduce((acc, part) => acc + part.minor, 0n);

describe('allocate', () => {
  it('gives the leftover unit to the largest remainder', () => {
    expect(minors(allocate(amount(100n, 'USD'), [1n, 2n]))).toEqual([33n, 67n]);
  });

  it('breaks remainder ties in favour of the earlier part', () => {
    expect(minors(allocate(amount(5n, 'USD'), [70n, 30n]))).toEqual([4n, 1n]);
    expect(minors(allocate(amount(2n, 'USD'), [1n, 1n, 1n]))).toEqual([1n, 1n, 0n]);
  });

  it('gives a zero ratio nothing', () => {
    expect(minors(allocate(amount(1n, 'USD'), [0n, 1n, 0n]))).toEqual([0n, 1n, 0n]);
  });

  it('splits a negative total like a positive one', () => {
    expect(minors(allocate(amount(-100n, 'USD'), [1n, 2n]))).toEqual([-33n, -67n]);
  });

  it('keeps the currency of the total', () => {
    expect(allocate(amount(7n, 'JPY'), [1n, 1n]).every((part) => part.currency === 'JPY')).toBe(true);
  });

  it.each([
    ['no ratios', []],
    ['a negative ratio', [-1n, 2n]],
    ['ratios that sum to zero', [0n, 0n]],
  ])('throws for %s', (_behaviour, ratios) => {
    expect(() => allocate(amount(100n, 'USD'), ratios)).toThrow(RangeError);
  });

  it('never loses or creates a minor unit and never gives a negative part', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 6n }), { minLength: 1, maxLength: 30 }),
        (total, ratios) => {
          fc.pre(ratios.some((ratio) => ratio > 0n));
          const parts = allocate(amount(total, 'USD'), ratios);
          expect(parts).toHaveLength(ratios.length);
          expect(sum(parts)).toBe(total);
          parts.forEach((part, index) => {
            expect(part.minor >= 0n).toBe(true);
            if (ratios[index] === 0n) expect(part.minor).toBe(0n);
          });
        },
      ),
    );
  });
});

describe('split', () => {
  it('splits 100 cents three ways as 34, 33, 33', () => {
    expect(minors(split(amount(100n, 'USD'), 3))).toEqual([34n, 33n, 33n]);
  });

  it('splits fewer units than parts with zeros at the end', () => {
    expect(minors(split(amount(2n, 'JPY'), 4))).toEqual([1n, 1n, 0n, 0n]);
  });

  it.each([0, -1, 1.5, Number.NaN])('throws for a count of %s', (count) => {
    expect(() => split(amount(100n, 'USD'), count)).toThrow(RangeError);
  });

  it('gives parts that sum to the total and differ by at most one unit', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
        fc.integer({ min: 1, max: 200 }),
        (total, count) => {
          const parts = minors(split(amount(total, 'EUR'), count));
          expect(parts).toHaveLength(count);
          expect(parts.reduce((acc, part) => acc + part, 0n)).toBe(total);
          const largest = parts.reduce((a, b) => (b > a ? b : a));
          const smallest = parts.reduce((a, b) => (b < a ? b : a));
          expect(largest - smallest <= 1n).toBe(true);
          if (total >= 0n) expect(smallest >= 0n).toBe(true);
        },
      ),
    );
  });
});
