export { amount, currencyDigits, sameCurrency, type Amount } from './amount.js';
export { allocate, split } from './allocate.js';
export { CURRENCY_CODES, isCurrency, minorDigits } from './currencies.js';
export { formatAmount, formatMinor } from './format.js';
export {
  DEFAULT_MAX_AMOUNT_SPEC,
  UNLISTED_MAX_MINOR,
  maxFor,
  parseMaxAmount,
  type MaxAmount,
  type MaxAmountResult,
} from './max.js';
export { AMOUNT_ERRORS, parseAmount, type AmountError, type ParseOptions, type ParseResult } from './parse.js';
