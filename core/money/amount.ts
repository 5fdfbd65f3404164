import { minorDigits } from './currencies.js';

/** A sum of money: an integer count of the currency's minor unit (cents, fils, yen). */
export interface Amount {
  readonly minor: bigint;
  readonly currency: string;
}

/** Builds an Amount; an unknown currency or a non-bigint count is a programmer error and throws. */
export function amount(minor: bigint, currency: string): Amount {
  if (typeof minor !== 'bigint') throw new TypeError(`amount: minor must be a bigint, got ${typeof minor}`);
  currencyDigits(currency);
  return Object.freeze({ minor, currency });
}

/** Minor-unit digits of a supported currency; throws RangeError for an unknown one. */
export function currencyDigits(currency: string): number {
  const digits = minorDigits(currency);
  if (digits === undefined) throw new RangeError(`unknown currency: ${currency}`);
  return digits;
}

export function sameCurrency(a: Amount, b: Amount): boolean {
  return a.currency === b.currency;
}
