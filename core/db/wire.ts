/**
 * Outcomes cross JSON boundaries (the command log, job data, HTTP): bigints travel as decimal strings
 * and dates as ISO 8601 strings. `Wire<T>` is the JSON form of an outcome type, `toWire` converts a
 * value, and the `from*` helpers read the pieces back.
 */
import { amount as makeAmount, type Amount } from '../money/amount.js';

/** Anything JSON can hold. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type Json = JsonValue;

/** The JSON form of T: bigint → string, Date → ISO string, recursively. Outcome types avoid `undefined` (use null). */
export type Wire<T> = T extends bigint
  ? string
  : T extends Date
    ? string
    : T extends string | number | boolean | null
      ? T
      : T extends readonly (infer U)[]
        ? Wire<U>[]
        : T extends object
          ? { -readonly [K in keyof T]: Wire<T[K]> }
          : never;

export function toWire<T>(value: T): Wire<T> {
  return convert(value) as Wire<T>;
}

function convert(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(convert);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = convert(v);
    return out;
  }
  return value;
}

const DECIMAL = /^-?[0-9]{1,20}$/;

export function bigintFromWire(text: string): bigint {
  if (!DECIMAL.test(text)) throw new TypeError(`not a decimal integer: ${JSON.stringify(text).slice(0, 40)}`);
  return BigInt(text);
}

export function amountFromWire(wire: { minor: string; currency: string }): Amount {
  return makeAmount(bigintFromWire(wire.minor), wire.currency);
}

export function dateFromWire(text: string): Date {
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new TypeError(`not a date: ${JSON.stringify(text).slice(0, 40)}`);
  return d;
}
