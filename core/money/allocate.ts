import { amount, type Amount } from './amount.js';

interface Part {
  readonly index: number;
  readonly remainder: bigint;
  share: bigint;
}

/**
 * Splits `total` in proportion to `ratios` without losing or creating a minor unit: each part gets
 * its floor share, then the units left over go one each to the largest remainders (ties to the
 * earlier part). A zero ratio gets zero. Ratios must be non-negative with a positive sum.
 */
export function allocate(total: Amount, ratios: readonly bigint[]): Amount[] {
  const sum = ratioSum(ratios);
  // Allocate the magnitude so a negative total (a shared debt) splits like a positive one.
  const sign = total.minor < 0n ? -1n : 1n;
  const magnitude = total.minor * sign;
  const parts: Part[] = ratios.map((ratio, index) => ({
    index,
    share: (magnitude * ratio) / sum,
    remainder: (magnitude * ratio) % sum,
  }));
  let left = magnitude - parts.reduce((acc, part) => acc + part.share, 0n);
  for (const part of [...parts].sort(byLargestRemainder)) {
    if (left === 0n) break;
    part.share += 1n;
    left -= 1n;
  }
  return parts.map((part) => amount(part.share * sign, total.currency));
}

/** Splits `total` into `count` parts that differ by at most one minor unit, larger parts first. */
export function split(total: Amount, count: number): Amount[] {
  if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`split: count must be a positive integer`);
  return allocate(
    total,
    Array.from({ length: count }, () => 1n),
  );
}

function ratioSum(ratios: readonly bigint[]): bigint {
  let sum = 0n;
  for (const ratio of ratios) {
    if (typeof ratio !== 'bigint' || ratio < 0n) throw new RangeError('allocate: ratios must be non-negative bigints');
    sum += ratio;
  }
  if (sum === 0n) throw new RangeError('allocate: ratios must have a positive sum');
  return sum;
}

function byLargestRemainder(a: Part, b: Part): number {
  if (a.remainder !== b.remainder) return a.remainder > b.remainder ? -1 : 1;
  return a.index - b.index;
}
