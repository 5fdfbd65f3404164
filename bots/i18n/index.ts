/**
 * Translations for everything chipin says in a chat: one i18next instance per process over the JSON
 * catalogs next to this file (`en` is the reference; `zh-CN` must have the same keys and params).
 * Amounts are never localised here: they arrive already formatted by core/money `formatAmount`
 * (`1,250.75 USD` in every language). Dates are formatted per locale and time zone with Intl.
 */
import i18next from 'i18next';
import { LOCALES, type Locale } from '../../config/env.js';
import en from './en.json' with { type: 'json' };
import zhCN from './zh-CN.json' with { type: 'json' };

export { LOCALES, type Locale };

type Catalog = typeof en;

/** `a.b.c` paths to the strings of a nested catalog. */
type Leaves<T, Prefix extends string = ''> = {
  [K in keyof T & string]: T[K] extends string ? `${Prefix}${K}` : Leaves<T[K], `${Prefix}${K}.`>;
}[keyof T & string];

/** Every message key of the reference catalog: a typo or a removed message is a compile error. */
export type MessageKey = Leaves<Catalog>;

export type Params = Readonly<Record<string, string | number>>;

export const CATALOGS: Readonly<Record<Locale, unknown>> = { en, 'zh-CN': zhCN };

const instance = i18next.createInstance();
void instance.init({
  // Resources are bundled, so initialisation is synchronous and `t` works right after import.
  initAsync: false,
  resources: { en: { translation: en }, 'zh-CN': { translation: zhCN } },
  lng: 'en',
  supportedLngs: [...LOCALES],
  fallbackLng: 'en',
  returnNull: false,
  // Plain text everywhere (no Markdown/HTML): transports send it verbatim.
  interpolation: { escapeValue: false },
});

/** The message `key` in `locale`, with `{{params}}` filled in. */
export function t(locale: Locale, key: MessageKey, params: Params = {}): string {
  return instance.t(key, { ...params, lng: locale });
}

/** Like `t` for a key known only at run time (a notification template); undefined when no such message exists. */
export function translate(locale: Locale, key: string, params: Params = {}): string | undefined {
  return isMessageKey(key) ? t(locale, key, params) : undefined;
}

export function isMessageKey(key: string): key is MessageKey {
  return typeof lookup(en, key) === 'string';
}

function lookup(catalog: unknown, key: string): unknown {
  let node: unknown = catalog;
  for (const part of key.split('.')) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(locale: Locale, timeZone: string, style: DateStyle): Intl.DateTimeFormat {
  const id = `${locale}|${timeZone}|${style}`;
  let found = formatters.get(id);
  if (!found) {
    found = new Intl.DateTimeFormat(locale, { ...DATE_STYLES[style], timeZone, hourCycle: 'h23' });
    formatters.set(id, found);
  }
  return found;
}

type DateStyle = 'dateTime' | 'short' | 'day';

const DATE_STYLES: Record<DateStyle, Intl.DateTimeFormatOptions> = {
  dateTime: { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' },
  short: { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' },
  day: { year: 'numeric', month: 'short', day: 'numeric' },
};

/** A moment in the reader's language and time zone: `Nov 25, 2025, 20:00` / `2025年11月25日 20:00`. */
export function formatDate(date: Date, locale: Locale, timeZone: string, style: DateStyle = 'dateTime'): string {
  return formatter(locale, timeZone, style).format(date);
}
