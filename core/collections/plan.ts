/** The shares of a collection, planned purely: no unit lost or created, remainders one unit at a time. */
import { split as splitEvenly } from '../money/allocate.js';
import type { Amount } from '../money/amount.js';
import type { CollectionError, CollectionSplit } from './model.js';

export interface Plan {
  /** What each debtor owes, in the order they were given. */
  shares: Amount[];
  /** A bill's own share of the collector (not collected). */
  collectorShare: Amount | null;
}

/**
 * The shares of `count` debtors. `total`: the first debtors get the units left over; `bill`: the collector counts
 * first, so the collector takes the first unit left over, then the debtors in order (10.00 among three: the
 * collector 3.34, the others 3.33 each). Every share must be at least one minor unit.
 */
export function planShares(split: CollectionSplit, count: number): Plan | CollectionError {
  if (count < 1) return 'NoDebtors';
  let shares: Amount[];
  let collectorShare: Amount | null = null;
  switch (split.mode) {
    case 'each':
      shares = Array.from({ length: count }, () => split.amount);
      break;
    case 'total':
      shares = splitEvenly(split.amount, count);
      break;
    case 'bill': {
      const [own, ...rest] = splitEvenly(split.amount, count + 1);
      collectorShare = own ?? null;
      shares = rest;
      break;
    }
    case 'perPerson':
      if (split.amounts.length !== count) throw new Error('planShares: one amount per debtor');
      shares = split.amounts;
      break;
  }
  const currency = shares[0]?.currency;
  if (shares.some((s) => s.currency !== currency)) return 'CurrencyMismatch';
  if (shares.some((s) => s.minor <= 0n)) return 'ShareTooSmall';
  return { shares, collectorShare };
}
