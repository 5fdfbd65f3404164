/**
 * Quiet hours in a person's time zone: pure functions over instants (ms since the epoch). Quiet hours
 * are core/people's: minutes after local midnight (fractions allowed: seconds), `start > end` wrapping
 * midnight. Unlike a fixed offset, the end is found on the wall clock, across a daylight-saving change.
 */
import type { QuietHours } from './model.js';

const DAY = 86_400;

const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(timezone: string): Intl.DateTimeFormat {
  let format = formats.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formats.set(timezone, format);
  }
  return format;
}

/** Seconds after local midnight in `timezone` at instant `atMs` (with the millisecond fraction). */
export function localSecondOfDay(atMs: number, timezone: string): number {
  const parts = formatFor(timezone).formatToParts(new Date(atMs));
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return (part('hour') % 24) * 3600 + part('minute') * 60 + part('second') + (((atMs % 1000) + 1000) % 1000) / 1000;
}

const validMinute = (m: number): boolean => Number.isFinite(m) && m >= 0 && m < 1440;

/**
 * When `atMs` falls inside the quiet hours in `timezone`, the instant they end (the next time the
 * local clock reads `end`); null when it does not, or when the window is empty or malformed (a bad
 * setting never holds messages back).
 */
export function quietUntil(atMs: number, timezone: string, quiet: QuietHours): number | null {
  if (!validMinute(quiet.start) || !validMinute(quiet.end) || quiet.start === quiet.end) return null;
  const start = quiet.start * 60;
  const end = quiet.end * 60;
  const now = localSecondOfDay(atMs, timezone);
  const inside = start < end ? now >= start && now < end : now >= start || now < end;
  if (!inside) return null;
  let until = atMs + ((end - now + DAY) % DAY) * 1000;
  // Across a DST change the wall clock moved: nudge until the local time reads `end` (at most twice).
  for (let i = 0; i < 2; i++) {
    let diff = end - localSecondOfDay(until, timezone);
    if (diff > DAY / 2) diff -= DAY;
    if (diff < -DAY / 2) diff += DAY;
    if (Math.abs(diff) < 0.001) break;
    until += diff * 1000;
  }
  return Math.max(until, atMs + 1);
}

/** `at` itself outside quiet hours (or without any), else the instant they end. */
export function outsideQuietHours(at: Date, quiet: QuietHours | null, timezone: string): Date {
  const until = quiet ? quietUntil(at.getTime(), timezone, quiet) : null;
  return until === null ? at : new Date(until);
}
