// Loops rather than /^0+/ and /0+$/: an unanchored-end zero run backtracks quadratically on long input.
export function stripLeadingZeros(digits: string): string {
  let start = 0;
  while (digits[start] === '0') start++;
  return digits.slice(start);
}

export function stripTrailingZeros(digits: string): string {
  let end = digits.length;
  while (end > 0 && digits[end - 1] === '0') end--;
  return digits.slice(0, end);
}

export type DecimalError = 'TooManyDecimals' | 'TooLarge';

/**
 * Minor units of the decimal `whole.fraction` (ASCII digits only) in a currency with `digits`
 * minor-unit digits, or why it cannot be one: non-zero decimals beyond `digits`, or above `cap`.
 */
export function decimalToMinor(whole: string, fraction: string, digits: number, cap: bigint): bigint | DecimalError {
  const significant = stripTrailingZeros(fraction);
  if (significant.length > digits) return 'TooManyDecimals';
  const integer = stripLeadingZeros(whole);
  // More digits than the cap has means over the cap; deciding it here keeps BigInt() off megabytes of digits.
  if (integer.length > 0 && integer.length + digits > cap.toString().length) return 'TooLarge';
  const minor = BigInt(integer + significant.padEnd(digits, '0') || '0');
  return minor > cap ? 'TooLarge' : minor;
}
