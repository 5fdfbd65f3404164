/**
 * Deadlines typed after a /request. English: `by 8pm`, `by 8:30 pm`, `by 20:00`, `by noon`, `by midnight`,
 * `by tonight`, `by tomorrow`, `by tomorrow 9am` (`at 9am` likewise), `by friday`, `by next friday`, `by dec 24`,
 * `by friday 5pm`, `in 2h`, `in 90m`, `in 2 hours`, `in 1 day`, `in 2 weeks`. Chinese puts the marker last:
 * `晚上8点前`, `明天中午前`, `明天9点前`, `20:00前`, `下周五前`, `12月24日前`, `2小时内`, `两小时内`, and `今晚` alone.
 *
 * A calendar day without a time of day (`by friday`, `下周五前`, `今天内`) means the end of that day, 23:59 in the
 * person's time zone; `tonight`/`今晚` is 23:59 today; `by tomorrow`/`明天前` is this time tomorrow. 晚上/下午/傍晚 put
 * 1–11 o'clock in the afternoon (晚上8点 is 20:00), 上午/早上 keep it; alone, 中午/上午 end at 12:00, 下午 at 18:00,
 * 晚上 at 23:59. Days are read by `readDay` (chrono), clock times with Intl; the result is an instant. Pure: `now` is
 * an input.
 */

import { addDays, hanNumber, parseClock, zonedParts, zonedTimeToInstant, type Clock } from '../../../core/index.js';
import { readDay, type Day } from './date.js';

export type DeadlineError = 'BadDeadline' | 'DeadlineInPast';
export type DeadlineResult = { ok: true; at: Date } | { ok: false; error: DeadlineError };

type Context = { now: Date; timeZone: string };

/** The longest `in …` we accept; anything further is a typo more often than a plan. */
const MAX_DURATION_MS = 366 * 86_400_000;

/** What a calendar day without a time of day means: its last minute. */
const END_OF_DAY: Clock = { hour: 23, minute: 59 };

const UNITS: ReadonlyArray<readonly [RegExp, number]> = [
  [/^(?:m|min|mins|minute|minutes|分|分钟)$/i, 60_000],
  [/^(?:h|hr|hrs|hour|hours|小时|个小时|钟头|个钟头)$/i, 3_600_000],
  [/^(?:d|day|days|天)$/i, 86_400_000],
  [/^(?:w|wk|wks|week|weeks|周|星期|个星期|礼拜|个礼拜)$/i, 7 * 86_400_000],
];

const DAY_WORDS: Readonly<Record<string, number>> = { today: 0, tonight: 0, 今天: 0, tomorrow: 1, 明天: 1 };

const HAN = /[\u4e00-\u9fff]/u;

/** Chinese deadline markers: `…前` (before) and `…内` (within). */
const ZH_BEFORE = /(?:之前|以前|前)$/u;
const ZH_WITHIN = /(?:之内|以内|内)$/u;

/** Chinese words a deadline starts with: a day, a part of the day, a clock time or a count of hours, days, weeks. */
const ZH_START =
  /^(?:今天|今日|今晚|明天|明日|明早|明晚|后天|(?:下下?|这|本)?个?(?:周|星期|礼拜)|(?:下|这|本)?个?月底|早上|早晨|上午|中午|下午|傍晚|晚上|夜里|凌晨|[0-9]|[零一二两三四五六七八九十]+(?:点|个|小时|分|天|周|星期|礼拜|月))/u;

/** A word that is a day or a part of the day on its own (`明天 中午前`: the deadline is both words). */
const ZH_DAY_WORD =
  /^(?:今天|今日|明天|明日|后天|(?:下下?|这|本)?个?(?:周|星期|礼拜)[一二三四五六日天]|早上|早晨|上午|中午|下午|傍晚|晚上|夜里|凌晨)$/u;

/** Relative days with the part of the day some of them carry (今晚 = 今天晚上). */
const ZH_RELATIVE: Readonly<Record<string, { days: number; period?: Period }>> = {
  今天: { days: 0 },
  今日: { days: 0 },
  今晚: { days: 0, period: 'evening' },
  明天: { days: 1 },
  明日: { days: 1 },
  明早: { days: 1, period: 'morning' },
  明晚: { days: 1, period: 'evening' },
  后天: { days: 2 },
};

