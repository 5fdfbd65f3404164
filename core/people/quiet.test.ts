import { describe, expect, it } from 'vitest';
import { localSecondOfDay, outsideQuietHours, quietUntil } from './quiet.js';

const at = (iso: string) => Date.parse(iso);
const hm = (h: number, m = 0) => h * 60 + m;

describe('quiet hours', () => {
  it('a reminder due at 3 a.m. local waits for the morning, in the person’s time zone', () => {
    // 19:00 UTC = 03:00 in Shanghai (UTC+8); quiet 22:00–08:00 ends at 08:00 local = 00:00 UTC next day.
    const quiet = { start: hm(22), end: hm(8) };
    expect(quietUntil(at('2026-03-10T19:00:00Z'), 'Asia/Shanghai', quiet)).toBe(at('2026-03-11T00:00:00Z'));
    // The same instant for a person in London: 19:00 local is not quiet.
    expect(quietUntil(at('2026-03-10T19:00:00Z'), 'Europe/London', quiet)).toBeNull();
  });

  it('a window inside one day, and its edges: start is quiet, end is not', () => {
    const quiet = { start: hm(12), end: hm(13, 30) };
    expect(quietUntil(at('2026-06-01T12:00:00Z'), 'UTC', quiet)).toBe(at('2026-06-01T13:30:00Z'));
    expect(quietUntil(at('2026-06-01T13:29:59.500Z'), 'UTC', quiet)).toBe(at('2026-06-01T13:30:00Z'));
    expect(quietUntil(at('2026-06-01T13:30:00Z'), 'UTC', quiet)).toBeNull();
    expect(quietUntil(at('2026-06-01T11:59:59Z'), 'UTC', quiet)).toBeNull();
  });

  it('fractions of a minute are seconds', () => {
    expect(quietUntil(at('2026-06-01T12:00:00Z'), 'UTC', { start: hm(11, 59), end: hm(12) + 0.25 })).toBe(
      at('2026-06-01T12:00:15Z'),
    );
  });

  it('an empty or malformed window never holds a message back', () => {
    expect(quietUntil(at('2026-06-01T12:00:00Z'), 'UTC', { start: hm(12), end: hm(12) })).toBeNull();
    expect(quietUntil(at('2026-06-01T12:00:00Z'), 'UTC', { start: -5, end: hm(13) })).toBeNull();
    expect(quietUntil(at('2026-06-01T12:00:00Z'), 'UTC', { start: hm(11), end: 1440 })).toBeNull();
  });

  it('the end of quiet hours is found on the wall clock across a daylight-saving change', () => {
    // New York springs forward on 2026-03-08 at 02:00 (UTC−5 → UTC−4). Quiet 22:00–08:00:
    // at 23:00 EST on the 7th (04:00 UTC on the 8th) it ends at 08:00 EDT = 12:00 UTC, not 13:00.
    const quiet = { start: hm(22), end: hm(8) };
    const until = quietUntil(at('2026-03-08T04:00:00Z'), 'America/New_York', quiet);
    expect(until).toBe(at('2026-03-08T12:00:00Z'));
    expect(localSecondOfDay(until ?? 0, 'America/New_York')).toBe(8 * 3600);
    // And falling back on 2026-11-01 (UTC−4 → UTC−5): 08:00 EST = 13:00 UTC.
    expect(quietUntil(at('2026-11-01T03:00:00Z'), 'America/New_York', quiet)).toBe(at('2026-11-01T13:00:00Z'));
  });
});

describe('quiet hours that wrap midnight', () => {
  const night = { start: hm(22), end: hm(7) };
  it('hold from start to end in the person’s time zone', () => {
    expect(quietUntil(at('2026-03-01T23:00:00Z'), 'UTC', night)).not.toBeNull();
    expect(quietUntil(at('2026-03-01T06:59:00Z'), 'UTC', night)).not.toBeNull();
    expect(quietUntil(at('2026-03-01T07:00:00Z'), 'UTC', night)).toBeNull();
    // 15:00 UTC is 23:00 in Shanghai.
    expect(quietUntil(at('2026-03-01T15:00:00Z'), 'Asia/Shanghai', night)).not.toBeNull();
  });

  it('a message due in quiet hours waits for their end; outside them (or without any) it goes at once', () => {
    expect(outsideQuietHours(new Date('2026-03-01T23:30:00Z'), night, 'UTC')).toEqual(new Date('2026-03-02T07:00:00Z'));
    expect(outsideQuietHours(new Date('2026-03-01T12:00:00Z'), night, 'UTC')).toEqual(new Date('2026-03-01T12:00:00Z'));
    expect(outsideQuietHours(new Date('2026-03-01T12:00:00Z'), null, 'UTC')).toEqual(new Date('2026-03-01T12:00:00Z'));
  });
});
