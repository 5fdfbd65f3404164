import { describe, expect, it } from 'vitest';
import { isQuiet, outsideQuietHours, parseLocale, parseQuietHours, parseTimezone, pickLocale } from './settings.js';

describe('settings parsing', () => {
  it('reads quiet hours in the usual spellings', () => {
    expect(parseQuietHours('22:00-07:00')).toEqual({ start: 1320, end: 420 });
    expect(parseQuietHours('22-7')).toEqual({ start: 1320, end: 420 });
    expect(parseQuietHours('23:30 – 06:15')).toEqual({ start: 1410, end: 375 });
    expect(parseQuietHours('off')).toBeNull();
    for (const bad of ['24:00-07:00', '22:60-07:00', '22', '7-7', 'later', '22:00-07:00-08:00'])
      expect(parseQuietHours(bad)).toBeUndefined();
  });

  it('knows time zones by their IANA names, in any case', () => {
    expect(parseTimezone('utc')).toBe('UTC');
    expect(parseTimezone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(parseTimezone('Nowhere/Land')).toBeUndefined();
    expect(parseTimezone('')).toBeUndefined();
  });

  it('maps language hints to the locales we ship', () => {
    expect(parseLocale('zh-hans')).toBe('zh-CN');
    expect(parseLocale('EN')).toBe('en');
    expect(parseLocale('fr')).toBeUndefined();
    expect(pickLocale(null, 'zh-TW', 'en')).toBe('zh-CN');
    expect(pickLocale('en', 'zh', 'zh-CN')).toBe('en');
    expect(pickLocale(null, 'de', 'en')).toBe('en');
  });
});

describe('quiet hours', () => {
  const night = { start: 22 * 60, end: 7 * 60 };
  it('wrap midnight, in the person’s time zone', () => {
    expect(isQuiet(new Date('2026-03-01T23:00:00Z'), night, 'UTC')).toBe(true);
    expect(isQuiet(new Date('2026-03-01T06:59:00Z'), night, 'UTC')).toBe(true);
    expect(isQuiet(new Date('2026-03-01T07:00:00Z'), night, 'UTC')).toBe(false);
    // 15:00 UTC is 23:00 in Shanghai.
    expect(isQuiet(new Date('2026-03-01T15:00:00Z'), night, 'Asia/Shanghai')).toBe(true);
  });

  it('a message due in quiet hours waits for their end', () => {
    expect(outsideQuietHours(new Date('2026-03-01T23:30:00Z'), night, 'UTC')).toEqual(new Date('2026-03-02T07:00:00Z'));
    expect(outsideQuietHours(new Date('2026-03-01T12:00:00Z'), night, 'UTC')).toEqual(new Date('2026-03-01T12:00:00Z'));
    expect(outsideQuietHours(new Date('2026-03-01T12:00:00Z'), null, 'UTC')).toEqual(new Date('2026-03-01T12:00:00Z'));
  });
});
