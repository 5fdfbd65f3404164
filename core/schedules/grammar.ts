/**
 * Schedules in plain words → a `ScheduleSpec`. Pure: `now` and the time zone are inputs.
 *
 * English: `daily`, `weekly`, `monthly`, `every day|week|month`, `every 2 weeks`, `every other week`,
 * `every friday` (`fri`, `fridays`), `every other friday`, `monthly on 1` (`on the 1st`),
 * `every month on 15`; Chinese: `每天`, `每周`, `每月`, `每两周` (`每2周`, `每隔一周`), `每周五`
 * (`每星期五`, `每礼拜五`), `每月1号` (`每月1日`), `每3天`, `每2个月`. Then an optional end: `until <date>`
 * / `直到<date>` (chrono-node, `chrono.zh` for Chinese dates), or `for 6 times` / `6 times` / `共6次` /
 * `6次`. What follows is the note. Runs happen at 09:00 on the payer's wall clock.
 */
import { hanNumber } from '../text/han.js';
import * as chrono from 'chrono-node';
import { zonedParts } from '../time/zoned.js';
import { parseClock, type Clock } from '../time/clock.js';

/** Monday first, as RRULE's MO..SU. */
export const SCHEDULE_WEEKDAYS = ['mo', 'tu', 'we', 'th', 'fr', 'sa', 'su'] as const;
export type ScheduleWeekday = (typeof SCHEDULE_WEEKDAYS)[number];

export type ScheduleCadence =
  | { unit: 'day' | 'week' | 'month'; interval: number }
  | { unit: 'weekday'; weekday: ScheduleWeekday; interval: number }
  | { unit: 'monthday'; day: number }
  /** Internal rules through the core API only (tests): e.g. `FREQ=SECONDLY;INTERVAL=2`. */
  | { unit: 'rule'; rule: string };

export type ScheduleEnd = { count: number } | { until: string /* YYYY-MM-DD, inclusive, payer's wall clock */ };

/** The time of the payer's day a run happens at (24-hour wall clock, never hour 24). */
export type ScheduleTime = Clock;

export interface ScheduleSpec {
  cadence: ScheduleCadence;
  end?: ScheduleEnd;
  /** Absent: `SCHEDULE_RUN_HOUR`:00. */
  time?: ScheduleTime;
}

export const SCHEDULE_ERRORS = [
  'MissingSchedule',
  'BadSchedule',
  'BadScheduleEnd',
  'ScheduleEndInPast',
  'BadScheduleTime',
  // `from <fund> shares @a:1 @b:2` that is not a list of people with whole-number weights.
  'BadShares',
] as const;
export type ScheduleError = (typeof SCHEDULE_ERRORS)[number];

export type ScheduleParse =
  | { ok: true; spec: ScheduleSpec; rest: string }
  /** `text`: the words that were not understood (shown back to the person). */
  | { ok: false; error: ScheduleError; text: string };

/** The hour of the payer's day runs happen at unless the schedule names a time. */
export const SCHEDULE_RUN_HOUR = 9;

/** The time a run happens at, on the payer's wall clock. */
export const runTime = (spec: ScheduleSpec): ScheduleTime => spec.time ?? { hour: SCHEDULE_RUN_HOUR, minute: 0 };
/** The longest run of a schedule with a count. */
export const MAX_SCHEDULE_COUNT = 1000;
export const MAX_SCHEDULE_INTERVAL = 99;

const WEEKDAY_WORDS: ReadonlyArray<readonly [RegExp, ScheduleWeekday]> = [
  [/^(?:mon|monday)s?\b/, 'mo'],
  [/^(?:tue|tues|tuesday)s?\b/, 'tu'],
  [/^(?:wed|weds|wednesday)s?\b/, 'we'],
  [/^(?:thu|thur|thurs|thursday)s?\b/, 'th'],
  [/^(?:fri|friday)s?\b/, 'fr'],
  [/^(?:sat|saturday)s?\b/, 'sa'],
  [/^(?:sun|sunday)s?\b/, 'su'],
];

