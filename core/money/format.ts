import type { Amount } from './amount.js';
import { currencyDigits } from './amount.js';

/** `1,250.75 USD`, `520 JPY`, `-12.50 CNY`: the same in every language (SPEC §5), locale-independent. */
export function formatAmount(value: Amount): string {
  return `${formatMinor(value.minor, value.currency)} ${value.currency}`;
}

/** The number part of formatAmount: `,` thousands groups and exactly the currency's decimals. */
export function formatMinor(minor: bigint, currency: string): string {
  const digits = currencyDigits(currency);
  const magnitude = (minor < 0n ? -minor : minor).toString().padStart(digits + 1, '0');
  const split = magnitude.length - digits;
  const whole = groupThousands(magnitude.slice(0, split));
  const fraction = digits > 0 ? `.${magnitude.slice(split)}` : '';
  return `${minor < 0n ? '-' : ''}${whole}${fraction}`;
}

function groupThousands(digits: string): string {
  const head = digits.length % 3 || 3;
  const groups = [digits.slice(0, head)];
  for (let start = head; start < digits.length; start += 3) groups.push(digits.slice(start, start + 3));
  return groups.join(',');
}
