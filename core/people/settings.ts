/** Pure parsing of /settings values and quiet-hours arithmetic; no I/O. */
import { LOCALES, type Locale, type QuietHours } from './model.js';

/** "en", "EN", "zh-cn", "zh", "zh-Hans" → a supported locale; anything else → undefined. */
export function parseLocale(text: string): Locale | undefined {
  const t = text.trim().toLowerCase().replace('_', '-');
  const exact = LOCALES.find((l) => l.toLowerCase() === t);
  if (exact) return exact;
  if (t === 'zh' || t.startsWith('zh-')) return 'zh-CN';
  if (t.startsWith('en-')) return 'en';
  return undefined;
}

/**
 * The locale for a person: their own choice, else the platform hint (Telegram `language_code`, Discord
 * `locale`), else the default. Every Chinese variant maps to zh-CN (the only Chinese we ship).
 */
export function pickLocale(chosen: Locale | null, hint: string | null | undefined, fallback: Locale): Locale {
  if (chosen) return chosen;
  return (hint ? parseLocale(hint) : undefined) ?? fallback;
}

/** The canonical IANA name of a time zone ("utc" → "UTC"), or undefined when unknown. */
export function parseTimezone(text: string): string | undefined {
  const t = text.trim();
  if (t === '' || t.length > 64 || !/^[A-Za-z0-9_+\-/]+$/.test(t)) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: t }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

const CLOCK = /^([01]?[0-9]|2[0-3])(?::([0-5][0-9]))?$/;

function minutes(text: string): number | undefined {
  const m = CLOCK.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * 60 + Number(m[2] ?? '0');
}

/** "22:00-07:00", "22-7", "23:30–06:15" → quiet hours; "off" → null; anything else → undefined. */
export function parseQuietHours(text: string): QuietHours | null | undefined {
  const t = text.trim().toLowerCase();
  if (['off', 'none', 'no', '关', '关闭'].includes(t)) return null;
  const parts = t.split(/\s*(?:-|–|~|to|到|至)\s*/).filter((p) => p !== '');
  if (parts.length !== 2) return undefined;
  const start = minutes(parts[0] ?? '');
  const end = minutes(parts[1] ?? '');
  if (start === undefined || end === undefined || start === end) return undefined;
  return { start, end };
}

export const formatClock = (m: number): string =>
  `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

export const formatQuietHours = (q: QuietHours): string => `${formatClock(q.start)}-${formatClock(q.end)}`;