const ZH_WEEKDAYS: Readonly<Record<string, ScheduleWeekday>> = {
  一: 'mo',
  二: 'tu',
  三: 'we',
  四: 'th',
  五: 'fr',
  六: 'sa',
  日: 'su',
  天: 'su',
  '1': 'mo',
  '2': 'tu',
  '3': 'we',
  '4': 'th',
  '5': 'fr',
  '6': 'sa',
  '7': 'su',
};

const UNIT_WORDS: Readonly<Record<string, 'day' | 'week' | 'month'>> = {
  day: 'day',
  days: 'day',
  week: 'week',
  weeks: 'week',
  month: 'month',
  months: 'month',
  天: 'day',
  日: 'day',
  周: 'week',
  星期: 'week',
  礼拜: 'week',
  月: 'month',
  个月: 'month',
};

type Match = { cadence: ScheduleCadence; length: number } | undefined;

const validInterval = (n: number | undefined): n is number => n !== undefined && n >= 1 && n <= MAX_SCHEDULE_INTERVAL;
const validDay = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= 31;

function matchEnglish(text: string): Match {
  let m: RegExpExecArray | null;
  if ((m = /^(daily|weekly|monthly)\b/.exec(text))) {
    const unit = m[1] === 'daily' ? 'day' : m[1] === 'weekly' ? 'week' : 'month';
    const day =
      unit === 'month' ? /^\s+on\s+(?:the\s+)?([0-9]{1,2})(?:st|nd|rd|th)?\b/.exec(text.slice(m[0].length)) : null;
    if (day) {
      const n = Number(day[1]);
      return validDay(n) ? { cadence: { unit: 'monthday', day: n }, length: m[0].length + day[0].length } : undefined;
    }
    return { cadence: { unit, interval: 1 }, length: m[0].length };
  }
  if (!(m = /^every\s+/.exec(text))) return undefined;
  let at = m[0].length;
  let interval = 1;
  const other = /^other\s+/.exec(text.slice(at));
  const count = /^([0-9]{1,2})\s*/.exec(text.slice(at));
  if (other) {
    interval = 2;
    at += other[0].length;
  } else if (count) {
    interval = Number(count[1]);
    at += count[0].length;
  }
  const rest = text.slice(at);
  for (const [pattern, weekday] of WEEKDAY_WORDS) {
    const w = pattern.exec(rest);
    if (w && (interval === 1 || other)) {
      return { cadence: { unit: 'weekday', weekday, interval }, length: at + w[0].length };
    }
  }
  const unit = /^(days?|weeks?|months?)\b/.exec(rest);
  if (!unit || !validInterval(interval)) return undefined;
  const u = UNIT_WORDS[unit[1] ?? ''] ?? 'day';
  let length = at + unit[0].length;
  if (u === 'month' && interval === 1) {
    const day = /^\s+on\s+(?:the\s+)?([0-9]{1,2})(?:st|nd|rd|th)?\b/.exec(text.slice(length));
    if (day) {
      const n = Number(day[1]);
      return validDay(n) ? { cadence: { unit: 'monthday', day: n }, length: length + day[0].length } : undefined;
    }
  }
  if (u === 'week' && interval >= 1) {
    const on = /^\s+on\s+/.exec(text.slice(length));
    if (on) {
      const after = text.slice(length + on[0].length);
      for (const [pattern, weekday] of WEEKDAY_WORDS) {
        const w = pattern.exec(after);
        if (w) return { cadence: { unit: 'weekday', weekday, interval }, length: length + on[0].length + w[0].length };
      }
    }
  }
  length = Math.min(length, text.length);
  return { cadence: { unit: u, interval }, length };
}

