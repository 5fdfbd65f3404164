/**
 * Wall clocks in IANA time zones, with Intl only (no date library): the reading of an instant in a
 * zone, and the instant a wall clock shows a given reading. Pure.
 */

export interface ZonedParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** Whole seconds; absent means 0. */
  second?: number;
}

/** The calendar day `days` after (or before, negative) `day`: month and year ends and leap days included. */
export function addDays(day: { year: number; month: number; day: number }, days: number) {
  const shifted = new Date(Date.UTC(day.year, day.month - 1, day.day + days));
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
}

const partFormatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock reading of `date` in `timeZone` (seconds included). */
export function zonedParts(date: Date, timeZone: string): Required<ZonedParts> {
  let format = partFormatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    partFormatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(date).map((part) => [part.type, Number(part.value)]));
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: (parts.hour ?? 0) % 24,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** UTC offset of `timeZone` at `instant`, in ms (east positive). */
function offsetAt(instant: number, timeZone: string): number {
  const p = zonedParts(new Date(instant), timeZone);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - (instant - (((instant % 1000) + 1000) % 1000));
}

/**
 * The instant a wall clock in `timeZone` shows `parts`. Two passes settle the offset around DST
 * changes; a time inside a spring-forward gap lands just after it.
 */
export function zonedTimeToInstant(parts: ZonedParts, timeZone: string): Date {
  const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second ?? 0);
  const first = wall - offsetAt(wall, timeZone);
  const second = wall - offsetAt(first, timeZone);
  return new Date(second);
}