type Period = 'morning' | 'noon' | 'afternoon' | 'evening' | 'night';
const ZH_PERIODS: Readonly<Record<string, Period>> = {
  早上: 'morning',
  早晨: 'morning',
  上午: 'morning',
  中午: 'noon',
  下午: 'afternoon',
  傍晚: 'evening',
  晚上: 'evening',
  夜里: 'evening',
  晚: 'evening',
  凌晨: 'night',
};

/**
 * Parses a deadline clause. `text` starts with `by` or `in`, or is Chinese (Discord passes the option value, which
 * may omit the marker: a bare clock time or day means `by`, a bare duration means `in`).
 */
export function parseDeadline(text: string, context: Context): DeadlineResult {
  const words = normalizeWords(text);
  const [first, ...rest] = words;
  if (first === undefined) return bad();
  if (first === 'in') return inDuration(rest.join(''), context.now);
  if (first === 'by') return byWords(rest, context);
  if (HAN.test(words.join(''))) return chinese(words.join(''), context);
  const asDuration = inDuration(words.join(''), context.now);
  return asDuration.ok ? asDuration : byWords(words, context);
}

/**
 * Splits the words after a /request amount into the note and a trailing deadline clause. A clause is recognised by
 * its start (`by 8pm`, `by friday`, `in 2h`) or, in Chinese, by its words and its marker (`晚上8点前`, `2小时内`,
 * `今晚`), so a note such as "dinner in paris" or "dinner by the lake" stays a note, while `by 8pmm` or `by fridy`
 * is a deadline that is then refused naming those words. A bare `tomorrow` stays in the note ("dinner tomorrow"
 * says when the dinner is); a bare `tonight`/`今晚` is read: it never reaches past the day it is said on.
 */
export function splitDeadline(words: readonly string[]): { note: string[]; clause?: string } {
  for (let index = words.length - 1; index >= 0; index--) {
    const tail = words.slice(index);
    if (looksLikeEnglishDeadline(tail)) return { note: words.slice(0, index), clause: tail.join(' ') };
  }
  if (words.length > 0 && words.at(-1)?.toLowerCase() === 'tonight')
    return { note: words.slice(0, -1), clause: 'tonight' };
  return chineseTail(words) ?? { note: [...words] };
}

function looksLikeEnglishDeadline(words: readonly string[]): boolean {
  const [marker = '', next = '', ...more] = normalizeWords(words.join(' '));
  if (marker === 'in') return /^[0-9]/.test(next);
  if (marker !== 'by' || next === '') return false;
  if (/^[0-9]/.test(next) || next in DAY_WORDS || next === 'noon' || next === 'midnight') return true;
  if (/^(?:next|this)$/.test(next))
    return [...DAY_NAMES, 'week', 'month'].some((name) => name.startsWith(more[0]?.slice(0, 3) ?? '-'));
  // `by dec 24`: a month's three letters are a date only with the day after them.
  if (next.length >= 3 && /^[0-9]/.test(more[0] ?? '')) return DAY_NAMES.some((name) => name.startsWith(next));
  return DAY_NAMES.some((name) => near(next, name));
}

/** Weekdays, months and day words, so a misspelt `by fridy` is taken for the deadline it was meant to be. */
const DAY_NAMES = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
  'january',
  'february',
  'march',
  'april',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
  'tomorrow',
  'tonight',
  'today',
];

/**
 * The word is a day name, a weekday's three letters (`by fri`; not a month's: "cake by jan" names a person), or a
 * name of five letters or more with one letter wrong, missing or extra.
 */