function matchChinese(text: string): Match {
  let m: RegExpExecArray | null;
  // 每月1号, 每月15日
  if ((m = /^每个?月\s*([0-9]{1,2}|[一二三四五六七八九十]{1,3})\s*[号日]/u.exec(text))) {
    const n = hanNumber(m[1] ?? '');
    return n !== undefined && validDay(n) ? { cadence: { unit: 'monthday', day: n }, length: m[0].length } : undefined;
  }
  // 每周五, 每星期五, 每礼拜五 (and 每两周五)
  if (
    (m = /^每(?:隔)?([0-9]{1,2}|[一二两三四五六七八九十]{0,3})?(?:个)?(?:周|星期|礼拜)([一二三四五六日天1-7])/u.exec(
      text,
    ))
  ) {
    const weekday = ZH_WEEKDAYS[m[2] ?? ''];
    const raw = m[1] ?? '';
    const interval = raw === '' ? 1 : (hanNumber(raw) ?? 0) + (m[0].startsWith('每隔') ? 1 : 0);
    return weekday && validInterval(interval)
      ? { cadence: { unit: 'weekday', weekday, interval }, length: m[0].length }
      : undefined;
  }
  // 每天, 每周, 每月, 每两周, 每2周, 每隔一周, 每3天, 每2个月
  if ((m = /^每(隔)?([0-9]{1,2}|[一二两三四五六七八九十]{1,3})?(天|日|周|星期|礼拜|个月|月)/u.exec(text))) {
    const unit = UNIT_WORDS[m[3] ?? ''];
    const raw = m[2] ?? '';
    let interval = raw === '' ? 1 : hanNumber(raw);
    if (interval !== undefined && m[1]) interval += 1;
    return unit && validInterval(interval) ? { cadence: { unit, interval }, length: m[0].length } : undefined;
  }
  return undefined;
}

type EndMatch = { end: ScheduleEnd; length: number } | { error: ScheduleError; text: string } | undefined;

