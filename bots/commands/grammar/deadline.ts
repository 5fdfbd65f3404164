/**
 * Deadlines typed after a /request: `by 8pm`, `by 8:30 pm`, `by 20:00`, `by noon`, `by midnight`,
 * `by tomorrow`, `by tomorrow 9am`, `by tomorrow at 9am` (`today`/`明天`/`今天` likewise) and
 * `in 2h`, `in 90m`, `in 2 hours`, `in 1 day`, `in 2 weeks`; in Chinese `明天9点前`, `20:00前`, `2小时内`. Clock times are read in the person's time zone with
 * Intl (no date library); the result is an instant. Pure: `now` is an input.
 */

import { parseClock, zonedParts, zonedTimeToInstant, type Clock } from '../../../core/index.js';

export type DeadlineError = 'BadDeadline' | 'DeadlineInPast';
export type DeadlineResult = { ok: true; at: Date } | { ok: false; error: DeadlineError };

/** The longest `in …` we accept; anything further is a typo more often than a plan. */
const MAX_DURATION_MS = 366 * 86_400_000;

const UNITS: ReadonlyArray<readonly [RegExp, number]> = [
  [/^(?:m|min|mins|minute|minutes|分钟)$/i, 60_000],
  [/^(?:h|hr|hrs|hour|hours|小时)$/i, 3_600_000],
  [/^(?:d|day|days|天)$/i, 86_400_000],
  [/^(?:w|wk|wks|week|weeks|周|星期)$/i, 7 * 86_400_000],
];

const DAY_WORDS: Readonly<Record<string, number>> = { today: 0, tonight: 0, 今天: 0, tomorrow: 1, 明天: 1 };

/**
 * Parses a deadline clause. `text` starts with `by` or `in` (Discord passes the option value, which
 * may omit it: a bare clock time means `by`, a bare duration means `in`).
 */
export function parseDeadline(text: string, context: { now: Date; timeZone: string }): DeadlineResult {
  const words = normalizeWords(text);
  const [first, ...rest] = words;
  if (first === undefined) return bad();
  if (first === 'in') return inDuration(rest.join(''), context.now);
  if (first === 'by') return byClock(rest, context);
  const last = words.at(-1) ?? '';
  // Chinese puts the marker after the time: 明天9点前 ("before 9 tomorrow"), 2小时内 ("within 2 hours").
  if (last.endsWith('前')) return byClock([...words.slice(0, -1), last.slice(0, -1)].filter(Boolean), context);
  if (last.endsWith('内')) return inDuration(words.join('').slice(0, -1), context.now);
  const asDuration = inDuration(words.join(''), context.now);
  return asDuration.ok ? asDuration : byClock(words, context);
}

/**
 * Splits the words after a /request amount into the note and a trailing deadline clause. A clause is
 * recognised by its start (`by 8pm`, `by tomorrow`, `in 2h`, `9点前`, `2小时内`), so a note such as
 * "dinner in paris" stays a note, while `by 8pmm` is reported as a bad deadline.
 */
export function splitDeadline(words: readonly string[]): { note: string[]; clause?: string } {
  for (let index = words.length - 1; index >= 0; index--) {
    const tail = words.slice(index);
    if (looksLikeDeadline(tail)) return { note: words.slice(0, index), clause: tail.join(' ') };
  }
  return { note: [...words] };
}

function looksLikeDeadline(words: readonly string[]): boolean {
  const [marker = '', next = ''] = normalizeWords(words.join(' '));
  if (marker === 'in') return /^[0-9]/.test(next);
  if (marker === 'by') return /^[0-9]/.test(next) || next in DAY_WORDS || next === 'noon' || next === 'midnight';
  return words.length === 1 && /^(?:明天|今天)?[0-9].*[前内]$/u.test(words[0]?.normalize('NFKC') ?? '');
}

function normalizeWords(text: string): string[] {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/^(明天|今天)(?=\S)/u, '$1 ')
    .split(/\s+/u)
    .filter(Boolean);
}

function bad(): DeadlineResult {
  return { ok: false, error: 'BadDeadline' };
}

function inDuration(text: string, now: Date): DeadlineResult {
  const match = /^([0-9]{1,4})([a-z\u4e00-\u9fff]+)$/u.exec(text);
  if (!match) return bad();
  const unit = UNITS.find(([pattern]) => pattern.test(match[2] ?? ''))?.[1];
  const ms = Number(match[1]) * (unit ?? 0);
  if (ms <= 0 || ms > MAX_DURATION_MS) return bad();
  return { ok: true, at: new Date(now.getTime() + ms) };
}

function byClock(words: readonly string[], context: { now: Date; timeZone: string }): DeadlineResult {
  const rest = [...words];
  const dayWord = rest[0] !== undefined && rest[0] in DAY_WORDS ? rest.shift() : undefined;
  if (rest[0] === 'at' && dayWord !== undefined) rest.shift();
  const today = zonedParts(context.now, context.timeZone);
  let clock: Clock | undefined;
  if (rest.length === 0) {
    // "by tomorrow": the same time tomorrow; "by today"/"tonight" alone: the end of today.
    if (dayWord === undefined) return bad();
    clock = DAY_WORDS[dayWord] === 0 ? { hour: 23, minute: 59 } : { hour: today.hour, minute: today.minute };
  } else {
    clock = parseClock(rest.join(''));
  }
  if (!clock) return bad();
  const days = (dayWord === undefined ? 0 : (DAY_WORDS[dayWord] ?? 0)) + (clock.hour === 24 ? 1 : 0);
  const date = addDays(today, days);
  const at = zonedTimeToInstant({ ...date, hour: clock.hour % 24, minute: clock.minute }, context.timeZone);
  if (at.getTime() <= context.now.getTime()) return { ok: false, error: 'DeadlineInPast' };
  return { ok: true, at };
}

function addDays(
  parts: { year: number; month: number; day: number },
  days: number,
): { year: number; month: number; day: number } {
  const shifted = new Date(Date.UTC(parts.year, parts.month - 1, parts.day + days));
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
}
