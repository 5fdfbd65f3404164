/**
 * A `ScheduleSpec` as an RRULE (rrule), evaluated on the payer's wall clock: the rule runs over
 * "floating" times (wall-clock readings stored as if they were UTC), and each occurrence is then turned
 * into an instant in the payer's time zone. So "monthly on 1 at 09:00" stays 09:00 local across a
 * daylight-saving change, whatever the process time zone is. Pure.
 */
import rrulePkg from 'rrule';
import { zonedParts, zonedTimeToInstant } from '../time/zoned.js';
import { MAX_SCHEDULE_COUNT, runTime, type ScheduleSpec } from './grammar.js';

const { RRule } = rrulePkg;
type RRuleType = InstanceType<typeof RRule>;

/** A wall-clock reading as text: `YYYY-MM-DDTHH:MM:SS`. */
export type WallClock = string;

const WALL = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})$/;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** The wall clock in `timeZone` at `at`, to the second. */
export function wallClockAt(at: Date, timeZone: string): WallClock {
  const p = zonedParts(at, timeZone);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
}

function floating(wall: WallClock): Date {
  const m = WALL.exec(wall);
  if (!m) throw new Error(`not a wall clock: ${wall}`);
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
}

function instantOf(f: Date, timeZone: string): Date {
  return zonedTimeToInstant(
    {
      year: f.getUTCFullYear(),
      month: f.getUTCMonth() + 1,
      day: f.getUTCDate(),
      hour: f.getUTCHours(),
      minute: f.getUTCMinutes(),
      second: f.getUTCSeconds(),
    },
    timeZone,
  );
}

/** The RRULE text of a spec (without DTSTART), e.g. `FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=9;…`. */
export function ruleText(spec: ScheduleSpec): string {
  const { hour, minute } = runTime(spec);
  const at = `BYHOUR=${hour};BYMINUTE=${minute};BYSECOND=0`;
  const c = spec.cadence;
  let body: string;
  switch (c.unit) {
    case 'day':
      body = `FREQ=DAILY;INTERVAL=${c.interval};${at}`;
      break;
    case 'week':
      body = `FREQ=WEEKLY;INTERVAL=${c.interval};${at}`;
      break;
    case 'month':
      body = `FREQ=MONTHLY;INTERVAL=${c.interval};${at}`;
      break;
    case 'weekday':
      body = `FREQ=WEEKLY;INTERVAL=${c.interval};BYDAY=${c.weekday.toUpperCase()};${at}`;
      break;
    case 'monthday':
      // Day 29–31: the last day of shorter months rather than skipping them.
      body =
        c.day <= 28
          ? `FREQ=MONTHLY;BYMONTHDAY=${c.day};${at}`
          : `FREQ=MONTHLY;BYMONTHDAY=${Array.from({ length: c.day - 27 }, (_, i) => 28 + i).join(',')};BYSETPOS=-1;${at}`;
      break;
    case 'rule':
      body = c.rule;
      break;
  }
  const end = spec.end;
  if (end && 'count' in end) return `${body};COUNT=${end.count}`;
  if (end && 'until' in end) return `${body};UNTIL=${end.until.replaceAll('-', '')}T235959Z`;
  return body;
}

/** Throws on a rule rrule cannot read (only internal rules can be malformed). */
function ruleOf(spec: ScheduleSpec, anchor: WallClock): RRuleType {
  const options = RRule.parseString(ruleText(spec));
  return new RRule({ ...options, dtstart: floating(anchor), tzid: null });
}

/** Checks an internal rule (core API); undefined when rrule can read it and it yields at least one run. */
export function checkRule(spec: ScheduleSpec, anchor: WallClock): string | undefined {
  try {
    return ruleOf(spec, anchor).after(floating(anchor), true) ? undefined : 'the rule never runs';
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * Occurrences `from`..`from + count - 1` (1-based) of the schedule anchored at `anchor`, as instants
 * in `timeZone`. Fewer when the rule ends.
 */
export function occurrences(
  spec: ScheduleSpec,
  anchor: WallClock,
  timeZone: string,
  from: number,
  count: number,
): Array<{ n: number; at: Date }> {
  const rule = ruleOf(spec, anchor);
  const last = Math.min(from + count - 1, MAX_SCHEDULE_COUNT * 10);
  const out: Array<{ n: number; at: Date }> = [];
  rule.all((date, i) => {
    const n = i + 1;
    if (n >= from) out.push({ n, at: instantOf(date, timeZone) });
    return n < last;
  });
  return out;
}

/** Occurrence `n` (1-based), or null when the rule has ended before it. */
export function occurrence(spec: ScheduleSpec, anchor: WallClock, timeZone: string, n: number): Date | null {
  return occurrences(spec, anchor, timeZone, n, 1)[0]?.at ?? null;
}
