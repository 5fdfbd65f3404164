/**
 * THE reader of calendar days in plain words, for every command that takes a date (a pot's `until`, an IOU's due
 * date): "friday", "in 2 weeks", "end of month", "next month", "2026-12-31", "dec 31"; in Chinese "下周五", "月底",
 * "两周后", "下个月", "12月31日". chrono reads them (its Chinese parser for Chinese), in the person's time zone; the
 * Chinese phrases chrono does not know are said in English first. The whole text must be the date, so a typo is
 * refused naming the words rather than half read. Pure: `now` is an input.
 */
import * as chrono from 'chrono-node';
import { addDays, hanNumber, zonedParts } from '../../../core/index.js';

export interface Day {
  year: number;
  month: number;
  day: number;
}

export type DayError = 'BadDate' | 'DateInPast';
export type DayResult = { ok: true; day: Day } | { ok: false; error: DayError };

const HAN_UNITS: Readonly<Record<string, string>> = {
  天: 'days',
  日: 'days',
  周: 'weeks',
  星期: 'weeks',
  礼拜: 'weeks',
  个星期: 'weeks',
  个礼拜: 'weeks',
  个月: 'months',
  月: 'months',
  年: 'years',
};

/** Chinese phrases chrono's Chinese parser does not read, said in English (anything else is left as typed). */
function inEnglish(text: string): string {
  const whole = text.replace(/\s+/gu, '');
  const fixed: Readonly<Record<string, string>> = {
    月底: 'end of month',
    本月底: 'end of month',
    这个月底: 'end of month',
    下月底: 'end of next month',
    下个月底: 'end of next month',
    下月: 'next month',
    下个月: 'next month',
    后天: 'in 2 days',
  };
  const known = fixed[whole];
  if (known) return known;
  // `两周后`, `2周后`, `三个月以后`, `10天之后`
  const later =
    /^([0-9]{1,3}|[一二两三四五六七八九十]|十[一二三四五六七八九]?)(天|日|周|星期|礼拜|个星期|个礼拜|个月|月|年)(?:后|以后|之后)$/u.exec(
      whole,
    );
  if (!later) return text;
  const [, count = '', unit = ''] = later;
  const n = hanNumber(count) ?? 0;
  return `in ${n} ${HAN_UNITS[unit] ?? 'days'}`;
}

/**
 * A day in plain words, read in `timeZone` at `now`. `earliest`: the first day accepted (`today` for a due date,
 * `tomorrow` for a pot that must lock for at least a day); an earlier one is `DateInPast`.
 */
export function readDay(
  text: string,
  context: { now: Date; timeZone: string },
  earliest: 'today' | 'tomorrow' = 'today',
): DayResult {
  const typed = text.normalize('NFKC').trim();
  if (typed === '') return { ok: false, error: 'BadDate' };
  const said = inEnglish(typed);
  const parser = /[\u4e00-\u9fff]/u.test(said) ? chrono.zh : chrono;
  const today = zonedParts(context.now, context.timeZone);
  // chrono computes relative days ("tomorrow", "in 2 weeks") from the reference's wall clock in the process's own
  // zone: hand it the person's wall clock as that, so "tomorrow" is tomorrow where they are.
  const wallClock = new Date(today.year, today.month - 1, today.day, today.hour, today.minute);
  const [found] = parser.parse(said, wallClock, { forwardDate: true });
  if (!found || found.index !== 0 || found.text.trim().length !== said.length) return { ok: false, error: 'BadDate' };
  const { start } = found;
  const day = { year: start.get('year') ?? 0, month: start.get('month') ?? 1, day: start.get('day') ?? 1 };
  const first = earliest === 'today' ? today : addDays(today, 1);
  if (dayKey(day) < dayKey(first)) return { ok: false, error: 'DateInPast' };
  return { ok: true, day };
}

const dayKey = (d: Day): number => d.year * 10_000 + d.month * 100 + d.day;
