/** Amounts as typed after a command: one word (`20`, `20usd`, `$5`, `100元`) or two (`USD 20`, `20 USD`, `100 元`). */
import { isCurrency, parseAmount, type Amount } from '../../../core/index.js';
import { fail, failed, type Failure, type Input, type ParseContext } from './input.js';
import { words, type Word } from './note.js';

// Currency-like words that are not ISO 4217 codes: `20 rmb` must not pay 20 of the default currency.
const NOT_ISO = new Set(['rmb', 'btc', 'eth', 'usdt', 'usdc', 'xbt', 'ltc', 'doge', 'sol', 'ton']);
const SIGN_OR_SYMBOL = /^[+\-\u2212$¥€£₩₹]$/u;
const CODE_SHAPED = /^[A-Za-z]{3}$/;

export function startsNumeric(text: string | undefined): boolean {
  return text !== undefined && /^[+\-\u2212$¥€£₩₹]?[\p{Nd}\p{No}.]/u.test(text.normalize('NFKC'));
}

/**
 * The amount at the start of `body`. A second word joins only when it is a currency, so in `20 for lunch` the
 * note starts at "for".
 */
export function takeAmount(body: readonly Word[], context: ParseContext): { amount: Amount; used: number } | Failure {
  const [first, second] = body.map((word) => word.text.normalize('NFKC'));
  if (first === undefined) return fail('MissingAmount');
  const joins =
    second !== undefined &&
    ((SIGN_OR_SYMBOL.test(first) && startsNumeric(second)) ||
      (CODE_SHAPED.test(first) && startsNumeric(second)) ||
      (startsNumeric(first) && isCurrencyWord(second)));
  const text = joins ? `${first} ${second}` : first;
  const parsed = parseAmount(text, { defaultCurrency: context.defaultCurrency, max: context.max });
  return parsed.ok ? { amount: parsed.amount, used: joins ? 2 : 1 } : fail(parsed.reason);
}

/** An option that holds only an amount (Discord `amount`). */
export function wholeAmount(text: string, context: ParseContext): Amount | Failure {
  if (text.trim() === '') return fail('MissingAmount');
  const parsed = parseAmount(text, { defaultCurrency: context.defaultCurrency, max: context.max });
  return parsed.ok ? parsed.amount : fail(parsed.reason);
}

/**
 * A command whose only argument is an amount (`/faucet 100`, `/deposit 20`, `/withdraw 50`): Discord's `amount`
 * option, or the typed words, where anything after the amount that looks like another amount is refused.
 */
export function onlyAmount(input: Input, context: ParseContext): Amount | Failure {
  const option = input.option('amount');
  if (option !== undefined) return wholeAmount(option, context);
  const body = words(input.text);
  const amount = takeAmount(body, context);
  if (failed(amount)) return amount;
  return startsNumeric(body[amount.used]?.text) ? fail('AmbiguousAmount') : amount.amount;
}

function isCurrencyWord(word: string): boolean {
  if (word === '元' || word === '块') return true;
  // Typed in capitals it is meant as a code (`20 XYZ` is an unknown currency, not a note).
  if (/^[A-Z]{3}$/.test(word)) return true;
  return (CODE_SHAPED.test(word) && isCurrency(word.toUpperCase())) || NOT_ISO.has(word.toLowerCase());
}