function near(word: string, name: string): boolean {
  if (word === name || (word.length === 3 && name.endsWith('day') && name.startsWith(word) && name !== 'today'))
    return true;
  return word.length >= 5 && editDistance(word, name) <= 1;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * A Chinese deadline at the end of the words: the last word, or its end (`奶茶晚上8点前`), with the day words typed
 * before it (`明天 中午前`).
 */
function chineseTail(words: readonly string[]): { note: string[]; clause: string } | undefined {
  const last = (words.at(-1) ?? '').normalize('NFKC');
  for (let cut = 0; cut < last.length; cut++) {
    const clause = last.slice(cut);
    if (!looksLikeChineseDeadline(clause)) continue;
    if (cut > 0) return { note: [...words.slice(0, -1), last.slice(0, cut)], clause };
    let start = words.length - 1;
    while (start > 0 && ZH_DAY_WORD.test((words[start - 1] ?? '').normalize('NFKC'))) start--;
    return { note: words.slice(0, start), clause: [...words.slice(start, -1), clause].join(' ') };
  }
  return undefined;
}

function looksLikeChineseDeadline(text: string): boolean {
  if (text === '今晚' || text === '今天晚上') return true;
  const marker = ZH_BEFORE.exec(text) ?? ZH_WITHIN.exec(text);
  if (!marker) return false;
  const body = text.slice(0, marker.index);
  return body !== '' && ZH_START.test(body);
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

/** After `by`: a clock time on a relative day (`8pm`, `tomorrow 9am`), else a calendar day (`friday`, `dec 24 5pm`). */
function byWords(words: readonly string[], context: Context): DeadlineResult {
  const clock = byClock(words, context);
  return clock.ok || clock.error === 'DeadlineInPast' ? clock : byDay(words, context);
}

function byClock(words: readonly string[], context: Context): DeadlineResult {
  const rest = [...words];
  const dayWord = rest[0] !== undefined && rest[0] in DAY_WORDS ? rest.shift() : undefined;
  if (rest[0] === 'at' && dayWord !== undefined) rest.shift();
  const today = zonedParts(context.now, context.timeZone);
  let clock: Clock | undefined;
  if (rest.length === 0) {
    // "by tomorrow": the same time tomorrow; "by today"/"tonight" alone: the end of today.
    if (dayWord === undefined) return bad();
    clock = DAY_WORDS[dayWord] === 0 ? END_OF_DAY : { hour: today.hour, minute: today.minute };
  } else {
    clock = parseClock(rest.join(''));
  }
  if (!clock) return bad();
  return at(addDays(today, dayWord === undefined ? 0 : (DAY_WORDS[dayWord] ?? 0)), clock, context);
}

/** A time of day among a day's words: the day must be a day alone, chrono would take "8pm tonight" for today. */
const CLOCKISH = /(?:[0-9](?:am|pm)|:|^(?:am|pm|noon|midnight|tonight)$)/;

function byDay(words: readonly string[], context: Context): DeadlineResult {
  const whole = dayAt(words, END_OF_DAY, context);
  if (whole) return whole;
  const clock = parseClock(words.at(-1) ?? '');
  if (!clock) return bad();
  const dayWords = words.slice(0, -1);
  if (dayWords.at(-1) === 'at') dayWords.pop();
  return dayAt(dayWords, clock, context) ?? bad();
}

function dayAt(words: readonly string[], clock: Clock, context: Context): DeadlineResult | undefined {
  if (words.length === 0 || words.some((word) => CLOCKISH.test(word))) return undefined;
  const read = readDay(words.join(' '), context);
  if (!read.ok) return read.error === 'DateInPast' ? { ok: false, error: 'DeadlineInPast' } : undefined;
  return at(read.day, clock, context);
}

/** `晚上8点前`, `明天中午前`, `下周五前`, `2小时内`, `今晚`: the marker is optional (a Discord option may omit it). */
function chinese(text: string, context: Context): DeadlineResult {
  const typed = arabic(text.replace(/\s+/gu, ''));
  const within = ZH_WITHIN.exec(typed);
  if (within) {
    const body = typed.slice(0, within.index);
    const duration = inDuration(body, context.now);
    return duration.ok ? duration : chineseBy(body, context);
  }
  const before = ZH_BEFORE.exec(typed);
  if (before) return chineseBy(typed.slice(0, before.index), context);
  const duration = inDuration(typed, context.now);
  return duration.ok ? duration : chineseBy(typed, context);
}

/** Han numbers that count hours, days or months in digits: `两小时` → `2小时`, `八点` → `8点` (not 周一, 星期三). */
function arabic(text: string): string {
  return text.replace(/(?<![周期拜])([零一二两三四五六七八九十]+)(?=点|个|小时|分|天|周|星期|礼拜|月|日|号)/gu, (han) =>
    String(hanNumber(han) ?? han),
  );
}

/** `明天中午`, `晚上8点`, `下周五`, `下周五晚上8点`, `今晚`: a day, then the part of the day, then the clock. */
function chineseBy(body: string, context: Context): DeadlineResult {
  if (body === '') return bad();
  const today = zonedParts(context.now, context.timeZone);
  let day: Day = today;
  let rest = body;
  let period: Period | undefined;
  // With no time of day: this time tomorrow for 明天 alone (as `by tomorrow`), the end of any other day typed.
  let dayOnly: Clock | undefined;
  const relative = /^(今天|今日|今晚|明天|明日|明早|明晚|后天)/u.exec(body);
  if (relative) {
    const said = ZH_RELATIVE[relative[1] ?? ''] ?? { days: 0 };
    day = addDays(today, said.days);
    period = said.period;
    rest = body.slice(relative[0].length);
    dayOnly = said.days === 1 ? { hour: today.hour, minute: today.minute } : END_OF_DAY;
  } else if (/^(?:下下?|这|本|上)?个?(?:周|星期|礼拜|月底)|^月底|^[0-9]{1,4}[-/年月]/u.test(body)) {
    const calendar = calendarPrefix(body, context);
    if (!calendar.ok) return calendar;
    if (calendar.day === undefined) return bad();
    day = calendar.day;
    rest = body.slice(calendar.length);
    dayOnly = END_OF_DAY;
  }
  const typedPeriod = /^(早上|早晨|上午|中午|下午|傍晚|晚上|夜里|凌晨|晚)/u.exec(rest);
  if (typedPeriod) {
    period = ZH_PERIODS[typedPeriod[1] ?? ''];
    rest = rest.slice(typedPeriod[0].length);
  }
  const clock = rest !== '' ? zhClock(rest, period) : period !== undefined ? periodEnd(period) : dayOnly;
  return clock ? at(day, clock, context) : bad();
}

/**
 * The longest start of `body` that is a calendar day (`下周五`, `12月24日`), read by readDay; the time of day after it
 * is left out of what readDay sees (it would read `下周五晚上8点` whole and keep only the day).
 */
function calendarPrefix(
  body: string,
  context: Context,
): { ok: true; day?: Day; length: number } | { ok: false; error: DeadlineError } {
  const time = /早上|早晨|上午|中午|下午|傍晚|晚上|夜里|凌晨|晚|[0-9]+(?:点|时|:)/u.exec(body);
  for (let length = time ? time.index : body.length; length > 0; length--) {
    const read = readDay(body.slice(0, length), context);
    if (read.ok) return { ok: true, day: read.day, length };
    if (read.error === 'DateInPast') return { ok: false, error: 'DeadlineInPast' };
  }
  return { ok: true, length: 0 };
}

/** A part of the day with no clock, its end: `中午`/`上午`/`早上` 12:00, `下午` 18:00, `晚上`/`今晚` 23:59; `凌晨` is too vague. */
function periodEnd(period: Period): Clock | undefined {
  if (period === 'noon' || period === 'morning') return { hour: 12, minute: 0 };
  if (period === 'afternoon') return { hour: 18, minute: 0 };
  if (period === 'evening') return END_OF_DAY;
  return undefined;
}

/** `8点`, `8点半`, `8点30分`, `8:30`, `20:00`, read with the part of the day (晚上8点 = 20:00, 晚上12点 = midnight). */
function zhClock(text: string, period: Period | undefined): Clock | undefined {
  const match = /^([0-9]{1,2})(?:点|时)(?:(半)|([0-9]{1,2})分?)?(?:钟)?$/u.exec(text);
  const clock = match
    ? { hour: Number(match[1]), minute: match[2] ? 30 : Number(match[3] ?? '0') }
    : parseClock(text.replace('：', ':'));
  if (!clock || clock.minute > 59) return undefined;
  const { hour, minute } = clock;
  if (period === 'afternoon' || period === 'evening') {
    if (hour >= 1 && hour <= 11) return { hour: hour + 12, minute };
    if (hour === 12) return period === 'evening' ? { hour: 24, minute } : { hour, minute };
  }
  if (period === 'noon' && hour >= 1 && hour <= 2) return { hour: hour + 12, minute };
  if ((period === 'morning' || period === 'night') && hour > 12) return undefined;
  return hour <= 24 ? { hour, minute } : undefined;
}

/** `clock` on `day` in the person's zone (24:00 is the next midnight), refused once it has passed. */
function at(day: Day, clock: Clock, context: Context): DeadlineResult {
  if (clock.hour === 24 && clock.minute > 0) return bad();
  const date = addDays(day, clock.hour === 24 ? 1 : 0);
  const instant = zonedTimeToInstant({ ...date, hour: clock.hour % 24, minute: clock.minute }, context.timeZone);
  if (instant.getTime() <= context.now.getTime()) return { ok: false, error: 'DeadlineInPast' };
  return { ok: true, at: instant };
}
