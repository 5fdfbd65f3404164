/** Schedules in plain words (English and Chinese) → the expected next runs, on the payer's wall clock (09:00 unless a time is named). */
import { describe, expect, it } from 'vitest';
import { parseSchedule, type ScheduleSpec } from './grammar.js';
import { occurrences, ruleText, wallClockAt } from './rule.js';

const BERLIN = 'Europe/Berlin';

function next(
  text: string,
  now: string,
  count = 3,
  timeZone = BERLIN,
): { runs: string[]; rest: string; spec: ScheduleSpec } {
  const at = new Date(now);
  const parsed = parseSchedule(text, { now: at, timeZone });
  if (!parsed.ok) throw new Error(`${text}: ${parsed.error} (${parsed.text})`);
  const runs = occurrences(parsed.spec, wallClockAt(at, timeZone), timeZone, 1, count).map((o) => o.at.toISOString());
  return { runs, rest: parsed.rest, spec: parsed.spec };
}

// Friday 20 March 2026, 11:00 in Berlin; clocks go forward on Sunday 29 March (09:00 CET = 08:00Z, CEST = 07:00Z).
const FRIDAY = '2026-03-20T10:00:00Z';

describe('schedules in plain words', () => {
  it('daily runs at 09:00 local, before and after the daylight-saving change', () => {
    expect(next('daily', '2026-03-27T10:00:00Z').runs).toEqual([
      '2026-03-28T08:00:00.000Z',
      '2026-03-29T07:00:00.000Z',
      '2026-03-30T07:00:00.000Z',
    ]);
    expect(next('every day', '2026-03-27T06:00:00Z', 1).runs).toEqual(['2026-03-27T08:00:00.000Z']);
  });

  it('monthly on 1 / 每月1号: the first of each month, across the March change', () => {
    const expected = ['2026-03-01T08:00:00.000Z', '2026-04-01T07:00:00.000Z', '2026-05-01T07:00:00.000Z'];
    expect(next('monthly on 1', '2026-02-15T12:00:00Z').runs).toEqual(expected);
    expect(next('monthly on the 1st', '2026-02-15T12:00:00Z').runs).toEqual(expected);
    expect(next('every month on 1', '2026-02-15T12:00:00Z').runs).toEqual(expected);
    expect(next('每月1号', '2026-02-15T12:00:00Z').runs).toEqual(expected);
    expect(next('每月1日', '2026-02-15T12:00:00Z').runs).toEqual(expected);
  });

  it('a day past the end of a month runs on its last day', () => {
    expect(next('monthly on 31', '2026-03-20T10:00:00Z').runs).toEqual([
      '2026-03-31T07:00:00.000Z',
      '2026-04-30T07:00:00.000Z',
      '2026-05-31T07:00:00.000Z',
    ]);
  });

  it('every friday / 每周五 / every other friday', () => {
    const fridays = ['2026-03-27T08:00:00.000Z', '2026-04-03T07:00:00.000Z', '2026-04-10T07:00:00.000Z'];
    expect(next('every friday', FRIDAY).runs).toEqual(fridays);
    expect(next('every Fri', FRIDAY).runs).toEqual(fridays);
    expect(next('每周五', FRIDAY).runs).toEqual(fridays);
    expect(next('每星期五', FRIDAY).runs).toEqual(fridays);
    expect(next('every sunday', FRIDAY).runs).toEqual([
      '2026-03-22T08:00:00.000Z',
      '2026-03-29T07:00:00.000Z',
      '2026-04-05T07:00:00.000Z',
    ]);
    expect(next('every other friday', FRIDAY).spec.cadence).toEqual({ unit: 'weekday', weekday: 'fr', interval: 2 });
  });

  it('every 2 weeks / 每两周 / weekly', () => {
    const biweekly = ['2026-04-03T07:00:00.000Z', '2026-04-17T07:00:00.000Z', '2026-05-01T07:00:00.000Z'];
    expect(next('every 2 weeks', FRIDAY).runs).toEqual(biweekly);
    expect(next('每两周', FRIDAY).runs).toEqual(biweekly);
    expect(next('每2周', FRIDAY).runs).toEqual(biweekly);
    expect(next('every other week', FRIDAY).runs).toEqual(biweekly);
    expect(next('weekly', FRIDAY).runs).toEqual([
      '2026-03-27T08:00:00.000Z',
      '2026-04-03T07:00:00.000Z',
      '2026-04-10T07:00:00.000Z',
    ]);
    expect(next('每3天', FRIDAY).spec.cadence).toEqual({ unit: 'day', interval: 3 });
  });

  it('ends: until a date (chrono, chrono.zh) or a number of times; the note follows', () => {
    const until = next('daily until 2026-03-23 pocket money', FRIDAY, 10);
    expect(until.runs).toEqual(['2026-03-21T08:00:00.000Z', '2026-03-22T08:00:00.000Z', '2026-03-23T08:00:00.000Z']);
    expect(until.rest).toBe('pocket money');
    expect(next('daily until march 23', FRIDAY, 10).runs).toHaveLength(3);
    const zh = next('每天 直到2026年3月23日 零花钱', FRIDAY, 10);
    expect(zh.runs).toHaveLength(3);
    expect(zh.rest).toBe('零花钱');
    expect(next('每天直到3月23日', FRIDAY, 10).runs).toHaveLength(3);
    const times = next('weekly for 2 times rent', FRIDAY, 10);
    expect(times.runs).toHaveLength(2);
    expect(times.rest).toBe('rent');
    expect(next('每月1号 共6次 房租', FRIDAY, 10)).toMatchObject({ rest: '房租', spec: { end: { count: 6 } } });
    expect(next('monthly on 1 for 6 times', FRIDAY, 10).runs).toHaveLength(6);
  });

  it('a time of day: "at 18:30", "at 6pm", 晚上6点半 — on the payer’s wall clock across the change; the note follows', () => {
    // Friday 20 March 2026 in Berlin; 18:30 CET = 17:30Z, CEST = 16:30Z.
    const evenings = ['2026-03-20T17:30:00.000Z', '2026-03-27T17:30:00.000Z', '2026-04-03T16:30:00.000Z'];
    expect(next('every friday at 18:30 rent', FRIDAY)).toMatchObject({
      runs: evenings,
      rest: 'rent',
      spec: { time: { hour: 18, minute: 30 } },
    });
    expect(next('every friday at 6:30pm', FRIDAY).runs).toEqual(evenings);
    expect(next('every friday 6:30 p.m.', FRIDAY).runs).toEqual(evenings);
    expect(next('每周五晚上6点半 房租', FRIDAY)).toMatchObject({ runs: evenings, rest: '房租' });
    expect(next('每周五 18点30分', FRIDAY).runs).toEqual(evenings);
    expect(next('每周五 18:30', FRIDAY).runs).toEqual(evenings);
    // In either order with the end.
    expect(next('every friday for 2 times at 18:30 rent', FRIDAY, 5)).toMatchObject({
      runs: evenings.slice(0, 2),
      rest: 'rent',
    });
    expect(next('每周五 共2次 晚上6点半', FRIDAY, 5).runs).toEqual(evenings.slice(0, 2));
    // Morning readings, midnight and noon.
    expect(next('daily at 7am', FRIDAY).spec.time).toEqual({ hour: 7, minute: 0 });
    expect(next('daily at 12am', FRIDAY).spec.time).toEqual({ hour: 0, minute: 0 });
    expect(next('daily at 12pm', FRIDAY).spec.time).toEqual({ hour: 12, minute: 0 });
    expect(next('每天上午九点', FRIDAY).spec.time).toEqual({ hour: 9, minute: 0 });
    expect(next('每天中午12点', FRIDAY).spec.time).toEqual({ hour: 12, minute: 0 });
    expect(next('每天下午两点十五分', FRIDAY).spec.time).toEqual({ hour: 14, minute: 15 });
    // A bare number is the note, not a time; without a time the runs are at 09:00.
    expect(next('weekly 3 books', FRIDAY)).toMatchObject({ rest: '3 books', spec: { cadence: { unit: 'week' } } });
    expect(next('weekly 3 books', FRIDAY).spec.time).toBeUndefined();
    expect(ruleText({ cadence: { unit: 'day', interval: 1 } })).toBe(
      'FREQ=DAILY;INTERVAL=1;BYHOUR=9;BYMINUTE=0;BYSECOND=0',
    );
  });

  it('an internal rule runs as written (the core API, not the user grammar)', () => {
    const spec: ScheduleSpec = { cadence: { unit: 'rule', rule: 'FREQ=SECONDLY;INTERVAL=2' }, end: { count: 3 } };
    expect(ruleText(spec)).toBe('FREQ=SECONDLY;INTERVAL=2;COUNT=3');
    const runs = occurrences(spec, '2026-03-20T11:00:00', BERLIN, 1, 5).map((o) => o.at.toISOString());
    expect(runs).toEqual(['2026-03-20T10:00:00.000Z', '2026-03-20T10:00:02.000Z', '2026-03-20T10:00:04.000Z']);
  });

  it('refuses what it does not understand, naming it, and ends in the past', () => {
    const at = { now: new Date(FRIDAY), timeZone: BERLIN };
    expect(parseSchedule('', at)).toEqual({ ok: false, error: 'MissingSchedule', text: '' });
    expect(parseSchedule('fortnightly rent', at)).toEqual({
      ok: false,
      error: 'BadSchedule',
      text: 'fortnightly rent',
    });
    expect(parseSchedule('every 0 days', at)).toMatchObject({ ok: false, error: 'BadSchedule' });
    expect(parseSchedule('monthly on 32', at)).toMatchObject({ ok: false, error: 'BadSchedule' });
    expect(parseSchedule('every blursday', at)).toMatchObject({ ok: false, error: 'BadSchedule' });
    expect(parseSchedule('每月40号', at)).toMatchObject({ ok: false, error: 'BadSchedule' });
    expect(parseSchedule('daily until someday', at)).toMatchObject({ ok: false, error: 'BadScheduleEnd' });
    expect(parseSchedule('daily for 0 times', at)).toMatchObject({ ok: false, error: 'BadScheduleEnd' });
    expect(parseSchedule('daily until 2020-01-01', at)).toMatchObject({ ok: false, error: 'ScheduleEndInPast' });
    expect(parseSchedule('daily at 25:00', at)).toEqual({ ok: false, error: 'BadScheduleTime', text: 'at 25:00' });
    expect(parseSchedule('daily at 13pm', at)).toMatchObject({ ok: false, error: 'BadScheduleTime' });
    expect(parseSchedule('daily at 18:75', at)).toMatchObject({ ok: false, error: 'BadScheduleTime' });
    expect(parseSchedule('每天25点', at)).toMatchObject({ ok: false, error: 'BadScheduleTime', text: '25点' });
  });
});
