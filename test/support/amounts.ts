import type { MessageKey } from '../../bots/i18n/index.js';

/** Every amount SPEC §5 refuses, with the reason it must be refused for (the same on Telegram and Discord). */
export const REFUSED_AMOUNTS: ReadonlyArray<readonly [string, MessageKey]> = [
  ['0', 'amount.Zero'],
  ['0.00', 'amount.Zero'],
  ['-0', 'amount.Zero'],
  ['-5', 'amount.Negative'],
  ['−5', 'amount.Negative'],
  ['+5', 'amount.LeadingPlus'],
  ['1e3', 'amount.Exponent'],
  ['1E3', 'amount.Exponent'],
  ['0x10', 'amount.Hex'],
  ['NaN', 'amount.NotANumber'],
  ['Infinity', 'amount.NotANumber'],
  ['1,25', 'amount.BadGrouping'],
  ['12.5.5', 'amount.MultipleDecimalPoints'],
  ['12.345', 'amount.TooManyDecimals'],
  [`1.${'0'.repeat(29)}1`, 'amount.TooManyDecimals'],
  ['10001', 'amount.TooLarge'],
  ['9007199254740993', 'amount.TooLarge'],
  ['20 XYZ', 'amount.UnknownCurrency'],
  ['XYZ 20', 'amount.UnknownCurrency'],
  ['٥', 'amount.ForeignDigits'],
  ['١٢.٥٠', 'amount.ForeignDigits'],
  ['۵', 'amount.ForeignDigits'],
  ['.5', 'amount.Malformed'],
];