function localDate(now: Date, timeZone: string): string {
  const p = zonedParts(now, timeZone);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

function matchEnd(text: string, context: { now: Date; timeZone: string }): EndMatch {
  let m: RegExpExecArray | null;
  if (
    (m = /^(?:for\s+)?([0-9]{1,4})\s*(?:times|x)\b/u.exec(text)) ||
    (m = /^共?([0-9]{1,4}|[一二两三四五六七八九十]{1,3})次/u.exec(text))
  ) {
    const count = hanNumber(m[1] ?? '');
    if (count === undefined || count < 1 || count > MAX_SCHEDULE_COUNT) return { error: 'BadScheduleEnd', text: m[0] };
    return { end: { count }, length: m[0].length };
  }
  const until = /^(?:until|till|through|直到|到)\s*/u.exec(text);
  if (!until) return undefined;
  const after = text.slice(until[0].length);
  const parser = /[\u4e00-\u9fff]/u.test(after.slice(0, 12)) ? chrono.zh : chrono;
  const [found] = parser.parse(after, { instant: context.now, timezone: context.timeZone }, { forwardDate: true });
  if (!found || found.index !== 0) return { error: 'BadScheduleEnd', text: text.trim() };
  const { start } = found;
  const date = `${start.get('year') ?? 0}-${String(start.get('month') ?? 1).padStart(2, '0')}-${String(start.get('day') ?? 1).padStart(2, '0')}`;
  let length = until[0].length + found.text.length;
  // "到3月1日为止"
  const stop = /^\s*为止/u.exec(text.slice(length));
  if (stop) length += stop[0].length;
  if (date < localDate(context.now, context.timeZone)) return { error: 'ScheduleEndInPast', text: found.text };
  return { end: { until: date }, length };
}

type TimeMatch = { time: ScheduleTime; length: number } | { error: ScheduleError; text: string } | undefined;

/** The part of the day a Chinese reading names: the `pm` ones put 1–11 o'clock in the afternoon (下午6点 = 18:00). */
const ZH_DAY_PARTS: Readonly<Record<string, 'am' | 'pm'>> = {
  凌晨: 'am',
  早上: 'am',
  早晨: 'am',
  上午: 'am',
  中午: 'pm',
  下午: 'pm',
  傍晚: 'pm',
  晚上: 'pm',
};

const clockMatch = (clock: Clock | undefined, text: string): TimeMatch =>
  clock ? { time: clock, length: text.length } : { error: 'BadScheduleTime', text };

/** "at 18:00", "at 6pm", "at 7:30 am", "18:30"; "18点", "晚上6点半", "上午9点15分". Validated by `parseClock`. */
function matchTime(text: string): TimeMatch {
  let m: RegExpExecArray | null;
  if ((m = /^(?:at\s+|@\s*)?([0-9]{1,2}(?::[0-9]{2})?)\s*(am|pm|a\.m\.|p\.m\.)?(?=$|[\s,，])/u.exec(text))) {
    const [, clock = '', half] = m;
    // A bare number is a note ("weekly 3 books"), not a time: it needs "at", minutes or am/pm.
    if (!/^(?:at|@)/u.test(m[0]) && !clock.includes(':') && half === undefined) return undefined;
    const typed = half ? `${clock}${half.replaceAll('.', '')}` : clock.includes(':') ? clock : `${clock}:00`;
    return clockMatch(parseClock(typed), m[0]);
  }
  m =
    /^(凌晨|早上|早晨|上午|中午|下午|傍晚|晚上)?\s*([0-9]{1,2}|[一二两三四五六七八九十]{1,3})\s*[点點时]\s*(半|([0-9]{1,2}|[一二三四五六七八九十]{1,3})\s*分?)?/u.exec(
      text,
    );
  if (!m) return undefined;
  const hour = hanNumber(m[2] ?? '');
  const minute = m[3] === '半' ? 30 : m[4] === undefined ? 0 : hanNumber(m[4]);
  if (hour === undefined || minute === undefined) return { error: 'BadScheduleTime', text: m[0] };
  // 下午6点 → 18:00; 晚上12点 is unclear: 12 with a part of the day stays as read.
  const pm = m[1] !== undefined && ZH_DAY_PARTS[m[1]] === 'pm' && hour < 12;
  return clockMatch(parseClock(`${pm ? hour + 12 : hour}:${String(minute).padStart(2, '0')}`), m[0]);
}

/**
 * Reads a schedule at the start of `text`; what follows it (and its optional end) is returned as
 * `rest` (the note). A phrase that is not a schedule is an error naming the words.
 */
export function parseSchedule(text: string, context: { now: Date; timeZone: string }): ScheduleParse {
  const source = text.normalize('NFKC').trim();
  if (source === '') return { ok: false, error: 'MissingSchedule', text: '' };
  const lower = source.toLowerCase();
  const found = /^每/u.test(lower) ? matchChinese(lower) : matchEnglish(lower);
  if (!found) {
    const shown = source.split(/\s+/u).slice(0, 4).join(' ');
    return { ok: false, error: 'BadSchedule', text: shown };
  }
  let at = found.length;
  const skip = () => {
    while (at < lower.length && /[\s,，]/u.test(lower[at] ?? '')) at++;
  };
  skip();
  const spec: ScheduleSpec = { cadence: found.cadence };
  // The time and the end, in either order: "every friday at 6pm until dec 31", "每周五 共4次 晚上8点".
  for (let i = 0; i < 2; i++) {
    const time = spec.time ? undefined : matchTime(lower.slice(at));
    if (time && 'error' in time) return { ok: false, error: time.error, text: time.text.trim() };
    if (time) {
      spec.time = time.time;
      at += time.length;
      skip();
      continue;
    }
    const end = spec.end ? undefined : matchEnd(lower.slice(at), context);
    if (end && 'error' in end) return { ok: false, error: end.error, text: end.text };
    if (!end) break;
    spec.end = end.end;
    at += end.length;
    skip();
  }
  return { ok: true, spec, rest: source.slice(at).trim() };
}
